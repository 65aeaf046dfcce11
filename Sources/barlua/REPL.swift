import BarluaLua
import CBarlua
import CLineEditor
import CLua

#if canImport(Glibc)
  import Glibc
#endif

/// The interactive loop: readline editing, history in ~/.barlua_history (BARLUA_HISTORY
/// names another file, empty disables), tab completion from `barlua.repl.complete`, results
/// printed by `barlua.repl.show`. Lines are compiled first as `return <line>;` so expressions
/// print their values; `=expr` works; incomplete input continues on the next line.
final class REPL {
  let interp: Interpreter
  var L: LuaState { interp.L }
  /// Registry reference to the `barlua.repl` module table.
  private var module: Int32 = -1
  /// The history file's path as bytes (BARLUA_HISTORY or HOME, as the environment gave them).
  private let historyFile: [UInt8]?

  init(interp: Interpreter) {
    self.interp = interp
    historyFile = REPL.historyPath()
  }

  static func historyPath() -> [UInt8]? {
    func bytes(_ p: UnsafePointer<CChar>) -> [UInt8] {
      Array(UnsafeBufferPointer(start: p, count: strlen(p))).map { UInt8(bitPattern: $0) }
    }
    if let v = getenv("BARLUA_HISTORY") {
      let s = bytes(v)
      return s.isEmpty ? nil : s
    }
    guard let home = getenv("HOME") else { return nil }
    return bytes(home) + Array("/.barlua_history".utf8)
  }

  func run() {
    loadModule()
    setUpReadline()
    if let historyFile { Interpreter.withCString(historyFile) { creadline_load_history($0) } }
    interp.beforeTerminatedExit = { [unowned self] in self.saveHistory() }
    // Between prompts and chunks (printing, loading a line) Ctrl-C is caught too, so that no
    // Ctrl-C typed in the REPL ends it; SIGTERM there ends the session below.
    barlua_interrupt_catch(nil, 0)
    defer { barlua_interrupt_release() }
    loop: while true {
      if barlua_interrupt_terminated() != 0 {
        saveHistory()
        Interpreter.exitTerminated()
      }
      switch readChunk() {
      case .end: break loop
      case .abandoned: continue
      case .terminated:
        saveHistory()
        Interpreter.exitTerminated()
      case .chunk(let status):
        var s = status
        if s == clua_ok() {
          let before = lua_gettop(L) - 1
          s = interp.docall(0, clua_multret())
          if s == clua_ok() { show(count: lua_gettop(L) - before) }
        }
        interp.report(s)
        lua_settop(L, 0)
      }
    }
    print()
    saveHistory()
  }

  /// Saves the history; a failure is reported once, on standard error, with the file and the
  /// system's reason (the session's lines are lost, the user should know).
  private func saveHistory() {
    guard let historyFile else { return }
    let e = Interpreter.withCString(historyFile) { creadline_save_history($0, 1000) }
    if e != 0 {
      Interpreter.message(
        Array("cannot save the REPL history to ".utf8) + historyFile
          + Array(": \(String(cString: strerror(e))) (BARLUA_HISTORY names another file; empty disables it)".utf8))
    }
  }

  private func loadModule() {
    let code = "return require 'barlua.repl'"
    if luaL_loadbufferx(L, code, code.utf8.count, "=repl", nil) == clua_ok(),
      interp.docall(0, 1) == clua_ok()
    {
      module = luaL_ref(L, clua_registryindex())
    } else {
      interp.report(clua_errsyntax())
    }
    REPLCompletion.L = L
    REPLCompletion.module = module
  }

  /// Prints the `count` values on top of the stack through barlua.repl.show.
  private func show(count: Int32) {
    guard count > 0, module >= 0 else { return }
    lua_rawgeti(L, clua_registryindex(), Int64(module))
    lua_pushstring(L, "show")
    lua_rawget(L, -2)
    clua_remove(L, -2)
    clua_insert(L, -(count + 1))
    interp.report(interp.docall(count, 0))
  }

  /// The longest prompt handed to readline, in bytes: a longer one is cut (readline's prompt
  /// handling corrupts its heap with a prompt of tens of thousands of characters; lua5.4
  /// dies the same way).
  static let promptLimit = 4096

  /// tostring(_PROMPT) or tostring(_PROMPT2), as lua.c, cut to `promptLimit` bytes; the
  /// default when nil (or when its __tostring fails: the error is reported).
  private func prompt(_ first: Bool) -> [UInt8] {
    let top = lua_gettop(L)
    defer { lua_settop(L, top) }
    clua_pushcfunction(L, barlua_prompt)
    lua_pushboolean(L, first ? 1 : 0)
    let status = interp.report(clua_pcall(L, 1, 1, 0))
    var len = 0
    if status == clua_ok(), let p = lua_tolstring(L, -1, &len) {
      // The prompt ends at its first NUL byte, as a C string does.
      let bytes = UnsafeRawBufferPointer(start: p, count: min(len, Self.promptLimit))
      return Array(bytes.prefix { $0 != 0 })
    }
    return Array((first ? "> " : ">> ").utf8)
  }

