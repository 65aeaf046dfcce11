import CBarlua
import CLua

/// A value Swift puts into a Lua table. Pushing one is a push, `lua_createtable` or a raw
/// set: no metamethod runs, so nothing raises except on memory exhaustion.
protocol LuaValue {
  func push(_ L: LuaState)
}

extension Int: LuaValue {
  func push(_ L: LuaState) { lua_pushinteger(L, Int64(self)) }
}

extension Int64: LuaValue {
  func push(_ L: LuaState) { lua_pushinteger(L, self) }
}

extension UInt8: LuaValue {
  func push(_ L: LuaState) { lua_pushinteger(L, Int64(self)) }
}

extension UInt16: LuaValue {
  func push(_ L: LuaState) { lua_pushinteger(L, Int64(self)) }
}

extension UInt32: LuaValue {
  func push(_ L: LuaState) { lua_pushinteger(L, Int64(self)) }
}

/// 64-bit unsigned values become Lua integers by two's complement (as `read64` does).
extension UInt64: LuaValue {
  func push(_ L: LuaState) { lua_pushinteger(L, Int64(bitPattern: self)) }
}

extension Double: LuaValue {
  func push(_ L: LuaState) { lua_pushnumber(L, self) }
}

extension String: LuaValue {
  func push(_ L: LuaState) { lua_pushstring(L, self) }
}

extension Bool: LuaValue {
  func push(_ L: LuaState) { lua_pushboolean(L, self ? 1 : 0) }
}

/// A value already on the Lua stack, at an absolute index (an argument: `self` is 1).
struct LuaStackValue: LuaValue {
  let index: Int32
  init(_ index: Int32) { self.index = index }
  func push(_ L: LuaState) { lua_pushvalue(L, index) }
}

/// A C function (no upvalues), e.g. a bar method.
struct LuaCFunction: LuaValue {
  let function: lua_CFunction
  init(_ function: lua_CFunction) { self.function = function }
  func push(_ L: LuaState) { clua_pushcfunction(L, function) }
}

/// A Swift function exported to Lua through the raising trampoline (LuaCall.swift).
struct LuaExportedFunction: LuaValue {
  let function: LuaSwiftFunction
  func push(_ L: LuaState) { barlua_pushswift(L, function, 0) }
}

/// A table of named fields, set in the order given; a nil value leaves its field out.
struct LuaRecord: LuaValue, ExpressibleByDictionaryLiteral {
  let fields: [(key: String, value: (any LuaValue)?)]

  init(dictionaryLiteral fields: (String, (any LuaValue)?)...) { self.fields = fields.map { ($0, $1) } }

  /// The functions of a module or a metatable, by name.
  init(functions: [(String, LuaSwiftFunction)]) {
    self.fields = functions.map { ($0, LuaExportedFunction(function: $1)) }
  }

  /// Fields whose names come from data (a kernel file's names), in order.
  init(pairs: [(String, (any LuaValue)?)]) { self.fields = pairs.map { ($0, $1) } }

  private init(fields: [(key: String, value: (any LuaValue)?)]) { self.fields = fields }

  /// These fields, then those of `more`.
  func adding(_ more: LuaRecord) -> LuaRecord { LuaRecord(fields: fields + more.fields) }

  func push(_ L: LuaState) {
    lua_createtable(L, 0, Int32(fields.count))
    for case (let key, let value?) in fields {
      lua_pushstring(L, key)
      value.push(L)
      lua_rawset(L, -3)
    }
  }
}

/// A table of values at integer keys: the sequence 1, 2, ... of `items`, or (as for BARs)
/// each at the key `key` gives it.
struct LuaList<Item>: LuaValue {
  let items: [Item]
  let key: ((Item) -> Int)?
  let value: (Item) -> any LuaValue

  init(_ items: [Item], key: ((Item) -> Int)? = nil, _ value: @escaping (Item) -> any LuaValue) {
    self.items = items
    self.key = key
    self.value = value
  }

  func push(_ L: LuaState) {
    // A keyed list's keys may have gaps (BARs 0, 2, 4): size its hash part, not its array.
    let count = Int32(items.count)
    lua_createtable(L, key == nil ? count : 0, key == nil ? 0 : count)
    for (n, item) in items.enumerated() {
      value(item).push(L)
      lua_rawseti(L, -2, Int64(key?(item) ?? n + 1))
    }
  }
}
