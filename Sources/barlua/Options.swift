/// The command line, parsed as the reference `lua` command does (lua.c 5.4), plus `--help`
/// and `--version`.
struct Options {
  /// -e, -l and -W, in command-line order.
  enum Action: Equatable {
    case execute(String)
    case require(global: String, module: String)
    case warningsOn
  }

  var actions: [Action] = []
  var interactive = false
  var version = false
  var ignoreEnvironment = false
  var help = false
  /// Index in argv of the script ("-" = stdin), or nil when there is none.
  var scriptIndex: Int?

  /// A command line lua.c would refuse, as facts; `description` is lua.c's wording.
  enum OptionError: Error, Equatable, CustomStringConvertible {
    /// An option lua.c does not know (or a flag with text after it), as given.
    case unrecognized(String)
    /// `-e` or `-l` without its argument.
    case needsArgument(Character)

    var description: String {
      switch self {
      case .unrecognized(let option): "unrecognized option '\(option)'"
      case .needsArgument(let flag): "'-\(flag)' needs argument"
      }
    }
  }

  /// Parses `argv` (argv[0] is the program name).
  static func parse(_ argv: [String]) throws -> Options {
    var o = Options()
    var i = 1
    while i < argv.count {
      let a = argv[i]
      if a == "--help" {
        o.help = true
        return o
      }
      if a == "--version" {
        o.version = true
        i += 1
        continue
      }
      guard a.hasPrefix("-") else { break }  // the script
      if a == "-" { break }  // stdin as the script
      if a == "--" {
        i += 1
        break
      }
      let flag = a.dropFirst().first!
      let rest = String(a.dropFirst(2))
      switch flag {
      case "E", "W", "i", "v":
        guard rest.isEmpty else { throw OptionError.unrecognized(a) }
        switch flag {
        case "E": o.ignoreEnvironment = true
        case "W": o.actions.append(.warningsOn)
        case "i":
          o.interactive = true
          o.version = true
        default: o.version = true
        }
      case "e", "l":
        var value = rest
        if value.isEmpty {
          i += 1
          guard i < argv.count, !argv[i].hasPrefix("-") else {  // as lua.c: no option here
            throw OptionError.needsArgument(flag)
          }
          value = argv[i]
        }
        if flag == "e" {
          o.actions.append(.execute(value))
        } else if let eq = value.firstIndex(of: "=") {
          o.actions.append(
            .require(global: String(value[..<eq]), module: String(value[value.index(after: eq)...])))
        } else {
          o.actions.append(.require(global: value, module: value))
        }
      default:
        throw OptionError.unrecognized(a)
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
