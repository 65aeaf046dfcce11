#if canImport(Glibc)
  import Glibc
#endif

/// barlua's own Lua modules (`devices.*`, the scripts' libraries), found from the running
/// executable (`/proc/self/exe`), never from a path fixed at build time, so a checkout and an
/// installed package behave the same and a moved binary keeps working:
/// - installed: `PREFIX/bin/barlua` → `PREFIX/share/barlua/lib`;
/// - in a checkout: the `scripts/lib` of the nearest folder above the binary that holds
///   `Package.swift` (`REPO/.build/.../barlua` → `REPO/scripts/lib`).
public enum ModuleFolder {
  public static let path: String? = {
    guard let exe = executablePath() else { return nil }
    return find(executable: exe, exists: { access($0, F_OK) == 0 })
  }()

  /// The folder for an executable at `executable` (a resolved path); `exists` tests a path.
  public static func find(executable: String, exists: (String) -> Bool) -> String? {
    let bin = LuaRuntime.directory(of: executable)
    let installed = LuaRuntime.directory(of: bin) + "/share/barlua/lib"
    if exists(installed) { return installed }
    var dir = bin
    while dir != "/" && dir != "." {
      if exists(dir + "/Package.swift") && exists(dir + "/scripts/lib") { return dir + "/scripts/lib" }
      dir = LuaRuntime.directory(of: dir)
    }
    return nil
  }

  /// readlink(2) of /proc/self/exe.
  static func executablePath() -> String? {
    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { return nil }
    return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
