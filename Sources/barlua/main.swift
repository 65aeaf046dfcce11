import BarluaCore
import BarluaLua
import CBarlua
import CLua

#if canImport(Glibc)
  import Glibc
#endif

/// barlua [options] [script [args]] — the order of lua.c: -v; libraries; `arg`; LUA_INIT;
/// -e/-l/-W in order; the script; then the REPL if -i, or when nothing else was asked for and
/// stdin is a terminal (otherwise stdin runs as a script).
func run() -> Int32 {
  barlua_tune_heap()
  // The C argv's bytes, not CommandLine.arguments (which replaces bytes that are not UTF-8).
  let argv = (0..<Int(CommandLine.argc)).map { i -> [UInt8] in
    guard let p = CommandLine.unsafeArgv[i] else { return [] }
    return Array(UnsafeBufferPointer(start: p, count: strlen(p))).map { UInt8(bitPattern: $0) }
  }
  if let name = argv.first, !name.isEmpty { Interpreter.progname = name }
  let options: Options
  do {
    options = try Options.parse(argv)
  } catch let e as Options.UsageError {
    Interpreter.message(e.message)
    writeError(Options.usage + "\n")
    return 1
  } catch {
    return 1
  }
  if options.help {
    print(Options.usage)
    return 0
  }
  if options.version { printVersion() }
  // -E: barlua's own variables are ignored like LUA_PATH (BARLUA_PATH in LuaRuntime).
  if options.ignoreEnvironment { unsetenv(PCISysfs.rootVariable) }
  let scriptPath = options.scriptIndex.map { argv[$0] }.flatMap { $0 == Array("-".utf8) ? nil : $0 }
  guard let runtime = LuaRuntime(ignoreEnvironment: options.ignoreEnvironment, scriptPath: scriptPath)
  else {
    Interpreter.message("cannot create state: not enough memory")
    return 1
  }
  let interp = Interpreter(L: runtime.L)
  interp.createArgTable(argv, script: options.scriptIndex)
  if !options.ignoreEnvironment, interp.handleInit() != clua_ok() { return 1 }
  var executed = false
  for action in options.actions {
    switch action {
    case .execute(let chunk):
      executed = true
      if interp.dostring(chunk, name: "=(command line)") != clua_ok() { return 1 }
    case .require(let global, let module):
      if interp.dolibrary(global: global, module: module) != clua_ok() { return 1 }
    case .warningsOn:
      lua_warning(runtime.L, "@on", 0)
    }
  }
  if let index = options.scriptIndex {
    let status = interp.handleScript(argv, index: index)
    if let verdict = interp.finishTests(died: status != clua_ok()) { return verdict }
    if status != clua_ok() { return 1 }
  }
  if options.interactive {
    REPL(interp: interp).run()
  } else if options.scriptIndex == nil && !executed && !options.version {
    if isatty(0) != 0 {
      printVersion()
      REPL(interp: interp).run()
    } else if interp.dofile(nil) != clua_ok() {
      return 1
    }
  }
  return 0
}

func printVersion() {
  print("barlua \(BarluaVersion.string) -- \(String(cString: clua_copyright()))")
  flushOutput()
}

exit(run())
