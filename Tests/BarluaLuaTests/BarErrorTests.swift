import XCTest

/// Every bad argument to a bar method is a Lua error naming the function, the argument and
/// the limit; none crashes.
final class BarErrorTests: MappedBarTestCase {
  func testMisalignedOffsetsPerWidth() {
    XCTAssertEqual(lua.error("b:read16(1)"), "test:1: bar:read16: offset 0x1 is not 2-byte aligned")
    XCTAssertEqual(lua.error("b:read32(2)"), "test:1: bar:read32: offset 0x2 is not 4-byte aligned")
    XCTAssertEqual(lua.error("b:read64(4)"), "test:1: bar:read64: offset 0x4 is not 8-byte aligned")
    XCTAssertEqual(lua.error("b:write16(3, 0)"), "test:1: bar:write16: offset 0x3 is not 2-byte aligned")
    XCTAssertEqual(lua.error("b:write32(6, 0)"), "test:1: bar:write32: offset 0x6 is not 4-byte aligned")
    XCTAssertEqual(lua.error("b:write64(12, 0)"), "test:1: bar:write64: offset 0xc is not 8-byte aligned")
    XCTAssertEqual(lua.error("b:read64hl(4)"), "test:1: bar:read64hl: offset 0x4 is not 8-byte aligned")
    XCTAssertEqual(lua.error("b:write64lh(4, 1)"), "test:1: bar:write64lh: offset 0x4 is not 8-byte aligned")
  }

  func testOffsetsOutOfRange() {
    XCTAssertEqual(lua.error("b:read32(0x1000)"), "test:1: bar:read32: offset 0x1000 + 4 exceeds BAR size 0x1000")
    XCTAssertEqual(lua.error("b:read8(0x1000)"), "test:1: bar:read8: offset 0x1000 + 1 exceeds BAR size 0x1000")
    XCTAssertEqual(
      lua.error("b:write64(0xff8 + 8, 0)"), "test:1: bar:write64: offset 0x1000 + 8 exceeds BAR size 0x1000")
    XCTAssertEqual(lua.error("b:read32(-4)"), "test:1: bar:read32: offset -4 is negative")
    XCTAssertEqual(
      lua.error("b:read32(math.maxinteger - 3)"),
      "test:1: bar:read32: offset 0x7ffffffffffffffc + 4 exceeds BAR size 0x1000")
    XCTAssertEqual(lua.error("b:read(0xfff, 2)"), "test:1: bar:read: offset 0xfff + length 0x2 exceeds BAR size 0x1000")
    XCTAssertEqual(lua.error("b:read(0, -1)"), "test:1: bar:read: length -1 is negative")
    XCTAssertEqual(
      lua.error("b:write(0xffe, 'abc')"), "test:1: bar:write: offset 0xffe + length 0x3 exceeds BAR size 0x1000")
    XCTAssertEqual(
      lua.error("b:fill(0, 0x800, 0x801)"), "test:1: bar:fill: offset 0x800 + length 0x801 exceeds BAR size 0x1000")
    XCTAssertEqual(lua.error("b:count(0, 0x1001)"), "test:1: bar:count: offset 0x1001 + 0 exceeds BAR size 0x1000")
    XCTAssertEqual(
      lua.error("b:compare(0xfff, 'ab')"), "test:1: bar:compare: offset 0xfff + length 0x2 exceeds BAR size 0x1000")
    XCTAssertEqual(
      lua.error("b:dump(0, 0x1001)"), "test:1: bar:dump: offset 0x0 + length 0x1001 exceeds BAR size 0x1000")
  }

  func testNonIntegerOffsets() {
    XCTAssertEqual(lua.error("b:read32(1.5)"), "test:1: bar:read32: offset must be an integer, got 1.5")
    XCTAssertEqual(lua.error("b:read32('x')"), "test:1: bar:read32: offset must be an integer, got string")
    XCTAssertEqual(lua.error("b:read32({})"), "test:1: bar:read32: offset must be an integer, got table")
    XCTAssertEqual(lua.error("b:read32()"), "test:1: bar:read32: offset must be an integer, got no value")
    XCTAssertEqual(
      lua.error("b:read32(2^63)"), "test:1: bar:read32: offset must be an integer, got 9.2233720368548e+18")
    XCTAssertEqual(lua.error("b:read32(0/0)"), "test:1: bar:read32: offset must be an integer, got -nan")
  }