  /// What one prompt gave: a chunk loaded (its function, or a syntax error message, on the
  /// stack), a statement abandoned by Ctrl-C, SIGTERM, or the end of input.
  enum Input {
    case chunk(Int32)
    case abandoned
    case terminated
    case end
  }

  /// What one line read gave.
  private enum Line {
    case text([UInt8])
    case interrupted
    case terminated
    case end
  }

  /// Reads one complete chunk. Ctrl-C at either prompt drops everything typed for the
  /// statement: the next prompt is a fresh `> `.
  private func readChunk() -> Input {
    lua_settop(L, 0)
    let typed: [UInt8]
    switch readLine(prompt(true)) {
    case .text(let t): typed = t
    case .interrupted: return .abandoned
    case .terminated: return .terminated
    case .end: return .end
    }
    // "=expr" is "return expr"; any other line is first tried as "return <line>;".
    let isExpression = typed.first == UInt8(ascii: "=")
    let line = isExpression ? Array("return ".utf8) + typed.dropFirst() : typed
    let asExpression = isExpression ? line : Array("return ".utf8) + line + [UInt8(ascii: ";")]
    if load(asExpression) == clua_ok() {
      addHistory(typed)
      return .chunk(clua_ok())
    }
    clua_pop(L, 1)
    var buffer = line
    while true {
      let status = load(buffer)
      if status == clua_errsyntax(), let msg = clua_tostring(L, -1),
        String(cString: msg).hasSuffix("<eof>")
      {
        clua_pop(L, 1)
        switch readLine(prompt(false)) {
        case .text(let more): buffer += [UInt8(ascii: "\n")] + more
        case .interrupted:
          addHistory(buffer)
          return .abandoned
        case .terminated: return .terminated
        case .end:
          addHistory(buffer)
          return .end
        }
        continue
      }
      addHistory(buffer)
      return .chunk(status)
    }
  }

  /// Loads `code` (bytes as typed) as the chunk `=stdin`.
  private func load(_ code: [UInt8]) -> Int32 {
    Interpreter.withBytes(code) { luaL_loadbufferx(L, $0, $1, "=stdin", nil) }
  }

  private func addHistory(_ s: [UInt8]) {
    if !s.isEmpty { Interpreter.withCString(s) { creadline_add_history($0) } }
  }

  private func readLine(_ prompt: [UInt8]) -> Line {
    var signal: Int32 = 0
    guard let p = Interpreter.withCString(prompt, { creadline_read($0, &signal) }) else {
      switch signal {
      case SIGINT: return .interrupted
      case SIGTERM: return .terminated
      default: return .end
      }
    }
    defer { free(p) }
    return .text(Array(UnsafeBufferPointer(start: p, count: strlen(p))).map { UInt8(bitPattern: $0) })
  }

  private func setUpReadline() {
    creadline_setup("barlua", REPLCompletion.complete)
  }
}

/// Tab completion: asks barlua.repl.complete(word) under lua_pcall.
enum REPLCompletion {
  nonisolated(unsafe) static var L: LuaState?
  nonisolated(unsafe) static var module: Int32 = -1

  /// A malloc'ed NULL-terminated array of malloc'ed strings, as readline wants them.
  static let complete: creadline_completer = { word in
    let found = candidates(word.map { String(cString: $0) } ?? "")
    let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(
      capacity: found.count + 1)
    for (i, s) in found.enumerated() { array[i] = strdup(s) }
    array[found.count] = nil
    // readline frees the array with free(): hand it memory from malloc.
    let bytes = MemoryLayout<UnsafeMutablePointer<CChar>?>.stride * (found.count + 1)
    let out = malloc(bytes)!.assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self)
    out.update(from: array, count: found.count + 1)
    array.deallocate()
    return out
  }

  static func candidates(_ word: String) -> [String] {
    guard let L, module >= 0 else { return [] }
    let top = lua_gettop(L)
    defer { lua_settop(L, top) }
    lua_rawgeti(L, clua_registryindex(), Int64(module))
    lua_pushstring(L, "complete")
    lua_rawget(L, -2)
    lua_pushstring(L, word)
    guard clua_pcall(L, 1, 1, 0) == clua_ok(), lua_type(L, -1) == LUA_TTABLE else { return [] }
    var out: [String] = []
    let n = lua_rawlen(L, -1)
    if n > 0 {
      for i in 1...Int64(n) {
        lua_rawgeti(L, -1, i)
        if let s = clua_tostring(L, -1) { out.append(String(cString: s)) }
        clua_pop(L, 1)
      }
    }
    return out
  }
}
