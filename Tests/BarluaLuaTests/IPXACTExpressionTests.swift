import XCTest

/// barlua.ipxact_expr: every operator of IEEE 1685's expressions at its edges, as SystemVerilog
/// (IEEE 1800) defines it: shift counts are unsigned, `>>>` keeps the sign of a signed value,
/// based literals are unsigned, division truncates, replication is bounded (issue #22.3, .9).
final class IPXACTExpressionTests: XCTestCase {
  var lua: LuaHarness!

  override func setUp() {
    lua = LuaHarness()
    // `ev(text)`: expr.eval under an instruction budget, so an endless evaluation (the old
    // replication loops) fails the test instead of hanging it.
    XCTAssertNoThrow(
      try lua.eval(
        """
        expr = require 'barlua.ipxact_expr'
        function ev(text)
          local hook, mask, count = debug.gethook()
          debug.sethook(function() debug.sethook() error('runaway: 10^8 instructions', 0) end, '', 100000000)
          local r = table.pack(pcall(expr.eval, text))
          debug.sethook(hook, mask, count)
          if not r[1] then error(r[2], 0) end
          return r[2]
        end
        """))
  }

  /// Each expression's value as a signed 64-bit decimal.
  func assertValues(_ cases: [(String, Int64)], file: StaticString = #filePath, line: UInt = #line) {
    for (text, value) in cases {
      XCTAssertEqual(
        try lua.eval("return string.format('%d', ev([[\(text)]]))"), String(value), text, file: file,
        line: line)
    }
  }

  func assertFails(_ cases: [(String, String)], file: StaticString = #filePath, line: UInt = #line) {
    for (text, message) in cases {
      XCTAssertEqual(
        try lua.eval("local ok, e = pcall(ev, [[\(text)]]) return ok and 'no error' or e"), message, text,
        file: file, line: line)
    }
  }

  func testShiftsAtTheirEdges() {
    assertValues([
      ("1 << 0", 1), ("1 << 63", Int64.min), ("1 << 64", 0), ("8 << -1", 0), ("1 << 'hFFFFFFFFFFFFFFFF", 0),
      ("1 <<< 63", Int64.min), ("1 <<< 64", 0), ("8 <<< -1", 0), ("-1 <<< 1", -2),
      ("8 >> 0", 8), ("-1 >> 63", 1), ("-1 >> 64", 0), ("8 >> -1", 0), ("-1 >> 1", Int64.max),
      ("-8 >>> 0", -8), ("-8 >>> 1", -4), ("-1 >>> 63", -1), ("5 >>> 63", 0), ("5 >>> 2", 1),
      ("-1 >>> 64", -1), ("5 >>> 64", 0), ("1 >>> -1", 0), ("-1 >>> -1", -1),
      ("(-9223372036854775807 - 1) >>> 62", -2),
      // An unsigned left operand (a based literal without 's') is shifted in zeros.
      ("'hFFFFFFFFFFFFFFFF >>> 4", 0x0FFF_FFFF_FFFF_FFFF), ("'h8000000000000000 >>> 63", 1),
      ("64'shFFFFFFFFFFFFFFFF >>> 4", -1), ("4'sb1000 >>> 1", -4),
    ])
  }

  func testDivisionComparisonAndPower() {
    assertValues([
      ("-7 / 2", -3), ("-7 % 2", -1), ("7 / -2", -3), ("7 % -2", 1), ("(-9223372036854775807 - 1) / -1", Int64.min),
      ("(-9223372036854775807 - 1) % -1", 0),
      ("'hFFFFFFFFFFFFFFFF / 2", Int64.max), ("'hFFFFFFFFFFFFFFFF % 10", 5),
      ("'hFFFFFFFFFFFFFFFF / 'hFFFFFFFFFFFFFFFF", 1),
      ("'hFFFFFFFFFFFFFFFF > 0", 1), ("-1 > 0", 0), ("-1 < 'h0", 0), ("-1 < 0", 1), ("-1 <= -1", 1),
      ("'h8000000000000000 >= 'h7FFFFFFFFFFFFFFF", 1),
      ("2 ** 63", Int64.min), ("2 ** 64", 0), ("(-1) ** -3", -1), ("1 ** -5", 1),
      ("$clog2(0)", 0), ("$clog2(1)", 0), ("$clog2(2)", 1), ("$clog2(5)", 3), ("$clog2('h8000000000000000)", 63),
      ("$clog2(-1)", 64),
    ])
    assertFails([
      ("1 / 0", "division by zero"), ("5 % 0", "division by zero"), ("2 ** -1", "negative exponent in 2 ** -1"),
    ])
  }

  func testReplicationAndConcatenation() {
    assertValues([
      ("{24{1'b1}}", 0xFF_FFFF), ("{16{4'hf}}", -1), ("{2{{0{1'b1}}, 2'b10}}", 10), ("{{0{1'b1}}, 4'h3}", 3),
      ("{4'h1, 4'h2}", 0x12), ("{64'h1}", 1), ("{1{64'hFFFFFFFFFFFFFFFF}}", -1),
    ])
    assertFails([
      ("{'h4000000000000000{4'hf}}", "replication wider than 64 bits in '{'h4000000000000000{4'hf}}'"),
      ("{17{4'hf}}", "replication wider than 64 bits in '{17{4'hf}}'"),
      ("{-1{1'b1}}", "replication wider than 64 bits in '{-1{1'b1}}'"),
      ("{'h1000000000{{0{1'b1}}}}", "replication of a zero-width operand in '{'h1000000000{{0{1'b1}}}}'"),
      ("{0{1'b1}}", "a zero-width replication {0{...}} outside a concatenation in '{0{1'b1}}'"),
      ("{{0{1'b1}}}", "concatenation of zero-width operands only in '{{0{1'b1}}}'"),
      ("{4{7}}", "replication needs sized operands in '{4{7}}'"),
      ("{64'h1, 1'b1}", "concatenation wider than 64 bits in '{64'h1, 1'b1}'"),
    ])
  }

  func testLiteralsAndNesting() {
    assertValues([("4'sb1111", -1), ("8'hFF", 255), ("8'sd3", 3), ("'h7FFFFFFFFFFFFFFF", Int64.max), ("1_000", 1000)])
    assertFails([
      ("65'h0", "literal size 65 in '65'h0' is not 1 to 64 bits"),
      ("'h1FFFFFFFFFFFFFFFF", "literal ''h1FFFFFFFFFFFFFFFF' is wider than 64 bits"),
      (
        String(repeating: "(", count: 201) + "1" + String(repeating: ")", count: 201),
        "expression nested deeper than 200 levels"
      ),
      (String(repeating: "-", count: 300) + "1", "expression nested deeper than 200 levels"),
    ])
    assertValues([(String(repeating: "(", count: 150) + "1" + String(repeating: ")", count: 150), 1)])
  }

  /// IP-XACT 1.4 to 2009 scaled integers: a value past 2^63 - 1 is an error, not wrapped.
  func testScaledIntegersDoNotWrap() throws {
    XCTAssertEqual(try lua.eval("return expr.scaled('8191T')"), String(8191 << 40))
    XCTAssertEqual(try lua.eval("return expr.scaled('#7FFFFFFFFFFFFFFF')"), String(Int64.max))
    for text in ["16777216T", "8388608T", "0x10000000000000000", "0x8000000000000000", "9223372036854775808"] {
      XCTAssertEqual(
        try lua.eval("return select(2, expr.scaled('\(text)'))"), "'\(text)' is beyond 2^63 - 1", text)
    }
  }
}