  func testValuesTooWideForTheWidth() {
    XCTAssertEqual(
      lua.error("b:write8(0, 256)"),
      "test:1: bar:write8: value 256 (0x100) does not fit in 8 bits (0..0xff or -128..-1)")
    XCTAssertEqual(
      lua.error("b:write8(0, -129)"),
      "test:1: bar:write8: value -129 (0xffffffffffffff7f) does not fit in 8 bits (0..0xff or -128..-1)")
    XCTAssertEqual(
      lua.error("b:write16(0, 0x10000)"),
      "test:1: bar:write16: value 65536 (0x10000) does not fit in 16 bits (0..0xffff or -32768..-1)")
    XCTAssertEqual(
      lua.error("b:write32(0, 0x100000000)"),
      "test:1: bar:write32: value 4294967296 (0x100000000) does not fit in 32 bits (0..0xffffffff or -2147483648..-1)")
    XCTAssertEqual(lua.error("b:write32(0, 'x')"), "test:1: bar:write32: value must be an integer, got string")
    XCTAssertEqual(lua.error("b:write32(0)"), "test:1: bar:write32: value must be an integer, got no value")
    XCTAssertEqual(lua.error("b:fill(256)"), "test:1: bar:fill: byte 256 is out of range (0..255)")
    XCTAssertEqual(lua.error("b:count(-1)"), "test:1: bar:count: byte -1 is out of range (0..255)")
    XCTAssertEqual(lua.error("b:write(0, 5)"), "test:1: bar:write: data must be a string, got number")
    XCTAssertEqual(lua.error("b:compare(0)"), "test:1: bar:compare: data must be a string, got no value")
  }

  func testWrongArgumentCountsAndSelf() {
    XCTAssertEqual(lua.error("b:read32(0, 1)"), "test:1: bar:read32: takes at most 1 argument (offset), got 2")
    XCTAssertEqual(
      lua.error("b:write32(0, 1, 2)"), "test:1: bar:write32: takes at most 2 arguments (offset, value), got 3")
    XCTAssertEqual(
      lua.error("b.read32(0)"), "test:1: bar:read32: expected a bar as self (call it as bar:read32(...)), got number")
    XCTAssertEqual(
      lua.error("b.read32()"), "test:1: bar:read32: expected a bar as self (call it as bar:read32(...)), got no value")
    XCTAssertEqual(
      lua.error("b.read32(io.stdout, 0)"),
      "test:1: bar:read32: expected a bar as self (call it as bar:read32(...)), got FILE*")
    XCTAssertEqual(lua.error("local x = nil; x:read32(0)"), "test:1: attempt to index a nil value (local 'x')")
  }

  func testUseAfterUnmapAndClose() throws {
    try lua.eval("b:unmap()")
    XCTAssertEqual(lua.error("b:read32(0)"), "test:1: bar:read32: bar is unmapped")
    XCTAssertEqual(lua.error("b:write(0, 'x')"), "test:1: bar:write: bar is unmapped")
    XCTAssertEqual(lua.error("b:dump()"), "test:1: bar:dump: bar is unmapped")
    XCTAssertEqual(lua.error("b:unmap()"), "test:1: bar:unmap: bar is unmapped")
    XCTAssertEqual(try lua.eval("return tostring(b)"), "bar \(file.path) file 4 KiB (unmapped)")
    // A to-be-closed bar is unmapped at the end of its scope, silently even if unmapped inside.
    try lua.eval(
      """
      do local c <close> = mmio.map('\(file.path)') saved = c c:write8(0, 1) end
      do local d <close> = mmio.map('\(file.path)') d:unmap() end
      """)
    XCTAssertEqual(lua.error("saved:read8(0)"), "test:1: bar:read8: bar is unmapped")
  }

  func testGarbageCollectionUnmaps() throws {
    try lua.eval("for i = 1, 2000 do mmio.map('\(file.path)') end collectgarbage()")
    // If collected bars leaked their mappings, /proc/self/maps would list ~2000 of them.
    let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
    XCTAssertLessThan(maps.components(separatedBy: file.path).count - 1, 10)
  }
}
