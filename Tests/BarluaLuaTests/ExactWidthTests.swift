import Foundation
import XCTest

/// bar:read/write/fill with a width: every width in both directions, the bytes landing where
/// they should (checked in the file, not through barlua), and each argument error.
final class ExactWidthTests: MappedBarTestCase {
  func testWriteThenReadEveryWidth() throws {
    let pattern = (0..<64).map { UInt8(($0 * 37 + 11) & 0xff) }
    // 64 bytes, and one access short of it: a write takes 8 bytes of the string at a time and
    // stores them as 64 / width accesses, then the rest (the tail) one access at a time.
    for width in [8, 16, 32, 64] {
      for count in [64, 64 - width / 8] {
        let bytes = Array(pattern[..<count])
        let lit = bytes.map { String(format: "\\x%02x", $0) }.joined()
        let at = 0x100 * (width / 8)
        try lua.eval("b:fill(0, 0, 0x1000) b:write(\(at), '\(lit)', \(width))")
        XCTAssertEqual(Array(file.data[at..<at + count]), bytes, "write width \(width), \(count) bytes")
        XCTAssertEqual(file.data[at - 1], 0, "nothing before, width \(width)")
        XCTAssertEqual(file.data[at + count], 0, "nothing after, width \(width), \(count) bytes")
        XCTAssertEqual(
          try lua.eval("return b:read(\(at), \(count), \(width)) == '\(lit)'"), "true", "read width \(width)")
        // Short strings (up to 40 bytes, interned by Lua) and long ones take different paths.
        XCTAssertEqual(try lua.eval("return b:read(\(at), 8, \(width)) == ('\(lit)'):sub(1, 8)"), "true")
      }
    }
  }

  func testFillEveryWidthRepeatsTheByte() throws {
    for width in [8, 16, 32, 64] {
      try lua.eval("b:fill(0, 0, 0x1000) b:fill(0xa5, 0x40, 0x80, \(width))")
      let d = file.data
      XCTAssertEqual(Array(d[0x40..<0xc0]), [UInt8](repeating: 0xa5, count: 0x80), "width \(width)")
      XCTAssertEqual(d[0x3f], 0)
      XCTAssertEqual(d[0xc0], 0)
      XCTAssertEqual(try lua.eval("return b:count(0xa5)"), "128")
    }
    // Offsets and length default as without a width.
    try lua.eval("b:fill(7, nil, nil, 64)")
    XCTAssertEqual(try lua.eval("return b:count(7)"), "4096")
  }

  func testValuesAreLittleEndianWordsFromTheDevice() throws {
    try lua.eval("b:write32(0, 0x11223344) b:write64(8, 0x0102030405060708)")
    XCTAssertEqual(try lua.eval("return string.unpack('<I4', b:read(0, 4, 32))"), "287454020")
    XCTAssertEqual(try lua.eval("return string.unpack('<i8', b:read(8, 8, 64))"), "72623859790382856")
    XCTAssertEqual(try lua.eval("return b:read(0, 0, 32)"), "")
  }

