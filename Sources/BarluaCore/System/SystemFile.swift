#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The one reader of kernel files (/proc, /sys, debugfs, which report size 0): whole-file or
/// bounded reads, retried on EINTR, every failure a `SystemError` with its call, path and errno.
enum SystemFile {
  /// Up to `limit` bytes of the file (all of it when nil).
  static func read(_ path: String, limit: Int? = nil) throws(SystemError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw SystemError.current("open", path: path) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: min(limit ?? 65536, 65536))
    while limit.map({ bytes.count < $0 }) ?? true {
      let want = min(buffer.count, (limit ?? Int.max) - bytes.count)
      let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) }
      if count > 0 {
        bytes += buffer[0..<count]
      } else if count == 0 {
        break
      } else if errno != EINTR {
        throw SystemError.current("read", path: path)
      }
    }
    return bytes
  }

  static func readText(_ path: String, limit: Int? = nil) throws(SystemError) -> String {
    String(decoding: try read(path, limit: limit), as: UTF8.self)
  }

  static func exists(_ path: String) -> Bool {
    access(path, F_OK) == 0
  }
}
