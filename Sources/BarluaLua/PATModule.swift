import BarluaCore
import CBarlua
import CLua

/// `pat` — x86 PAT observation (api.md §pat).
enum PATModule {
  static let functions: [(String, LuaSwiftFunction)] = [
    ("enabled", enabled), ("mark", mark), ("events", events), ("memtype_list", memtypeList),
  ]

  /// Adds `pat.parse` to the `pat` table on top of the stack: a C closure (the loop and the
  /// tables are C, see CBarlua/pat_parse.c) over the Swift line parser `parseLine`.
  static func addParse(_ L: LuaState) {
    lua_pushlightuserdata(L, unsafeBitCast(parseLine, to: UnsafeMutableRawPointer.self))
    lua_pushcclosure(L, barlua_pat_parse, 1)
    lua_setfield(L, -2, "parse")
  }

  /// pat.enabled() -> true when the kernel command line has `debugpat`.
  static let enabled: LuaSwiftFunction = { L in
    luaFunction(L, "pat.enabled", atMost: 0, "no arguments") { L, _ in
      lua_pushboolean(L, try PATStatus.enabled() ? 1 : 0)
      return 1
    }
  }

  /// pat.mark() -> sequence number of the newest kernel-log record now.
  static let mark: LuaSwiftFunction = { L in
    luaFunction(L, "pat.mark", atMost: 0, "no arguments") { L, _ in
      lua_pushinteger(L, Int64(bitPattern: try KernelLog.mark()))
      return 1
    }
  }

  /// pat.events([{since = mark, range = bar or {first, last}}]) -> events, oldest first.
  static let events: LuaSwiftFunction = { L in
    luaFunction(L, "pat.events", atMost: 1, "{since=, range=}") { L, args in
      let opts = try args.options(1, allowed: ["since", "range"])
      let since = try opts?.integer("since").map { mark in
        // A mark is a sequence number pat.mark() returned: never negative.
        guard mark >= 0 else {
          throw LuaArgumentError(
            "pat.events: option since is \(mark): a mark is a kernel-log sequence number from"
              + " pat.mark() (0 or more); omit since to get every event")
        }
        return UInt64(mark)
      }
      let range = try opts.flatMap { try rangeOption(args, $0) }
      var found = try KernelLog.events(since: since)
      if let range { found = found.filter { $0.overlaps(first: range.first, last: range.last) } }
      lua_createtable(L, Int32(clamping: found.count), 0)
      for (i, event) in found.enumerated() {
        PATEventRecord.push(L, event)
        lua_rawseti(L, -2, Int64(i + 1))
      }
      return 1
    }
  }

  /// Calls of `parseLine` so far, all states together (a count for the tests, which check
  /// that each line is parsed once; not exact if states on several threads parse at once).
  nonisolated(unsafe) static var linesParsed = 0

  /// The Swift half of pat.parse: every PAT event of one saved line, parsed once, into
  /// `batch` (PATEventRecord.write: the count, or -1 with the sizes needed). Never raises;
  /// allocates in proportion to the line only.
  static let parseLine: barlua_pat_line_fn = { line, length, batch in
    guard let line, let batch else { return 0 }
    linesParsed &+= 1
    let bytes = UnsafeRawBufferPointer(start: line, count: length)
    var found: [PATEvent] = []
    PATParser.forEachEvent(inLine: Array(bytes)[...]) { found.append($0) }
    return PATEventRecord.write(found, into: batch)
  }

  /// pat.memtype_list() -> {{first=, last=, type=}, ...} from debugfs.
  static let memtypeList: LuaSwiftFunction = { L in
    luaFunction(L, "pat.memtype_list", atMost: 0, "no arguments") { L, _ in
      LuaList(try MemtypeList.entries()) { ["first": $0.first, "last": $0.last, "type": $0.type] as LuaRecord }.push(L)
      return 1
    }
  }

  /// `range` is a bar (its physical base and size) or {first, last} (inclusive).
  static func rangeOption(_ args: LuaArgs, _ opts: LuaOptions) throws -> (first: UInt64, last: UInt64)? {
    let L = args.L
    lua_pushstring(L, "range")
    lua_rawget(L, opts.index)
    defer { clua_pop(L, 1) }
    let i = lua_gettop(L)
    if clua_isnil(L, i) != 0 { return nil }
    if barlua_isbar(L, i) != 0 {
      lua_getmetatable(L, i)
      defer { clua_pop(L, 1) }
      lua_pushstring(L, "base")
      lua_rawget(L, -2)
      lua_pushstring(L, "size")
      lua_rawget(L, -3)
      defer { clua_pop(L, 2) }
      guard lua_type(L, -2) == LUA_TNUMBER else {
        throw LuaArgumentError(
          "pat.events: option range: this bar has no physical address (a file mapping); give {first, last}")
      }
      let base = UInt64(bitPattern: clua_tointegerx(L, -2, nil))
      let size = UInt64(bitPattern: clua_tointegerx(L, -1, nil))
      return (base, base &+ size &- 1)
    }
    guard lua_type(L, i) == LUA_TTABLE else {
      throw LuaArgumentError(
        "pat.events: option range must be a bar or {first, last}, got \(args.typeName(i))")
    }
    var bounds: [UInt64] = []
    for k in 1...2 {
      lua_rawgeti(L, i, Int64(k))
      defer { clua_pop(L, 1) }
      var isnum: Int32 = 0
      let v = clua_tointegerx(L, -1, &isnum)
      if isnum == 0 && lua_type(L, -1) == LUA_TNUMBER {
        let name = k == 1 ? "first" : "last"
        throw LuaArgumentError(
          "pat.events: option range: range[\(k)] (\(name)) is \(clua_tonumberx(L, -1, nil)), not an integer:"
            + " give whole byte addresses, e.g. {0xfea00000, 0xfeafffff}")
      }
      guard isnum != 0 else {
        throw LuaArgumentError(
          "pat.events: option range must be {first, last} with integer addresses (range[\(k)] is \(args.typeName(-1)))")
      }
      bounds.append(UInt64(bitPattern: v))
    }
    guard bounds[0] <= bounds[1] else {
      throw LuaArgumentError(
        "pat.events: option range: first 0x\(hex(bounds[0])) is after last 0x\(hex(bounds[1]))"
      )
    }
    return (bounds[0], bounds[1])
  }
}
