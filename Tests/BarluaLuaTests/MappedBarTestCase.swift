import XCTest

/// The set-up the bar method tests share: a fresh Lua runtime (`lua`) whose global `b` is a
/// bar mapped over `file`, a zero-filled 4 KiB temporary file the tests check independently.
class MappedBarTestCase: XCTestCase {
  var lua: LuaHarness!
  var file: TempFile!

  override func setUp() {
    super.setUp()
    lua = LuaHarness()
    file = TempFile(size: 0x1000)
    XCTAssertNoThrow(try lua.eval("b = mmio.map('\(file.path)')"))
  }
}
