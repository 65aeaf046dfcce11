import Foundation
import XCTest

/// The `pat` module as Lua sees it: event fields, since/range filters, errors.
final class PATModuleTests: XCTestCase {
  var lua: LuaHarness!
  override func setUp() { lua = LuaHarness() }

  func testParseGivesTheContractFields() throws {
    try lua.eval(
      """
      ev = pat.parse([[
      [ 4121.624625] x86/PAT: memtype_reserve added [mem 0x387fffe00000-0x387fffefffff], track uncached-minus, req uncached-minus, ret uncached-minus
      [ 4121.624698] x86/PAT: Overlap at 0x387fffe00000-0x387ffff00000
      [ 4121.624825] x86/PAT: memtype_free request [mem 0x387fffe00000-0x387fffefffff]
      [   12.5] x86/PAT: Xorg:1234 conflicting memory types fd000000-fe000000 write-combining<->uncached-minus
      [   13.0] x86/PAT: qemu:77 map pfn expected mapping type uncached-minus for [mem 0xfffffffffffff000-0xffffffffffffffff], got write-back
      some unrelated line
      ]])
      """)
    XCTAssertEqual(try lua.eval("return #ev"), "5")
    XCTAssertEqual(
      try lua.eval(
        "local e = ev[1] return table.concat({e.kind, ('%x'):format(e.first), ('%x'):format(e.last), e.track, e.req, e.ret, e.time}, ' ')"
      ),
      "reserve 387fffe00000 387fffefffff uncached-minus uncached-minus uncached-minus 4121.624625")
    // "Overlap at" prints an exclusive end: last is inclusive.
    XCTAssertEqual(try lua.eval("return ('%s %x'):format(ev[2].kind, ev[2].last)"), "overlap 387fffefffff")
    XCTAssertEqual(try lua.eval("return ev[3].kind"), "free")
    XCTAssertEqual(
      try lua.eval(
        "local e = ev[4] return table.concat({e.kind, e.process, e.pid, e.req, e.track, ('%x'):format(e.last)}, ' ')"),
      "conflict Xorg 1234 write-combining uncached-minus fdffffff")
    // Addresses above 2^63 wrap to negative integers, as read64 values do.
    XCTAssertEqual(
      try lua.eval("local e = ev[5] return table.concat({e.kind, e.expected, e.got, e.first, e.last}, ' ')"),
      "map_pfn_mismatch uncached-minus write-back -4096 -1")
    XCTAssertEqual(try lua.eval("return tostring(ev[1].seq)"), "nil")
  }

  func testEventsSinceAndRangeOnTheRealKernelLog() throws {
    guard FileManager.default.isWritableFile(atPath: "/dev/kmsg") else {
      XCTFail("writing /dev/kmsg needs root: run the tests as root (CI does)")
      return
    }
    try lua.eval(
      """
      m = pat.mark()
      local f = assert(io.open('/dev/kmsg', 'w'))
      f:write('x86/PAT: memtype_reserve added [mem 0xfea00000-0xfeafffff], track uncached-minus, req uncached-minus, ret uncached-minus\\n')
      f:flush()
      f:write('x86/PAT: memtype_reserve added [mem 0xfe800000-0xfe8fffff], track write-combining, req write-combining, ret write-combining\\n')
      f:close()
      """)
    XCTAssertEqual(try lua.eval("return #pat.events{since = m}"), "2")
    XCTAssertEqual(try lua.eval("local e = pat.events{since = m}[1] return e.seq > m and e.req"), "uncached-minus")
    XCTAssertEqual(
      try lua.eval("local e = pat.events{since = m, range = {0xfe800000, 0xfe80ffff}} return #e .. e[1].ret"),
      "1write-combining")
    XCTAssertEqual(try lua.eval("return #pat.events{since = m, range = {0, 0xfe7fffff}}"), "0")
    XCTAssertGreaterThanOrEqual(Int(try lua.eval("return #pat.events()"))!, 2)
  }

  func testBadArguments() throws {
    XCTAssertEqual(lua.error("pat.events(5)"), "test:1: pat.events: options must be a table, got number")
    XCTAssertEqual(
      lua.error("pat.events{sinse = 1}"), "test:1: pat.events: unknown option 'sinse' (expected since, range)")
    XCTAssertEqual(
      lua.error("pat.events{since = 'x'}"), "test:1: pat.events: option since must be an integer, got string")
    XCTAssertEqual(
      lua.error("pat.events{range = 5}"), "test:1: pat.events: option range must be a bar or {first, last}, got number")
    XCTAssertEqual(
      lua.error("pat.events{range = {1}}"),
      "test:1: pat.events: option range must be {first, last} with integer addresses (range[2] is nil)")
    XCTAssertEqual(
      lua.error("pat.events{range = {2, 1}}"), "test:1: pat.events: option range: first 0x2 is after last 0x1")
    let f = TempFile(size: 4096)
    XCTAssertEqual(
      lua.error("pat.events{range = mmio.map('\(f.path)')}"),
      "test:1: pat.events: option range: this bar has no physical address (a file mapping); give {first, last}")
    XCTAssertEqual(lua.error("pat.parse()"), "test:1: pat.parse: text must be a string, got no value")
    XCTAssertEqual(lua.error("pat.parse({})"), "test:1: pat.parse: text must be a string, got table")
    XCTAssertEqual(lua.error("pat.parse('', 1)"), "test:1: pat.parse: takes at most 1 argument (text), got 2")
    // Issue 11 item 14: a bad mark is an error, not an empty list.
    for bad in ["-1", "math.mininteger"] {
      XCTAssertEqual(
        lua.error("pat.events{since = \(bad)}"),
        "test:1: pat.events: option since is \(bad == "-1" ? "-1" : String(Int64.min)): a mark is a kernel-log sequence"
          + " number from pat.mark() (0 or more); omit since to get every event")
    }
    XCTAssertEqual(
      lua.error("pat.events{range = {1.5, 2}}"),
      "test:1: pat.events: option range: range[1] (first) is 1.5, not an integer: give whole byte addresses,"
        + " e.g. {0xfea00000, 0xfeafffff}")
    XCTAssertEqual(
      lua.error("pat.events{range = {0, 2^70}}"),
      "test:1: pat.events: option range: range[2] (last) is 1.1805916207174113e+21, not an integer: give whole"
        + " byte addresses, e.g. {0xfea00000, 0xfeafffff}")
    XCTAssertEqual(lua.error("pat.mark(1)"), "test:1: pat.mark: takes at most 0 arguments (no arguments), got 1")
    XCTAssertEqual(try lua.eval("return require('barlua.pat') == pat"), "true")
  }

  func testMemtypeListExplainsWhyItIsUnavailable() throws {
    // This host has no debugfs mounted at /sys/kernel/debug unless someone mounted it.
    if !FileManager.default.fileExists(atPath: "/sys/kernel/debug/x86") {
      XCTAssertEqual(
        lua.error("pat.memtype_list()"),
        "test:1: pat.memtype_list: open /sys/kernel/debug/x86/pat_memtype_list: No such file or directory (errno 2): debugfs is not mounted: mount -t debugfs none /sys/kernel/debug"
      )
    } else {
      XCTAssertEqual(try lua.eval("return type(pat.memtype_list())"), "table")
    }
  }
}
