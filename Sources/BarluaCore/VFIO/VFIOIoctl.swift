import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// VFIO ioctls that throw a `SystemError` naming the request, the file and the errno.
enum VFIOIoctl {
  @discardableResult
  static func call(
    _ fd: FileDescriptor, _ name: String, _ request: UInt, _ arg: UnsafeMutableRawPointer,
    hint: (Int32) -> String? = { _ in nil }
  ) throws -> Int32 {
    let r = barlua_ioctl_ptr(fd.rawValue, request, arg)
    return try checked(r, fd, name, hint)
  }

  @discardableResult
  static func call(
    _ fd: FileDescriptor, _ name: String, _ request: UInt, value: UInt,
    hint: (Int32) -> String? = { _ in nil }
  ) throws -> Int32 {
    let r = barlua_ioctl_int(fd.rawValue, request, value)
    return try checked(r, fd, name, hint)
  }

  @discardableResult
  static func call(
    _ fd: FileDescriptor, _ name: String, _ request: UInt,
    hint: (Int32) -> String? = { _ in nil }
  ) throws -> Int32 {
    let r = barlua_ioctl_none(fd.rawValue, request)
    return try checked(r, fd, name, hint)
  }

  /// The result of an ioctl, or the SystemError for its errno.
  private static func checked(
    _ r: Int32, _ fd: FileDescriptor, _ name: String, _ hint: (Int32) -> String?
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
