#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The kernel's table of PAT reservations, `/sys/kernel/debug/x86/pat_memtype_list`.
///
/// Two formats (the file starts with a `PAT memtype list:` header line):
/// - 4.3+: `PAT: [mem 0x%016Lx-0x%016Lx] %s`
/// - older: `%s @ 0x%Lx-0x%Lx`
/// Both print the entry's start and its exclusive end (`entry->end`); `last` here is inclusive.
public struct MemtypeList: Sendable {
  /// One reservation; only the parser makes one, so it has no public initialiser.
  public struct Entry: Equatable, Sendable {
    public var first: UInt64
    /// Inclusive last byte.
    public var last: UInt64
    /// The memory type as the kernel prints it, e.g. "write-combining".
    public var type: String
  }

  public static let defaultPath = "/sys/kernel/debug/x86/pat_memtype_list"

  public var path: String
  /// Where debugfs is normally mounted.
  public var debugfsPath: String
  public var mountsPath: String
  public var lockdownPath: String

  public init(
    path: String = MemtypeList.defaultPath, debugfsPath: String = "/sys/kernel/debug",
    mountsPath: String = "/proc/mounts", lockdownPath: String = "/sys/kernel/security/lockdown"
  ) {
    self.path = path
    self.debugfsPath = debugfsPath
    self.mountsPath = mountsPath
    self.lockdownPath = lockdownPath
  }

  /// Reads and parses the list; the error says why it cannot be read where that is known.
  public func entries() throws(SystemError) -> [Entry] {
    let text: String
    do {
      text = try SystemFile.readText(path)
    } catch {
      var error = error
      error.cause = explain(errno: error.errno ?? 0)
      if error.cause == nil { error.hint = "cannot read the PAT memtype list" }
      throw error
    }
    return try Self.parse(text, path: path)
  }

  public static func entries() throws(SystemError) -> [Entry] { try MemtypeList().entries() }

  /// Parses the file's text; an unknown line is an error (a new format must not read as empty).
  public static func parse(_ text: String, path: String = defaultPath) throws(SystemError) -> [Entry] {
    var entries: [Entry] = []
    for line in text.split(whereSeparator: \.isNewline) {
      let trimmed = line.drop { $0 == " " }
      if trimmed.isEmpty || trimmed.hasPrefix("PAT memtype list") { continue }
      guard let entry = parseEntry(trimmed) else {
        throw SystemError(
          content: path, text: String(trimmed.prefix(80)), expected: "a PAT memtype list line",
          call: "parse")
      }
      entries.append(entry)
    }
    return entries
  }

  private static let newFormat = PATTemplate("PAT: [mem {first}-{last}] {track}")
  private static let oldFormat = PATTemplate("{track} @ {first}-{last}")

  private static func parseEntry(_ line: Substring) -> Entry? {
    var bytes = Array(line.utf8)
    while bytes.last == UInt8(ascii: " ") || bytes.last == UInt8(ascii: "\r") {
      bytes.removeLast()
    }
    guard let fields = newFormat.match(bytes) ?? oldFormat.match(bytes),
      let first = fields[.first].flatMap(hexValue), let end = fields[.last].flatMap(hexValue),
      let type = fields[.track]
    else { return nil }
    return Entry(first: first, last: end &- 1, type: String(type))
  }

  private static func hexValue(_ text: Substring) -> UInt64? {
    UInt64(text.hasPrefix("0x") ? text.dropFirst(2) : text, radix: 16)
  }

  /// Why the file could not be read, from the errno and the state of debugfs and lockdown
  /// (nil when none of those explains it).
  func explain(errno code: Int32) -> SystemCause? {
    if let lockdown = lockdownMode(), lockdown != "none" {
      return .lockdown(mode: lockdown, file: lockdownPath)
    }
    switch code {
    case EACCES, EPERM: return .rootOnly
    case ENOENT: return debugfsMounted() ? .noPATMemtypeList : .debugfsNotMounted(path: debugfsPath)
    default: return nil
    }
  }

  /// The selected lockdown mode (`[none]`, `[integrity]`, `[confidentiality]`), nil if unknown.
  func lockdownMode() -> String? {
    guard let text = try? SystemFile.readText(lockdownPath),
      let open = text.firstIndex(of: "["), let close = text[open...].firstIndex(of: "]")
    else { return nil }
    return String(text[text.index(after: open)..<close])
  }

  /// True when /proc/mounts lists a debugfs at `debugfsPath`.
  func debugfsMounted() -> Bool {
    guard let mounts = try? SystemFile.readText(mountsPath) else {
      return SystemFile.exists(debugfsPath + "/x86")
    }
    return mounts.split(whereSeparator: \.isNewline).contains { line in
      let fields = line.split(separator: " ")
      return fields.count >= 3 && fields[1] == debugfsPath && fields[2] == "debugfs"
    }
  }
}
