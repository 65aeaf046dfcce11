import CBarlua
import CLua

/// A `lua_State *` as Swift sees it.
public typealias LuaState = OpaquePointer

/// The type of a Swift function exported to Lua: returns the number of results, or
/// `BARLUA_RAISE` after pushing an error message (the C trampoline then raises it).
public typealias LuaSwiftFunction = @convention(c) (LuaState?) -> Int32

/// Runs `body` as the implementation of the Lua function `name` and turns a thrown error into
/// a pushed message plus `BARLUA_RAISE`. Nothing here raises: the trampoline does that once
/// this Swift frame has returned.
@inline(__always)
func luaCall(_ L: LuaState?, _ name: String, _ body: (LuaState) throws -> Int32) -> Int32 {
  guard let L else { return 0 }
  do {
    return try body(L)
  } catch {
    // A bad argument already names the function; every other error is named here, once.
    let text = error is LuaArgumentError ? "\(error)" : "\(name): \(LuaWording.describe(error))"
    luaL_where(L, 1)
    let location = clua_tostring(L, -1).map { String(cString: $0) } ?? ""
    clua_pop(L, 1)
    lua_pushstring(L, location + text)
    return BARLUA_RAISE
  }
}

/// `luaCall` for a function that takes at most `maxArgs` arguments (`usage` names them in the
/// error); `body` gets the state and the arguments.
func luaFunction(
  _ L: LuaState?, _ name: String, atMost maxArgs: Int32, _ usage: String,
  _ body: (LuaState, LuaArgs) throws -> Int32
) -> Int32 {
  luaCall(L, name) { L in
    let args = LuaArgs(L: L, fn: name)
    try args.expectAtMost(maxArgs, usage)
    return try body(L, args)
  }
}

/// A bad argument, worded for Lua users; its text starts with the function's name.
struct LuaArgumentError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}

/// Reads the arguments of one Lua call without raising: each accessor throws a
/// `LuaArgumentError` that names the function and the argument.
struct LuaArgs {
  let L: LuaState
  let fn: String

  var count: Int32 { lua_gettop(L) }

  func typeName(_ i: Int32) -> String {
    lua_type(L, i) == LUA_TNONE ? "no value" : String(cString: lua_typename(L, lua_type(L, i)))
  }

  func expectAtMost(_ n: Int32, _ usage: String) throws {
    if count > n {
      throw LuaArgumentError(
        "\(fn): takes at most \(n) argument\(n == 1 ? "" : "s") (\(usage)), got \(count)")
    }
  }

  /// A string that names something: a path, a PCI address, a driver. The kernel and libc
  /// read such names up to the first NUL byte, so a string with one inside would silently
  /// name something else ("/dev/shm/x\0junk" is "/dev/shm/x"): it is refused.
  func string(_ i: Int32, _ what: String) throws -> String {
    let bytes = try stringBytes(i, what)
    if let nul = bytes.firstIndex(of: 0) {
      let before = String(decoding: bytes[..<nul], as: UTF8.self)
      throw LuaArgumentError(
        "\(fn): \(what) contains a NUL byte (\\0) at byte \(nul + 1) of \(bytes.count);"
          + " the system would read only \"\(before)\": remove the NUL byte")
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// A string of any bytes, NUL included (text to parse, not a name).
  func text(_ i: Int32, _ what: String) throws -> String {
    String(decoding: try stringBytes(i, what), as: UTF8.self)
  }

  private func stringBytes(_ i: Int32, _ what: String) throws -> UnsafeBufferPointer<UInt8> {
    var len = 0
    guard lua_type(L, i) == LUA_TSTRING, let p = lua_tolstring(L, i, &len) else {
      throw LuaArgumentError("\(fn): \(what) must be a string, got \(typeName(i))")
    }
    // Valid while the string is on the stack (an argument: for the whole call).
    return UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: len)
  }

  func integer(_ i: Int32, _ what: String) throws -> Int64 {
    var isnum: Int32 = 0
    let v = clua_tointegerx(L, i, &isnum)
    if isnum == 0 {
      if lua_type(L, i) == LUA_TNUMBER {
        throw LuaArgumentError(
          "\(fn): \(what) must be an integer, got \(clua_tonumberx(L, i, nil))")
      }
      throw LuaArgumentError("\(fn): \(what) must be an integer, got \(typeName(i))")
    }
    return v
  }

  func nonNegative(_ i: Int32, _ what: String) throws -> UInt64 {
    let v = try integer(i, what)
    if v < 0 { throw LuaArgumentError("\(fn): \(what) \(v) is negative") }
    return UInt64(v)
  }

  func isNoneOrNil(_ i: Int32) -> Bool { clua_isnoneornil(L, i) != 0 }

  /// An optional options table at `i`; unknown keys are an error (they are usually typos).
  func options(_ i: Int32, allowed: [String]) throws -> LuaOptions? {
    if isNoneOrNil(i) { return nil }
    guard lua_type(L, i) == LUA_TTABLE else {
      throw LuaArgumentError("\(fn): options must be a table, got \(typeName(i))")
    }
    let t = lua_absindex(L, i)
    lua_pushnil(L)
    while lua_next(L, t) != 0 {
      let key = lua_type(L, -2) == LUA_TSTRING ? clua_tostring(L, -2).map { String(cString: $0) } : nil
      clua_pop(L, 1)
      guard let key, allowed.contains(key) else {
        clua_pop(L, 1)
        let what = key.map { "unknown option '\($0)'" } ?? "option keys must be names"
        throw LuaArgumentError("\(fn): \(what) (expected \(allowed.joined(separator: ", ")))")
      }
    }
    return LuaOptions(args: self, index: t)
  }
}

/// Typed access to an options table (raw access: no metamethods run).
struct LuaOptions {
  let args: LuaArgs
  let index: Int32

  private func field<T>(_ key: String, _ read: (Int32) throws -> T) throws -> T? {
    let L = args.L
    lua_pushstring(L, key)
    lua_rawget(L, index)
    defer { clua_pop(L, 1) }
    if clua_isnil(L, -1) != 0 { return nil }
    return try read(lua_gettop(L))
  }

  func integer(_ key: String) throws -> Int64? {
    try field(key) { try args.integer($0, "option \(key)") }
  }

  func nonNegative(_ key: String) throws -> UInt64? {
    try field(key) { try args.nonNegative($0, "option \(key)") }
  }

  func string(_ key: String) throws -> String? {
    try field(key) { try args.string($0, "option \(key)") }
  }

  func boolean(_ key: String) throws -> Bool? {
    try field(key) { i in
      guard lua_type(args.L, i) == LUA_TBOOLEAN else {
        throw LuaArgumentError(
          "\(args.fn): option \(key) must be a boolean, got \(args.typeName(i))")
      }
      return lua_toboolean(args.L, i) != 0
    }
  }
}
