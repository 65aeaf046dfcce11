#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Whole-file reads with errno kept, for /proc, /sys and debugfs files (which report size 0).
enum SystemFile {
  /// The file's bytes; on failure the call's errno (hint left for the caller to add).
  static func read(_ path: String) throws(PATError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw PATError(call: "open", path: path, errno: errno) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if count > 0 {
        bytes += buffer[0..<count]
      } else if count == 0 {
        return bytes
      } else if errno != EINTR {
        throw PATError(call: "read", path: path, errno: errno)
      }
    }
  }

  static func readText(_ path: String) throws(PATError) -> String {
    String(decoding: try read(path), as: UTF8.self)
  }

  static func exists(_ path: String) -> Bool {
    access(path, F_OK) == 0
  }
}
