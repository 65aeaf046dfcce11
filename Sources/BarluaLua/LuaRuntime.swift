import BarluaCore
import CBarlua
import CLua

#if canImport(Glibc)
  import Glibc
#endif

/// Owns one Lua state with barlua's modules loaded.
///
/// Modules are globals and also `require "barlua.NAME"`. `package.path` searches, in order:
/// BARLUA_PATH, the script's directory, its `lib/` and `../lib/` folders, the repository's
/// `scripts/lib`, then Lua's own path.
public final class LuaRuntime {
  public let L: LuaState

  /// The Swift modules: name and functions.
  static let modules: [(String, [(String, LuaSwiftFunction)])] = [
    ("mmio", MmioModule.functions),
    ("pat", PATModule.functions),
    ("pci", PCIModule.functions),
    ("vfio", VFIOModule.functions),
  ]

  /// - Parameters:
  ///   - ignoreEnvironment: `-E`: ignore LUA_PATH*, LUA_CPATH* and BARLUA_PATH.
  ///   - scriptPath: the script being run, whose folder joins the module path.
  public init?(ignoreEnvironment: Bool = false, scriptPath: String? = nil) {
    guard let L = luaL_newstate() else { return nil }
    self.L = L
    if ignoreEnvironment {
      lua_pushboolean(L, 1)
      lua_setfield(L, clua_registryindex(), "LUA_NOENV")
    }
    // Opening the standard libraries runs Lua code: do it under lua_pcall, from C.
    clua_pushcfunction(L, barlua_openlibs)
    if clua_pcall(L, 0, 0, 0) != clua_ok() {
      clua_pop(L, 1)
      lua_close(L)
      return nil
    }
    for (name, functions) in Self.modules {
      register(name, functions)
    }
    registerType(VFIOModule.typeName, methods: VFIOModule.methods, metamethods: VFIOModule.metamethods)
    registerType(IRQModule.typeName, methods: IRQModule.methods, metamethods: IRQModule.metamethods)
    setModulePath(ignoreEnvironment: ignoreEnvironment, scriptPath: scriptPath)
  }

  deinit { lua_close(L) }

  /// Sets global `name` and `package.loaded["barlua." .. name]` to a table of `functions`.
  func register(_ name: String, _ functions: [(String, LuaSwiftFunction)]) {
    let t = LuaTableBuilder.push(L, nrec: Int32(functions.count))
    for (fname, f) in functions {
      barlua_pushswift(L, f, 0)
      t.setTop(fname)
    }
    lua_pushvalue(L, -1)
    lua_setglobal(L, name)
    clua_getglobal(L, "package")
    lua_getfield(L, -1, "loaded")
    lua_pushvalue(L, -3)
    lua_setfield(L, -2, "barlua.\(name)")
    clua_pop(L, 3)
  }

  /// Registers a userdata type: its shared metatable serves `methods`, then the object's
  /// fields; `metamethods` go into the metatable itself.
  func registerType(
    _ name: String, methods: [(String, LuaSwiftFunction)], metamethods: [(String, LuaSwiftFunction)]
  ) {
    for list in [methods, metamethods] {
      let t = LuaTableBuilder.push(L, nrec: Int32(list.count))
      for (fname, f) in list {
        barlua_pushswift(L, f, 0)
        t.setTop(fname)
      }
    }
    barlua_type_register(L, name)
  }

  private func setModulePath(ignoreEnvironment: Bool, scriptPath: String?) {
    var entries: [String] = []
    if !ignoreEnvironment, let env = getenv("BARLUA_PATH") {
      entries += Self.pathTemplates(String(cString: env))
    }
    if let scriptPath {
      let dir = Self.directory(of: scriptPath)
      entries += ["\(dir)/?.lua", "\(dir)/?/init.lua", "\(dir)/lib/?.lua", "\(dir)/../lib/?.lua"]
    }
    entries.append("\(Self.repositoryLib)/?.lua")
    clua_getglobal(L, "package")
    lua_getfield(L, -1, "path")
    let old = clua_tostring(L, -1).map { String(cString: $0) } ?? ""
    clua_pop(L, 1)
    lua_pushstring(L, (entries + [old]).joined(separator: ";"))
    lua_setfield(L, -2, "path")
    clua_pop(L, 1)
  }

  /// BARLUA_PATH: entries separated by ';' or ':'; a directory stands for `dir/?.lua` and
  /// `dir/?/init.lua`, an entry with `?` is used as it is.
  static func pathTemplates(_ value: String) -> [String] {
    value.split(whereSeparator: { $0 == ";" || $0 == ":" }).flatMap { entry -> [String] in
      let e = String(entry)
      return e.contains("?") ? [e] : ["\(e)/?.lua", "\(e)/?/init.lua"]
    }
  }

  static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  /// The repository's scripts/lib, located from this source file at build time, so a built
  /// barlua finds the shared modules (devices.edu, ...) from any script location.
  static let repositoryLib: String = {
    var p = "\(#filePath)"
    for _ in 0..<3 { p = directory(of: p) }  // Sources/BarluaLua/LuaRuntime.swift -> repo
    return "\(p)/scripts/lib"
  }()
}
