import XCTest

/// barlua.script, the one library the scripts share (scripts/lib/barlua/script.lua, built in).
final class ScriptLibraryTests: XCTestCase {
  /// size_text is tostring(bar)'s formatter (one C function): the same words for the same size.
  func testSizeTextIsTheBarFormatter() throws {
    let lua = LuaHarness()
    let cases: [(Int, String)] = [
      (100, "100 bytes"), (1024, "1 KiB"), (1536, "1536 bytes"), (64 << 10, "64 KiB"),
      (4 << 20, "4 MiB"), (3 << 30, "3 GiB"), ((1 << 30) + (1 << 20), "1025 MiB"), (0, "0 bytes"),
    ]
    for (n, want) in cases {
      XCTAssertEqual(try lua.eval("return require('barlua.script').size_text(\(n))"), want, "\(n)")
    }
    let file = NSTemporaryDirectory() + "barlua-size-text-\(getpid())"
    XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data(count: 64 << 10)))
    defer { try? FileManager.default.removeItem(atPath: file) }
    XCTAssertEqual(
      try lua.eval("return tostring(mmio.map('\(file)')):match('%d+ %a+$')"),
      try lua.eval("return require('barlua.script').size_text(64 * 1024)"))
  }

  func testMessageDropsTheScriptPositionOnly() throws {
    let lua = LuaHarness()
    let s = "local script = require 'barlua.script'; "
    XCTAssertEqual(
      try lua.eval(s + "return script.message('persistence.lua:12: bar is unmapped\\nmore')"),
      "bar is unmapped\nmore")
    XCTAssertEqual(
      try lua.eval(s + "return script.first_line('x.lua:1: first\\nsecond')"), "first")
    XCTAssertEqual(
      try lua.eval(s + "return script.message('vfio.open: no such device\\nat a.lua:3: kept')"),
      "vfio.open: no such device\nat a.lua:3: kept", "a position past the first line stays")
    XCTAssertTrue(try lua.eval(s + "return script.message({})").hasPrefix("table: "))
  }

  func testBarNumber() throws {
    let lua = LuaHarness()
    let s = "local script = require 'barlua.script'; return "
    for (text, want) in [
      ("0", "0"), ("5", "5"), ("0x3", "3"), ("6", "nil"), ("-1", "nil"), ("1.5", "nil"), ("x", "nil"),
    ] {
      XCTAssertEqual(try lua.eval(s + "script.bar_number('\(text)')"), want, text)
    }
  }
}
