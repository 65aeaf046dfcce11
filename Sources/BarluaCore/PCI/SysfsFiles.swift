#if canImport(Glibc)
  import Glibc
#endif

/// Small file helpers over the POSIX calls, so that every failure keeps its errno and path.
enum SysfsFiles {
  /// Reads up to `limit` bytes of a file.
  static func readBytes(_ path: String, limit: Int = 64 * 1024) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw PCIError.system(call: "open", path: path, errno: errno) }
    defer { close(fd) }
    var bytes = [UInt8](repeating: 0, count: limit)
    var filled = 0
    while filled < limit {
      let n = bytes.withUnsafeMutableBytes { buf in
        read(fd, buf.baseAddress! + filled, limit - filled)
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw PCIError.system(call: "read", path: path, errno: errno)
      }
      if n == 0 { break }
      filled += n
    }
    return Array(bytes.prefix(filled))
  }

  /// A file's text without its trailing newline and spaces.
  static func readText(_ path: String) throws -> String {
    let bytes = try readBytes(path)
    var text = String(decoding: bytes, as: UTF8.self)
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return text
  }

  /// A file's text, or nil when the file does not exist.
  static func readTextIfPresent(_ path: String) throws -> String? {
    do {
      return try readText(path)
    } catch PCIError.system(call: "open", path: _, errno: ENOENT) {
      return nil
    }
  }

  /// A sysfs hex number (`0x10ee`) that must fit `T`.
  static func readHex<T: FixedWidthInteger>(_ path: String, as: T.Type) throws -> T {
    let text = try readText(path)
    guard text.hasPrefix("0x"), let value = T(text.dropFirst(2), radix: 16) else {
      throw PCIError.badFormat(
        path: path, text: text, expected: "a hex number of at most \(T.bitWidth) bits")
    }
    return value
  }

  /// A decimal integer file.
  static func readInt(_ path: String) throws -> Int {
    let text = try readText(path)
    guard let value = Int(text) else {
      throw PCIError.badFormat(path: path, text: text, expected: "a decimal integer")
    }
    return value
  }

  /// A decimal integer file, or nil when the file does not exist.
  static func readIntIfPresent(_ path: String) throws -> Int? {
    guard try exists(path) else { return nil }
    return try readInt(path)
  }

  /// The target of a symbolic link, or nil when the link does not exist.
  static func readLink(_ path: String) throws -> String? {
    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink(path, &buf, buf.count - 1)
    if n < 0 {
      if errno == ENOENT { return nil }
      throw PCIError.system(call: "readlink", path: path, errno: errno)
    }
    return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// The last path component of a link's target (`../../drivers/vfio-pci` → `vfio-pci`).
  static func linkBasename(_ path: String) throws -> String? {
    guard let target = try readLink(path) else { return nil }
    return target.split(separator: "/").last.map(String.init)
  }

  /// The entries of a directory, without `.` and `..`.
  static func list(_ path: String) throws -> [String] {
    guard let dir = opendir(path) else {
      throw PCIError.system(call: "opendir", path: path, errno: errno)
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  /// Whether `path` exists (following links); false only for ENOENT/ENOTDIR, else throws.
  static func exists(_ path: String) throws -> Bool {
    var st = stat()
    if stat(path, &st) == 0 { return true }
    if errno == ENOENT || errno == ENOTDIR { return false }
    throw PCIError.system(call: "stat", path: path, errno: errno)
  }
}
