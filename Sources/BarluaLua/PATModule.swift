import BarluaCore
import CBarlua
import CLua

/// `pat` — x86 PAT observation (api.md §pat).
enum PATModule {
  static let functions: [(String, LuaSwiftFunction)] = [
    ("enabled", enabled), ("mark", mark), ("events", events), ("parse", parse),
    ("memtype_list", memtypeList),
  ]

  /// pat.enabled() -> true when the kernel command line has `debugpat`.
  static let enabled: LuaSwiftFunction = { L in
    luaCall(L, "pat.enabled") { L in
      try LuaArgs(L: L, fn: "pat.enabled").expectAtMost(0, "no arguments")
      lua_pushboolean(L, try PATStatus.enabled() ? 1 : 0)
      return 1
    }
  }

  /// pat.mark() -> sequence number of the newest kernel-log record now.
  static let mark: LuaSwiftFunction = { L in
    luaCall(L, "pat.mark") { L in
      try LuaArgs(L: L, fn: "pat.mark").expectAtMost(0, "no arguments")
      lua_pushinteger(L, Int64(bitPattern: try KernelLog.mark()))
      return 1
    }
  }

  /// pat.events([{since = mark, range = bar or {first, last}}]) -> events, oldest first.
  static let events: LuaSwiftFunction = { L in
    luaCall(L, "pat.events") { L in
      let args = LuaArgs(L: L, fn: "pat.events")
      try args.expectAtMost(1, "{since=, range=}")
      let opts = try args.options(1, allowed: ["since", "range"])
      let since = try opts?.integer("since").map { UInt64(bitPattern: $0) }
      let range = try opts.flatMap { try rangeOption(args, $0) }
      var found = try KernelLog.events(since: since)
      if let range { found = found.filter { $0.overlaps(first: range.first, last: range.last) } }
      pushEvents(L, found)
      return 1
    }
  }

  /// pat.parse(text) -> events parsed from saved dmesg / dmesg -T / journal text.
  static let parse: LuaSwiftFunction = { L in
    luaCall(L, "pat.parse") { L in
      let args = LuaArgs(L: L, fn: "pat.parse")
      try args.expectAtMost(1, "text")
      pushEvents(L, PATParser.parse(text: try args.text(1, "text")))
      return 1
    }
  }

  /// pat.memtype_list() -> {{first=, last=, type=}, ...} from debugfs.
  static let memtypeList: LuaSwiftFunction = { L in
    luaCall(L, "pat.memtype_list") { L in
      try LuaArgs(L: L, fn: "pat.memtype_list").expectAtMost(0, "no arguments")
      let entries = try MemtypeList.entries()
      lua_createtable(L, Int32(entries.count), 0)
      for (i, e) in entries.enumerated() {
        let t = LuaTableBuilder.push(L, nrec: 3)
        t.set("first", bits: e.first)
        t.set("last", bits: e.last)
        t.set("type", e.type)
        lua_rawseti(L, -2, Int64(i + 1))
      }
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

  static func pushEvents(_ L: LuaState, _ events: [PATEvent]) {
    lua_createtable(L, Int32(events.count), 0)
    for (i, e) in events.enumerated() {
      let t = LuaTableBuilder.push(L, nrec: 12)
      t.set("kind", e.kind.rawValue)
      t.set("first", bits: e.first)
      t.set("last", bits: e.last)
      t.set("track", e.track)
      t.set("req", e.req)
      t.set("ret", e.ret)
      t.set("expected", e.expected)
      t.set("got", e.got)
      t.set("process", e.process)
      t.set("pid", e.pid)
      t.set("time", e.time)
      t.set("seq", bits: e.seq)
      t.set("text", e.text)
      lua_rawseti(L, -2, Int64(i + 1))
    }
  }
}
