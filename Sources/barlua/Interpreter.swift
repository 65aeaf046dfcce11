import BarluaLua
import CBarlua
import CLua

#if canImport(Glibc)
  import Glibc
#endif

/// Runs chunks the way lua.c does: under a traceback message handler, with Ctrl-C (and
/// SIGTERM) armed, reporting errors as `PROGNAME: message` on stderr (PROGNAME is argv[0],
/// as in lua.c). Everything from the command line and the environment is bytes, passed to Lua
/// as they are (not decoded as UTF-8), as lua.c does.
final class Interpreter {
  let L: LuaState
  /// The program name as invoked (argv[0]), the prefix of error messages.
  nonisolated(unsafe) static var progname = Array("barlua".utf8)
  /// The message of the last error reported (for barlua.test's finish).
  private(set) var lastError: [UInt8]?
  /// Runs before barlua exits after SIGTERM stopped a chunk (the REPL saves its history).
  var beforeTerminatedExit: (() -> Void)?

  init(L: LuaState) { self.L = L }

  /// Prints `barlua: message` for a failed status, pops the message; returns the status.
  @discardableResult
  func report(_ status: Int32) -> Int32 {
    if status != clua_ok() {
      var len = 0
      let msg =
        lua_tolstring(L, -1, &len).map { Array(UnsafeRawBufferPointer(start: $0, count: len)) }
        ?? Array("(error object is not a string)".utf8)
      lastError = msg
      Self.message(msg)
      clua_pop(L, 1)
    }
    if barlua_interrupt_terminated() != 0 {
      beforeTerminatedExit?()
      Self.exitTerminated()
    }
    return status
  }

  /// After SIGTERM stopped a chunk (its cleanup has run): exit as a process killed by
  /// SIGTERM is reported by a shell, 128 + 15.
  static func exitTerminated() -> Never {
    flushOutput()
    exit(143)
  }

  static func message(_ msg: String) { message(Array(msg.utf8)) }

  static func message(_ msg: [UInt8]) {
    writeError(progname + Array(": ".utf8) + msg + [UInt8(ascii: "\n")])
  }

  /// Calls the function below `nargs` arguments on the stack.
  func docall(_ nargs: Int32, _ nresults: Int32) -> Int32 {
    let base = lua_gettop(L) - nargs
    clua_pushcfunction(L, barlua_msghandler)
    clua_insert(L, base)
    barlua_interrupt_arm(L)
    let status = clua_pcall(L, nargs, nresults, base)
    barlua_interrupt_disarm()
    clua_remove(L, base)
    return status
  }

  func dochunk(_ loadStatus: Int32) -> Int32 {
    var status = loadStatus
    if status == clua_ok() { status = docall(0, 0) }
    return report(status)
  }

  /// Runs a file, or standard input when `path` is nil.
  func dofile(_ path: [UInt8]?) -> Int32 {
    dochunk(Self.withCString(path) { luaL_loadfilex(L, $0, nil) })
  }

  func dostring(_ s: [UInt8], name: String) -> Int32 {
    dochunk(Self.withBytes(s) { luaL_loadbufferx(L, $0, $1, name, nil) })
  }

  /// Calls `body` with a pointer to `bytes` (NUL-terminated) and their count.
  static func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>, Int) -> R) -> R {
    (bytes + [0]).withUnsafeBufferPointer { b in
      b.withMemoryRebound(to: CChar.self) { body($0.baseAddress!, bytes.count) }
    }
  }

  /// Calls `body` with `bytes` as a NUL-terminated C string (NULL for nil).
  static func withCString<R>(_ bytes: [UInt8]?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return (bytes + [0]).withUnsafeBufferPointer { b in b.withMemoryRebound(to: CChar.self) { body($0.baseAddress) } }
  }

  func pushBytes(_ bytes: [UInt8]) {
    _ = Self.withBytes(bytes) { lua_pushlstring(L, $0, $1) }
  }

  /// `-l g=mod`: global g = require(mod).
  func dolibrary(global: [UInt8], module: [UInt8]) -> Int32 {
    clua_pushglobaltable(L)
    lua_pushstring(L, "require")
    lua_rawget(L, -2)
    clua_remove(L, -2)
    pushBytes(module)
    var status = docall(1, 1)
    if status == clua_ok() {
      clua_pushglobaltable(L)
      clua_insert(L, -2)
      pushBytes(global)
      clua_insert(L, -2)
      lua_rawset(L, -3)
      clua_pop(L, 1)
    }
    status = report(status)
    return status
  }

  /// The global `arg`: arg[0] = script, arg[1...] its arguments, negative = barlua and options.
  /// With no script, arg[0] is the interpreter and arg[1...] the options, as in lua.c.
  func createArgTable(_ argv: [[UInt8]], script: Int?) {
    let s = script ?? 0
    lua_createtable(L, Int32(max(0, argv.count - s - 1)), Int32(s + 1))
    for (i, a) in argv.enumerated() {
      pushBytes(a)
      lua_rawseti(L, -2, Int64(i - s))
    }
    clua_pushglobaltable(L)
    lua_pushstring(L, "arg")
    lua_rotate(L, -3, -1)
    lua_rawset(L, -3)
    clua_pop(L, 1)
  }

  /// Runs the script at argv[index]; its `...` is arg[1..#arg] of the global `arg` as it is
  /// now (after LUA_INIT, -e and -l), as in lua.c.
  func handleScript(_ argv: [[UInt8]], index: Int) -> Int32 {
    var fname: [UInt8]? = argv[index]
    if fname == Array("-".utf8) && argv[index - 1] != Array("--".utf8) { fname = nil }
    var status = Self.withCString(fname) { luaL_loadfilex(L, $0, nil) }
    if status == clua_ok() {
      let before = lua_gettop(L)
      clua_pushcfunction(L, barlua_script_args)
      status = clua_pcall(L, 0, clua_multret(), 0)
      if status == clua_ok() { status = docall(lua_gettop(L) - before, clua_multret()) }
    }
    return report(status)
  }

  /// When the script used barlua.test, its verdict decides the exit status: a script that
  /// ended without done(), or died, still gets its plan checked and its failures counted.
  /// Returns nil when barlua.test was not loaded.
  func finishTests(died: Bool) -> Int32? {
    let top = lua_gettop(L)
    defer { lua_settop(L, top) }
    lua_getfield(L, clua_registryindex(), "_LOADED")
    lua_pushstring(L, "barlua.test")
    lua_rawget(L, -2)
    guard lua_type(L, -1) == LUA_TTABLE else { return nil }
    lua_pushstring(L, "finish")
    lua_rawget(L, -2)
    guard lua_type(L, -1) == LUA_TFUNCTION else { return nil }
    if died, let lastError { pushBytes(lastError) } else { lua_pushnil(L) }
    guard docall(1, 1) == clua_ok() else {
      report(clua_errsyntax())
      return 1
    }
    return Int32(clua_tointegerx(L, -1, nil))
  }

  /// LUA_INIT_5_4 or LUA_INIT: a chunk, or `@file`.
  func handleInit() -> Int32 {
    var name = "=LUA_INIT_5_4"
    var value = getenv("LUA_INIT_5_4")
    if value == nil {
      name = "=LUA_INIT"
      value = getenv("LUA_INIT")
    }
    guard let value else { return clua_ok() }
    let s = Array(UnsafeBufferPointer(start: value, count: strlen(value))).map { UInt8(bitPattern: $0) }
    if s.first == UInt8(ascii: "@") { return dofile(Array(s.dropFirst())) }
    return dostring(s, name: name)
  }
}
