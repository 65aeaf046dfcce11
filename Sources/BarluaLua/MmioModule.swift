import BarluaCore
import CLua

/// `mmio` — any file that can be mapped (api.md §mmio).
enum MmioModule {
  static let functions: [(String, LuaSwiftFunction)] = [("map", map)]

  /// mmio.map(path[, {offset=, size=, write=}]) -> bar; `write = false` opens and maps the
  /// file read-only (the bar then refuses writes).
  static let map: LuaSwiftFunction = { L in
    luaFunction(L, "mmio.map", atMost: 2, "path, {offset=, size=, write=}") { L, args in
      let path = try args.string(1, "path")
      let opts = try args.options(2, allowed: ["offset", "size", "write"])
      let offset = try opts?.nonNegative("offset") ?? 0
      let size = try opts?.nonNegative("size")
      let writable = try opts?.boolean("write") ?? true
      if size == 0 { throw LuaArgumentError("mmio.map: option size must be greater than 0") }
      let mapping = try Mapping.mapFile(
        path: path, offset: offset, size: size, writable: writable)
      BarObject.push(L, mapping)
      return 1
    }
  }
}
