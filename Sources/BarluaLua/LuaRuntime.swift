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
/// (`ModuleFolder`), through one package.searchers entry (CBarlua/searcher.c) that loads
/// only files passing the trust rule (barlua_trust.h). Paths are bytes, as the command line
/// and the environment gave them.
public final class LuaRuntime {
  public let L: LuaState

  /// The Swift modules: name and functions.
  static let modules: [(String, [(String, LuaSwiftFunction)])] = [
    ("mmio", MmioModule.functions),
    ("pat", PATModule.functions),
    ("pci", PCIModule.functions + PCIConfigModule.functions + PCILifecycleModule.functions),
    ("vfio", VFIOModule.functions),
  ]

  /// - Parameters:
  ///   - ignoreEnvironment: `-E`: ignore LUA_PATH*, LUA_CPATH* and BARLUA_PATH.
  ///   - scriptPath: the script being run, whose folder joins the module path.
  public init?(ignoreEnvironment: Bool = false, scriptPath: [UInt8]? = nil) {
    guard let L = luaL_newstate() else { return nil }
    self.L = L
    barlua_tune_lua_heap(L)
    if ignoreEnvironment {
      lua_pushboolean(L, 1)
      lua_setfield(L, clua_registryindex(), "LUA_NOENV")
    }
    // barlua's version, for what keys data by it (the register map cache, barlua.cache_core).
    lua_pushstring(L, BarluaVersion.string)
    lua_setfield(L, clua_registryindex(), "barlua.version")
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
    registerType(
      PCIConfigModule.typeName, methods: PCIConfigModule.methods, metamethods: PCIConfigModule.metamethods)
    let templates = Self.searchTemplates(ignoreEnvironment: ignoreEnvironment, scriptPath: scriptPath)
    let joined = Array(templates.joined(separator: [UInt8(ascii: ";")])) + [0]
    let script = scriptPath.map { $0 + [0] }
    joined.withUnsafeBufferPointer { t in
      t.withMemoryRebound(to: CChar.self) { t in
        if let script {
          script.withUnsafeBufferPointer { s in
            s.withMemoryRebound(to: CChar.self) { barlua_add_searcher(L, t.baseAddress, $0.baseAddress) }
          }
        } else {
          barlua_add_searcher(L, t.baseAddress, nil)
        }
      }
    }
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
  static func searchTemplates(ignoreEnvironment: Bool, scriptPath: [UInt8]?) -> [[UInt8]] {
    var entries: [[UInt8]] = []
    if !ignoreEnvironment, let env = getenv("BARLUA_PATH") {
      entries += Self.pathTemplates(
        Array(UnsafeBufferPointer(start: env, count: strlen(env))).map { UInt8(bitPattern: $0) })
    }
    if let scriptPath {
      let dir = Self.directory(of: scriptPath)
      entries += ["/?.lua", "/?/init.lua", "/lib/?.lua", "/../lib/?.lua"].map { dir + Array($0.utf8) }
    }
    if let own = ModuleFolder.path { entries += [Array("\(own)/?.lua".utf8), Array("\(own)/?/init.lua".utf8)] }
    return entries
  }

  /// BARLUA_PATH: entries separated by ';' or ':'; a directory stands for `dir/?.lua` and
  /// `dir/?/init.lua`, an entry with `?` is used as it is.
  static func pathTemplates(_ value: [UInt8]) -> [[UInt8]] {
    value.split(whereSeparator: { $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: ":") }).flatMap { entry -> [[UInt8]] in
      let e = Array(entry)
      return e.contains(UInt8(ascii: "?")) ? [e] : [e + Array("/?.lua".utf8), e + Array("/?/init.lua".utf8)]
    }
  }

  /// The folder part of a path given as bytes.
  static func directory(of path: [UInt8]) -> [UInt8] {
    guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return [UInt8(ascii: ".")] }
    return slash == 0 ? [UInt8(ascii: "/")] : Array(path[..<slash])
  }

  static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }
}
