import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// VFIO ioctls that throw a `SystemError` naming the request, the file and the errno. A
/// request is its entry in barlua_vfio.h's one list (`BARLUA_IOCTL_VFIO_DEVICE_RESET`, ...),
/// which gives both its number and its name (numbers alone repeat across VFIO object types);
/// `detail` adds what it was asked about: `VFIO_DEVICE_GET_REGION_INFO(BAR0)`.
enum VFIOIoctl {
  /// Advice for an errno, or nil.
  typealias Hint = (Int32) -> String?

  /// An ioctl whose argument points to a structure the kernel reads or fills.
  @discardableResult
  static func call(
    _ fd: FileDescriptor, _ request: Int, _ arg: UnsafeMutableRawPointer, detail: String? = nil,
    hint: Hint = { _ in nil }
  ) throws -> Int32 {
    let number = barlua_vfio_ioctl_number(Int32(request))
    return try checked(barlua_ioctl_ptr(fd.rawValue, number, arg), fd, name(request, detail), hint)
  }

  /// An ioctl whose argument is an integer `value`, or that takes none.
  @discardableResult
  static func call(
    _ fd: FileDescriptor, _ request: Int, value: UInt? = nil, hint: Hint = { _ in nil }
  ) throws -> Int32 {
    let number = barlua_vfio_ioctl_number(Int32(request))
    let r = value.map { barlua_ioctl_int(fd.rawValue, number, $0) } ?? barlua_ioctl_none(fd.rawValue, number)
    return try checked(r, fd, name(request, nil), hint)
  }

  /// The request's name from its list entry, with `detail` in parentheses:
  /// `VFIO_DEVICE_SET_IRQS(MSI, enable)`.
  static func name(_ request: Int, _ detail: String? = nil) -> String {
    let base = barlua_vfio_ioctl_name(Int32(request)).map { String(cString: $0) } ?? "request \(request)"
    return base + (detail.map { "(\($0))" } ?? "")
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
