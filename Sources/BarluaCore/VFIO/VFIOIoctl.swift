import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// VFIO ioctls that throw a `SystemError` naming the request, the file and the errno.
enum VFIOIoctl {
  /// Advice for an errno, or nil.
  typealias Hint = (Int32) -> String?

  /// An ioctl whose argument points to a structure the kernel reads or fills.
  @discardableResult
  static func call(
    _ fd: FileDescriptor, _ name: String, _ request: UInt, _ arg: UnsafeMutableRawPointer, hint: Hint = { _ in nil }
  ) throws -> Int32 {
    try checked(barlua_ioctl_ptr(fd.rawValue, request, arg), fd, name, hint)
  }

  /// An ioctl whose argument is an integer `value`, or that takes none.
  @discardableResult
  static func call(
    _ fd: FileDescriptor, _ name: String, _ request: UInt, value: UInt? = nil, hint: Hint = { _ in nil }
  ) throws -> Int32 {
    let r = value.map { barlua_ioctl_int(fd.rawValue, request, $0) } ?? barlua_ioctl_none(fd.rawValue, request)
    return try checked(r, fd, name, hint)
  }

  /// The result of an ioctl, or the SystemError for its errno.
  private static func checked(
    _ r: Int32, _ fd: FileDescriptor, _ name: String, _ hint: Hint
  ) throws -> Int32 {
    if r < 0 {
      let e = errno
      throw SystemError("ioctl \(name)", path: fd.path, errno: e, hint: hint(e))
    }
    return r
  }

  /// Advice for errors every VFIO file can give.
  static let permissionHint = "run as root or give your user the device: chown/udev rule"
  static let busyHint = "already in use by another process (another barlua, QEMU, DPDK?)"

  static func commonHint(_ e: Int32) -> String? {
    switch e {
    case EACCES, EPERM: permissionHint
    case EBUSY: busyHint
    default: nil
    }
  }
}
