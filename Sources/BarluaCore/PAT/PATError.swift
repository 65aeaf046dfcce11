#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A failed system call (or an unusable file) while observing PAT: which call, on what path,
/// the errno, and what to do about it.
///
/// `description` reads like
/// `open /dev/kmsg: Permission denied (errno 13): kernel.dmesg_restrict=1 hides ...`.
public struct PATError: Error, CustomStringConvertible, Equatable, Sendable {
  public var call: String
  public var path: String
  /// The errno of the failed call; 0 when the problem is not a failed call (e.g. bad content).
  public var errno: Int32
  public var hint: String?

  public init(call: String, path: String, errno: Int32, hint: String? = nil) {
    self.call = call
    self.path = path
    self.errno = errno
    self.hint = hint
  }

  public var description: String {
    var text = "\(call) \(path)"
    if errno != 0 {
      text += ": \(String(cString: strerror(errno))) (errno \(errno))"
    }
    if let hint { text += ": \(hint)" }
    return text
  }
}
