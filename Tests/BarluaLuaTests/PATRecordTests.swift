import Foundation
import XCTest

@testable import BarluaLua

/// The PAT event record (CBarlua/include/barlua_pat_event.h's one field list): pat.parse and
/// pat.events build the same table from it, and pat.parse parses each line once.
final class PATRecordTests: XCTestCase {
  static let reserve =
    "x86/PAT: memtype_reserve added [mem 0xfea00000-0xfeafffff], track uncached-minus, req uncached-minus,"
    + " ret uncached-minus"
  static let free = "x86/PAT: memtype_free request [mem 0xfea00000-0xfeafffff]"

  /// A /dev/kmsg record whose text holds two messages (an escaped newline) is one line with
  /// two events: the line is parsed once, not once per event.
  func testEachLineIsParsedOnce() throws {
    let lua = LuaHarness()
    let text = [
      "6,1000,4121624625,-;\(Self.reserve)\\x0a\(Self.free)",
      "[ 4121.624825] \(Self.free)",
      "6,1002,4121624700,-;\(Self.reserve)\\x0a\(Self.free)\\x0a\(Self.reserve)",
    ].joined(separator: "\n")
    let before = PATModule.linesParsed
    XCTAssertEqual(try lua.eval("return #pat.parse[[\(text)]]"), "6")
    XCTAssertEqual(PATModule.linesParsed - before, 3, "three lines, each parsed once")
    XCTAssertEqual(
      try lua.eval(
        "local k = {} for i, e in ipairs(pat.parse[[\(text)]]) do k[i] = e.kind .. ':' .. tostring(e.seq) end"
          + " return table.concat(k, ' ')"),
      "reserve:1000 free:1000 free:nil reserve:1002 free:1002 reserve:1002")
  }

  /// Every field of the list reaches Lua, from either function.
  func testEveryFieldOfTheListIsInTheTable() throws {
    let lua = LuaHarness()
    let line =
      "Nov 26 08:38:52 host kernel: [   13.0] x86/PAT: qemu:77 map pfn expected mapping type uncached-minus for"
      + " [mem 0xfea00000-0xfeafffff], got write-back"
    try lua.eval("e = pat.parse[[\(line)]][1]")
    XCTAssertEqual(
      try lua.eval(
        "local t = {} for k, v in pairs(e) do t[#t + 1] = k .. '=' .. tostring(v) end table.sort(t) return table.concat(t, ' ')"
      ),
      "expected=uncached-minus first=4271898624 got=write-back kind=map_pfn_mismatch last=4272947199 pid=77"
        + " process=qemu text=x86/PAT: qemu:77 map pfn expected mapping type uncached-minus for"
        + " [mem 0xfea00000-0xfeafffff], got write-back time=13.0 wallclock=Nov 26 08:38:52")
  }

  /// pat.events and pat.parse give the same table for the same message (the record of one
  /// list): written to the real kernel log, read back both ways.
  func testEventsAndParseGiveTheSameRecord() throws {
    guard FileManager.default.isWritableFile(atPath: "/dev/kmsg") else {
      XCTFail("writing /dev/kmsg needs root: run the tests as root (CI does)")
      return
    }
    let lua = LuaHarness()
    let dump = """
      local function dump(e)
        local t = {}
        for k, v in pairs(e) do t[#t + 1] = k .. '=' .. tostring(v) end
        table.sort(t)
        return table.concat(t, ' ')
      end
      """
    try lua.eval(
      """
      m = pat.mark()
      local f = assert(io.open('/dev/kmsg', 'w'))
      f:write('\(Self.reserve)\\n')
      f:close()
      """)
    let fromLog = try lua.eval("\(dump) local e = pat.events{since = m}[1] e.seq, e.time = nil, nil return dump(e)")
    let parsed = try lua.eval("\(dump) return dump(pat.parse[[\(Self.reserve)]][1])")
    XCTAssertEqual(fromLog, parsed)
    XCTAssertTrue(parsed.hasPrefix("first=4271898624 kind=reserve last=4272947199 req=uncached-minus"), parsed)
    XCTAssertEqual(
      try lua.eval("local e = pat.events{since = m}[1] return math.type(e.seq) .. math.type(e.time)"), "integerfloat")
  }
}
