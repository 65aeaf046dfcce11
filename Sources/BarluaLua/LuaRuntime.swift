import BarluaCore
import CBarlua
import CLua

#if canImport(Glibc)
  import Glibc
#endif

/// Owns one Lua state with barlua's modules loaded.
///
/// Modules are globals and also `require "barlua.NAME"` (package.preload). `require` searches,
/// after package.preload and before Lua's own `package.path` (left as Lua sets it):
/// BARLUA_PATH, the script's folder, its `lib/` and `../lib/`, then barlua's own modules
/// (`ModuleFolder`), through one package.searchers entry.
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
    barlua_tune_lua_heap(L)
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
    clua_getglobal(L, "pat")
    PATModule.addParse(L)  // a C function over a Swift line parser (CBarlua/pat_parse.c)
    clua_pop(L, 1)
    registerType(VFIOModule.typeName, methods: VFIOModule.methods, metamethods: VFIOModule.metamethods)
    // pci.devices{board=} and vfio.open{board=}: a Lua wrapper over the Swift functions.
    clua_pushcfunction(L, barlua_install_board_filter)
    if clua_pcall(L, 0, 0, 0) != clua_ok() { clua_pop(L, 1) }
    registerType(IRQModule.typeName, methods: IRQModule.methods, metamethods: IRQModule.metamethods)
    barlua_add_searcher(
      L, Self.searchTemplates(ignoreEnvironment: ignoreEnvironment, scriptPath: scriptPath).joined(separator: ";"))
  }

  deinit { lua_close(L) }

  /// Sets global `name` and `package.preload["barlua." .. name]` to a table of `functions`.
  func register(_ name: String, _ functions: [(String, LuaSwiftFunction)]) {
    LuaRecord(functions: functions).push(L)
    lua_pushvalue(L, -1)
    lua_setglobal(L, name)
    barlua_preload_value(L, "barlua.\(name)")
  }

  /// Registers a userdata type: its shared metatable serves `methods`, then the object's
  /// fields; `metamethods` go into the metatable itself.
  func registerType(
    _ name: String, methods: [(String, LuaSwiftFunction)], metamethods: [(String, LuaSwiftFunction)]
  ) {
    LuaRecord(functions: methods).push(L)
    LuaRecord(functions: metamethods).push(L)
    barlua_type_register(L, name)
  }

  /// The `?` templates of barlua's package.searchers entry, in search order.
  static func searchTemplates(ignoreEnvironment: Bool, scriptPath: String?) -> [String] {
    var entries: [String] = []
    if !ignoreEnvironment, let env = getenv("BARLUA_PATH") {
      entries += Self.pathTemplates(String(cString: env))
    }
    if let scriptPath {
      let dir = Self.directory(of: scriptPath)
      entries += ["\(dir)/?.lua", "\(dir)/?/init.lua", "\(dir)/lib/?.lua", "\(dir)/../lib/?.lua"]
    }
    if let own = ModuleFolder.path { entries += ["\(own)/?.lua", "\(own)/?/init.lua"] }
    return entries
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
}
