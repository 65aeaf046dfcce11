#if canImport(Glibc)
  import Glibc
#endif

/// barlua's own Lua modules (`devices.*`, the scripts' libraries): two places only, both fixed
/// when barlua is built or installed, never found by walking up from the binary:
/// - installed: `PREFIX/bin/barlua` → `PREFIX/share/barlua/lib` (the Debian package:
///   `/usr/bin/barlua`, `/usr/share/barlua/lib`);
/// - the checkout the binary was built from (its path compiled in through `#filePath`), and
///   only while the running binary is inside it: `REPO/.build/.../barlua` → `REPO/scripts/lib`.
///
/// The searcher loads a file from either only when it passes the trust rule (barlua_trust.h).
public enum ModuleFolder {
  public static let path: String? = {
    guard let exe = executablePath() else { return nil }
    // /proc/self/exe is resolved: so must the checkout be (a home folder behind a link).
    let built = checkout.map { path in
      realpath(path, nil).map { r in
        defer { free(r) }
        return String(cString: r)
      } ?? path
    }
    return find(executable: exe, checkout: built, exists: { access($0, F_OK) == 0 })
  }()

  /// The checkout this file was compiled in: `REPO/Sources/BarluaLua/ModuleFolder.swift`.
  /// A packaged build (`-Xswiftc -DBARLUA_PACKAGE`, scripts/package) has none: an installed
  /// binary knows only its installed folder and names no build tree.
  static let checkout: String? = {
    #if BARLUA_PACKAGE
      return nil
    #else
      return checkoutOfThisFile()
    #endif
  }()

  private static func checkoutOfThisFile() -> String? {
    let file = #filePath
    guard file.hasPrefix("/") else { return nil }
    var dir = file
    for _ in 0..<3 { dir = LuaRuntime.directory(of: dir) }
    return dir == "/" ? nil : dir
  }

  /// The folder for an executable at `executable` (a resolved path) built in `checkout`;
  /// `exists` tests a path.
  public static func find(executable: String, checkout: String?, exists: (String) -> Bool) -> String? {
    let bin = LuaRuntime.directory(of: executable)
    let installed = LuaRuntime.directory(of: bin) + "/share/barlua/lib"
    if bin != "/", exists(installed) { return installed }
    if let checkout, executable.hasPrefix(checkout + "/"), exists(checkout + "/scripts/lib") {
      return checkout + "/scripts/lib"
    }
    return nil
  }

  /// readlink(2) of /proc/self/exe (nil when it is not UTF-8: no module folder then).
  static func executablePath() -> String? {
    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { return nil }
    return String(validating: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