  /// Reads of 8 MiB and more store into their buffer with 64-bit non-temporal stores, narrower
  /// widths gathering 64 / width loads into each (exact.c, STREAM_MIN): the same bytes as the
  /// path without a width, including the plain tail when the element count is not a multiple
  /// of the gather, and a bus error inside the streamed part still reports where it happened.
  func testLargeReadsGiveTheSameBytesAndFaultOffsets() throws {
    let size = 9 << 20
    let big = TempFile(size: size)
    let handle = try XCTUnwrap(FileHandle(forWritingAtPath: big.path))
    handle.write(Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }))
    try handle.close()
    try lua.eval("g = mmio.map('\(big.path)')")
    for width in [8, 16, 32, 64] {
      let unit = width / 8
      // From one unit in to two units short of the end.
      let len = size - 3 * unit
      XCTAssertEqual(
        try lua.eval("return g:read(\(unit), \(len), \(width)) == g:read(\(unit), \(len))"), "true",
        "width \(width)")
    }
    truncate(big.path, (8 << 20) + 4096)
    for width in [8, 16, 32, 64] {
      XCTAssertEqual(
        lua.error("return g:read(0, \(size), \(width))"),
        "test:1: bar:read: bus error at offset 0x801000 after 8392704 of 9437184 bytes read: the device or file stopped backing this mapping (device removed, memory decode disabled, or file truncated)",
        "width \(width)")
    }
  }

  func testAlignmentLengthAndWidthErrors() {
    let cases: [(String, String)] = [
      ("b:read(2, 8, 32)", "bar:read: offset 0x2 is not a multiple of 4: 32-bit accesses must be 4-byte aligned"),
      ("b:read(0, 6, 32)", "bar:read: length 6 is not a multiple of 4: 32-bit accesses move whole 4-byte units"),
      ("b:read(8, 12, 64)", "bar:read: length 12 is not a multiple of 8: 64-bit accesses move whole 8-byte units"),
      ("b:read(1, 2, 16)", "bar:read: offset 0x1 is not a multiple of 2: 16-bit accesses must be 2-byte aligned"),
      (
        "b:write(4, 'abcdef', 32)",
        "bar:write: string length 6 is not a multiple of 4: 32-bit accesses move whole 4-byte units"
      ),
      (
        "b:write(4, 'abcdefgh', 64)",
        "bar:write: offset 0x4 is not a multiple of 8: 64-bit accesses must be 8-byte aligned"
      ),
      ("b:fill(0, 0, 3, 16)", "bar:fill: length 3 is not a multiple of 2: 16-bit accesses move whole 2-byte units"),
      ("b:fill(0, 4, nil, 64)", "bar:fill: offset 0x4 is not a multiple of 8: 64-bit accesses must be 8-byte aligned"),
      ("b:read(0, 4, 12)", "bar:read: width must be 8, 16, 32 or 64 (bits per access), got 12"),
      ("b:read(0, 4, 4)", "bar:read: width must be 8, 16, 32 or 64 (bits per access), got 4"),
      ("b:write(0, 'ab', 128)", "bar:write: width must be 8, 16, 32 or 64 (bits per access), got 128"),
      ("b:fill(0, 0, 4, -32)", "bar:fill: width must be 8, 16, 32 or 64 (bits per access), got -32"),
      ("b:read(0, 4, 32.5)", "bar:read: width must be an integer, got 32.5"),
      ("b:read(0, 4, '32x')", "bar:read: width must be an integer, got string"),
      ("b:read(0, 4, 32, 1)", "bar:read: takes at most 3 arguments (offset, length, width), got 4"),
      ("b:write(0, 'abcd', 32, 1)", "bar:write: takes at most 3 arguments (offset, string, width), got 4"),
      ("b:fill(0, 0, 4, 32, 1)", "bar:fill: takes at most 4 arguments (byte, offset, length, width), got 5"),
      ("b:read(0xffc, 8, 32)", "bar:read: offset 0xffc + length 0x8 exceeds BAR size 0x1000"),
    ]
    lua.assertErrors(cases)
  }

  func testUnalignedMappingIsRefusedForWideAccesses() throws {
    let big = TempFile(size: 0x2000)
    try lua.eval("u = mmio.map('\(big.path)', {offset = 2, size = 0x100})")
    XCTAssertEqual(try lua.eval("return #u:read(0, 16, 16)"), "16")
    let err = lua.error("u:read(0, 16, 32)")
    XCTAssertTrue(err.contains("bar:read: the mapping's address"), err)
    XCTAssertTrue(err.contains("is not 4-byte aligned (the bar was mapped at an unaligned file offset)"), err)
  }

  func testReadOnlyFields() {
    XCTAssertEqual(
      lua.error("b.size = 5"),
      "test:1: bar.size is read-only: a bar's fields and methods describe the mapping and cannot be changed (keep your own values in a table)"
    )
    XCTAssertEqual(
      lua.error("b.read32 = print"),
      "test:1: bar.read32 is read-only: a bar's fields and methods describe the mapping and cannot be changed (keep your own values in a table)"
    )
    XCTAssertEqual(
      lua.error("b.note = 'x'"),
      "test:1: cannot set bar.note: a bar has no fields of its own (keep your own values in a table, e.g. {bar = b, note = ...})"
    )
    XCTAssertEqual(
      lua.error("b[1] = 'x'"),
      "test:1: cannot set a number key on a bar: a bar has no fields of its own (keep your own values in a table)")
  }
}
