/// The command line, parsed as the reference `lua` command does (lua.c 5.4), plus `--help`
/// and `--version`.
struct Options {
  /// -e, -l and -W, in command-line order. Values are the command line's bytes, as they are.
  enum Action: Equatable {
    case execute([UInt8])
    case require(global: [UInt8], module: [UInt8])
    case warningsOn
  }

  var actions: [Action] = []
  var interactive = false
  var version = false
  var ignoreEnvironment = false
  var help = false
  /// Index in argv of the script ("-" = stdin), or nil when there is none.
  var scriptIndex: Int?

  struct UsageError: Error {
    let message: [UInt8]
  }

  /// Parses `argv` (argv[0] is the program name), each argument as its bytes.
  static func parse(_ argv: [[UInt8]]) throws -> Options {
    let dash = UInt8(ascii: "-")
    func text(_ s: String) -> [UInt8] { Array(s.utf8) }
    var o = Options()
    var i = 1
    while i < argv.count {
      let a = argv[i]
      if a == text("--help") {
        o.help = true
        return o
      }
      if a == text("--version") {
        o.version = true
        i += 1
        continue
      }
      guard a.first == dash else { break }  // the script
      if a == [dash] { break }  // stdin as the script
      if a == [dash, dash] {
        i += 1
        break
      }
      let flag = a[1]
      let rest = Array(a.dropFirst(2))
      switch flag {
      case UInt8(ascii: "E"), UInt8(ascii: "W"), UInt8(ascii: "i"), UInt8(ascii: "v"):
        guard rest.isEmpty else { throw UsageError(message: text("unrecognized option '") + a + text("'")) }
        switch flag {
        case UInt8(ascii: "E"): o.ignoreEnvironment = true
        case UInt8(ascii: "W"): o.actions.append(.warningsOn)
        case UInt8(ascii: "i"):
          o.interactive = true
          o.version = true
        default: o.version = true
        }
      case UInt8(ascii: "e"), UInt8(ascii: "l"):
        var value = rest
        if value.isEmpty {
          i += 1
          guard i < argv.count, argv[i].first != dash else {  // as lua.c: no option here
            throw UsageError(message: text("'-") + [flag] + text("' needs argument"))
          }
          value = argv[i]
        }
        if flag == UInt8(ascii: "e") {
          o.actions.append(.execute(value))
        } else if let eq = value.firstIndex(of: UInt8(ascii: "=")) {
          o.actions.append(.require(global: Array(value[..<eq]), module: Array(value[(eq + 1)...])))
        } else {
          o.actions.append(.require(global: value, module: value))
        }
      default:
        throw UsageError(message: text("unrecognized option '") + a + text("'"))
      }
      i += 1
    }
    if i < argv.count { o.scriptIndex = i }
    return o
  }

  static let usage = """
    usage: barlua [options] [script [args]]
    Available options are:
      -e stat   execute string 'stat'
      -i        enter interactive mode after executing 'script'
      -l mod    require library 'mod' into global 'mod'
      -l g=mod  require library 'mod' into global 'g'
      -v        show version information
      -E        ignore environment variables (LUA_*, BARLUA_PATH, BARLUA_SYSFS_PCI)
      -W        turn warnings on
      --        stop handling options
      -         stop handling options and execute stdin
      --help    show this help
      --version show barlua's and Lua's versions
    Modules: mmio, pci, vfio, pat, time (globals; also require "barlua.NAME").
    Environment: BARLUA_PATH (module folders), BARLUA_HISTORY (REPL history file,
    default ~/.barlua_history, empty disables), LUA_INIT_5_4 / LUA_INIT.
    See man barlua.
    """
}
