import CLua

/// Building Lua tables from Swift with raw sets only (no metamethods can run, so nothing
/// raises except on memory exhaustion).
struct LuaTableBuilder {
  let L: LuaState

  /// Pushes a new table and returns a builder for it (it stays on top of the stack).
  @discardableResult
  static func push(_ L: LuaState, narr: Int32 = 0, nrec: Int32 = 0) -> LuaTableBuilder {
    lua_createtable(L, narr, nrec)
    return LuaTableBuilder(L: L)
  }

  func set(_ key: String, _ value: Int64?) {
    guard let value else { return }
    lua_pushinteger(L, value)
    setTop(key)
  }

  func set(_ key: String, _ value: Int?) { set(key, value.map { Int64($0) }) }

  /// 64-bit unsigned values become Lua integers by two's complement (as `read64` does).
  func set(_ key: String, bits value: UInt64?) {
    set(key, value.map { Int64(bitPattern: $0) })
  }

  func set(_ key: String, _ value: Double?) {
    guard let value else { return }
    lua_pushnumber(L, value)
    setTop(key)
  }

  func set(_ key: String, _ value: String?) {
    guard let value else { return }
    lua_pushstring(L, value)
    setTop(key)
  }

  func set(_ key: String, _ value: Bool?) {
    guard let value else { return }
    lua_pushboolean(L, value ? 1 : 0)
    setTop(key)
  }

  /// Sets `key` to the value on top of the stack (popping it).
  func setTop(_ key: String) {
    lua_pushstring(L, key)
    lua_rotate(L, -2, 1)
    lua_rawset(L, -3)
  }

  /// Sets t[i] to the value on top of the stack (popping it).
  func setTop(index i: Int64) {
    lua_rawseti(L, -2, i)
  }
}
