import Foundation
import XCTest

/// bar:poll32/poll64: a match returns the value and the elapsed time, a timeout returns
/// nil, "timeout" and the last value read, bad arguments are errors. Ctrl-C is tested on the
/// real command line (CLITests/BarBusErrorCLITests.swift).
final class PollTests: MappedBarTestCase {
  func testMatchReturnsValueAndElapsed() throws {
    try lua.eval("b:write32(0x10, 0x8000abcd) b:write64(0x20, -1)")
    XCTAssertEqual(
      try lua.eval("local v, ns = b:poll32(0x10, 0x80000000, 0x80000000) return v .. ' ' .. math.type(ns)"),
      "\(0x8000_abcd) integer")
    XCTAssertEqual(try lua.eval("local v, ns = b:poll32(0x10, 0xff, 0xcd) return ns >= 0 and ns < 1e9"), "true")
    XCTAssertEqual(try lua.eval("return (b:poll64(0x20, -1, -1))"), "-1")
    XCTAssertEqual(try lua.eval("return (b:poll64(0x20, 0xf0, 0xf0, 0))"), "-1")
    // Negative masks and wants mean the same bits as write32's two's complement values.
    XCTAssertEqual(try lua.eval("return (b:poll32(0x10, -1, 0x8000abcd))"), "\(0x8000_abcd)")
  }

  func testTimeoutReturnsLastValue() throws {
    try lua.eval("b:write32(0, 0x1234)")
    XCTAssertEqual(
      try lua.eval(
        """
        local t0 = time.ns()
        local v, why, last = b:poll32(0, 1, 1, 0.05)
        local dt = (time.ns() - t0) / 1e9
        return tostring(v) .. ' ' .. why .. ' ' .. last .. ' ' .. tostring(dt >= 0.05 and dt < 1)
        """), "nil timeout 4660 true")
    XCTAssertEqual(
      try lua.eval("local v, why, last, reads = b:poll64(0, 1, 1, 0) return why .. ' ' .. last .. ' ' .. reads"),
      "timeout 4660 1")
    XCTAssertEqual(try lua.eval("local v, ns, reads = b:poll32(0, 0xffff, 0x1234) return reads"), "1")
    XCTAssertEqual(
      try lua.eval("local _, _, _, reads = b:poll32(0, 1, 1, 0.05) return reads > 1000 and math.type(reads)"),
      "integer")
  }

  func testBadArguments() {
    let cases: [(String, String)] = [
      ("b:poll32(2, 1, 1)", "bar:poll32: offset 0x2 is not 4-byte aligned"),
      ("b:poll64(4, 1, 1)", "bar:poll64: offset 0x4 is not 8-byte aligned"),
      ("b:poll32(0x1000, 1, 1)", "bar:poll32: offset 0x1000 + 4 exceeds BAR size 0x1000"),
      (
        "b:poll32(0, 0x100000000, 0)",
        "bar:poll32: mask 4294967296 (0x100000000) does not fit in 32 bits (0..0xffffffff or -2147483648..-1)"
      ),
      ("b:poll32(0, 1, 'x')", "bar:poll32: want must be an integer, got string"),
      ("b:poll32(0, nil, 1)", "bar:poll32: mask must be an integer, got nil"),
      (
        "b:poll32(0, 0xff, 0x100)",
        "bar:poll32: want 0x100 has bits outside mask 0xff, so the register could never match: clear them from want or add them to mask"
      ),
      ("b:poll32(0, 1, 1, -1)", "bar:poll32: timeout -1 is negative: give seconds (0 .. 86400)"),
      ("b:poll32(0, 1, 1, 0/0)", "bar:poll32: timeout is NaN: give a number of seconds (0 .. 86400)"),
      (
        "b:poll64(0, 1, 1, 1e300)",
        "bar:poll64: timeout 1e+300 s is too long (at most 86400 s, one day): is it in seconds?"
      ),
      (
        "b:poll64(0, 1, 1, math.huge)",
        "bar:poll64: timeout inf s is too long (at most 86400 s, one day): is it in seconds?"
      ),
      ("b:poll32(0, 1, 1, 'soon')", "bar:poll32: timeout must be a number of seconds, got a string"),
      ("b:poll32(0, 1, 1, 1, 2)", "bar:poll32: takes at most 4 arguments (offset, mask, want, timeout_s), got 5"),
      ("b.poll32(1, 0, 1, 1)", "bar:poll32: expected a bar as self (call it as bar:poll32(...)), got number"),
      ("b:unmap() b:poll32(0, 1, 1)", "bar:poll32: bar is unmapped"),
    ]
    lua.assertErrors(cases)
  }
}
