import CLua
import XCTest

@testable import BarluaLua

/// LuaRecord and LuaList, the one way BarluaLua builds tables: every value type, nil fields
/// left out, 64-bit values by two's complement, sequences and keyed lists.
final class LuaTableTests: XCTestCase {
  var lua: LuaHarness!
  override func setUp() { lua = LuaHarness() }

  /// Pushes `value` as the global `t`.
  func set(_ value: any LuaValue) {
    value.push(lua.L)
    lua_setglobal(lua.L, "t")
  }

  func testRecordFieldsOfEveryTypeAndNilLeftOut() throws {
    let missing: String? = nil
    let fields: LuaRecord = [
      "int": -3, "u8": UInt8(255), "u16": UInt16(0xffff), "u32": UInt32(0xffff_ffff), "u64": UInt64.max,
      "double": 2.5, "string": "xyz", "yes": true, "no": false, "missing": missing,
    ]
    set(fields)
    XCTAssertEqual(
      try lua.eval(
        "return table.concat({math.type(t.int), t.int, t.u8, t.u16, t.u32, t.u64, t.double, #t.string,"
          + " tostring(t.yes), tostring(t.no), tostring(t.missing)}, ' ')"),
      "integer -3 255 65535 4294967295 -1 2.5 3 true false nil")
    XCTAssertEqual(try lua.eval("local n = 0 for _ in pairs(t) do n = n + 1 end return n"), "9")
  }

  func testAddingKeepsBothRecordsFields() throws {
    let base: LuaRecord = ["a": 1]
    set(base.adding(["b": "two", "c": nil]))
    XCTAssertEqual(try lua.eval("return t.a .. t.b .. tostring(t.c)"), "1twonil")
  }

  func testListIsASequenceOrKeyedByItsItems() throws {
    set(LuaList([10, 20, 30]) { ["v": $0] as LuaRecord })
    XCTAssertEqual(try lua.eval("return #t .. ' ' .. t[1].v .. ' ' .. t[3].v"), "3 10 30")
    set(LuaList([0, 2, 5], key: { $0 }) { "bar\($0)" })
    // Keys with gaps, as BARs have: no t[1], so `#` is 0.
    XCTAssertEqual(try lua.eval("return t[0] .. t[2] .. t[5] .. tostring(t[1]) .. #t"), "bar0bar2bar5nil0")
    set(LuaList([Int]()) { $0 })
    XCTAssertEqual(try lua.eval("return type(t) .. ' ' .. tostring(next(t))"), "table nil")
  }
}
