#if canImport(Glibc)
  import Glibc
#endif

/// An owned file descriptor, closed exactly once (explicitly or on deinit).
public final class FileDescriptor: @unchecked Sendable {
  public private(set) var rawValue: Int32
  public let path: String

  public init(rawValue: Int32, path: String) {
    self.rawValue = rawValue
    self.path = path
  }

  /// `open(2)` with `O_CLOEXEC`; `hint(errno)` adds advice to the error where it is known.
  public static func open(
    _ path: String, flags: Int32, hint: (Int32) -> String? = { _ in nil }
  ) throws -> FileDescriptor {
    let fd = Glibc.open(path, flags | O_CLOEXEC)
    if fd < 0 {
      let e = Glibc.errno
      throw SystemError("open", path: path, errno: e, hint: hint(e))
    }
    return FileDescriptor(rawValue: fd, path: path)
  }

  public var isOpen: Bool { rawValue >= 0 }

  public func close() {
    if rawValue >= 0 {
      _ = Glibc.close(rawValue)
      rawValue = -1
    }
  }

  deinit { close() }
}
