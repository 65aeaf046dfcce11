#if canImport(Glibc)
  import Glibc
#endif

/// A failed system call: which call, on what, the errno, and what to do about it.
///
/// `description` reads like
/// `open /dev/vfio/41: Permission denied (errno 13): run as root or give your user the device`.
public struct SystemError: Error, CustomStringConvertible, Equatable, Sendable {
  public let call: String
  public let path: String?
  public let errno: Int32
  public let hint: String?

  public init(_ call: String, path: String? = nil, errno: Int32, hint: String? = nil) {
    self.call = call
    self.path = path
    self.errno = errno
    self.hint = hint
  }

  /// Captures the calling thread's current `errno`.
  public static func current(_ call: String, path: String? = nil, hint: String? = nil)
    -> SystemError
  {
    SystemError(call, path: path, errno: Glibc.errno, hint: hint)
  }

  public var errnoText: String { String(cString: strerror(errno)) }

  public var description: String {
    var s = call
    if let path { s += " \(path)" }
    s += ": \(errnoText) (errno \(errno))"
    if let hint { s += ": \(hint)" }
    return s
  }
}

/// A request that cannot be carried out, explained in words (bad argument, absent region, ...).
public struct UsageError: Error, CustomStringConvertible, Equatable, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
