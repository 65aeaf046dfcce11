#if canImport(Glibc)
  import Glibc
#endif

/// Typed reads of sysfs files over the one file reader (`SystemFile`): every failure a
/// `SystemError` keeping its errno and path, every malformed text a content error.
enum SysfsFiles {
  static let permissionHint = "run as root or give your user read access to the file"

  /// Reads up to `limit` bytes of a file.
  static func readBytes(_ path: String, limit: Int = 64 * 1024) throws(SystemError) -> [UInt8] {
    do {
      return try SystemFile.read(path, limit: limit)
    } catch {
      throw withPermissionHint(error)
    }
  }

  private static func withPermissionHint(_ error: SystemError) -> SystemError {
    var error = error
    if error.errno == EACCES || error.errno == EPERM { error.hint = permissionHint }
    return error
  }

  /// A file's text without its trailing newline and spaces.
  static func readText(_ path: String) throws(SystemError) -> String {
    let bytes = try readBytes(path)
    var text = String(decoding: bytes, as: UTF8.self)
    while let last = text.last, last.isWhitespace { text.removeLast() }
    return text
  }

  /// A file's text, or nil when the file does not exist.
  static func readTextIfPresent(_ path: String) throws(SystemError) -> String? {
    do {
      return try readText(path)
    } catch  where error.call == "open" && error.errno == ENOENT {
      return nil
    }
  }

  /// A sysfs hex number (`0x10ee`) that must fit `T`.
  static func readHex<T: FixedWidthInteger>(_ path: String, as: T.Type) throws(SystemError) -> T {
    let text = try readText(path)
    guard text.hasPrefix("0x"), let value = T(text.dropFirst(2), radix: 16) else {
      throw SystemError(
        content: path, text: text, expected: "a hex number of at most \(T.bitWidth) bits")
    }
    return value
  }

  /// A decimal integer file, or nil when the file does not exist.
  static func readIntIfPresent(_ path: String) throws(SystemError) -> Int? {
    guard let text = try readTextIfPresent(path) else { return nil }
    guard let value = Int(text) else {
      throw SystemError(content: path, text: text, expected: "a decimal integer")
    }
    return value
  }

  /// The target of a symbolic link, or nil when the link does not exist.
  static func readLink(_ path: String) throws(SystemError) -> String? {
    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink(path, &buf, buf.count - 1)
    if n < 0 {
      if errno == ENOENT { return nil }
      throw withPermissionHint(SystemError.current("readlink", path: path))
    }
    return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// The last path component of a link's target (`../../drivers/vfio-pci` → `vfio-pci`).
  static func linkBasename(_ path: String) throws(SystemError) -> String? {
    guard let target = try readLink(path) else { return nil }
    return target.split(separator: "/").last.map(String.init)
  }

  /// The entries of a directory, without `.` and `..`.
  static func list(_ path: String) throws(SystemError) -> [String] {
    guard let dir = opendir(path) else {
      throw withPermissionHint(SystemError.current("opendir", path: path))
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
  static func exists(_ path: String) throws(SystemError) -> Bool {
    var st = stat()
    if stat(path, &st) == 0 { return true }
    if errno == ENOENT || errno == ENOTDIR { return false }
    throw withPermissionHint(SystemError.current("stat", path: path))
  }
}
