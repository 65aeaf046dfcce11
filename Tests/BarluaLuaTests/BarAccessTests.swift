import Foundation
import XCTest

/// bar reads and writes of every width over a real file mapping, checked against the bytes
/// the file holds (read back independently through Foundation).
final class BarAccessTests: MappedBarTestCase {
  func testWritesLandLittleEndianWithExactWidth() throws {
    try lua.eval(
      """
      b:write8(0, 0x11) b:write16(2, 0x2233) b:write32(4, 0x44556677)
      b:write64(8, 0x0102030405060708)
      """)
    let d = [UInt8](file.data.prefix(16))
    XCTAssertEqual(d, [0x11, 0, 0x33, 0x22, 0x77, 0x66, 0x55, 0x44, 8, 7, 6, 5, 4, 3, 2, 1])
  }

  func testReadsReturnWhatTheFileHolds() throws {
    let fh = FileHandle(forWritingAtPath: file.path)!
    fh.seek(toFileOffset: 16)
    fh.write(Data([0xef, 0xbe, 0xad, 0xde, 0xff, 0xff, 0xff, 0xff]))
    fh.closeFile()
    XCTAssertEqual(try lua.eval("return b:read8(16)"), "239")
    XCTAssertEqual(try lua.eval("return b:read16(16)"), "\(0xbeef)")
    XCTAssertEqual(try lua.eval("return b:read32(16)"), "\(0xdead_beef)")
    // 64-bit values above 2^63 come back as negative Lua integers (two's complement).
    XCTAssertEqual(try lua.eval("return b:read64(16)"), "\(Int64(bitPattern: 0xffff_ffff_dead_beef))")
  }

  func testSplit64BitAccessesOrderAndValue() throws {
    try lua.eval("b:write64hl(24, 0x1122334455667788) b:write64lh(32, -2)")
    let d = [UInt8](file.data[24..<40])
    XCTAssertEqual(d, [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xfe] + [UInt8](repeating: 0xff, count: 7))
    XCTAssertEqual(try lua.eval("return b:read64hl(24) == 0x1122334455667788"), "true")
    XCTAssertEqual(try lua.eval("return b:read64lh(32)"), "-2")
  }

  func testNegativeValuesAreTwosComplement() throws {
    try lua.eval("b:write32(0, ~5) b:write8(4, -1) b:write16(6, -32768)")
    XCTAssertEqual([UInt8](file.data.prefix(8)), [0xfa, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x80])
  }

  func testBulkOperations() throws {
    try lua.eval("b:fill(0xab, 100, 10) b:write(200, 'hello')")
    XCTAssertEqual([UInt8](file.data[100..<110]), [UInt8](repeating: 0xab, count: 10))
    XCTAssertEqual(file.data[99], 0)
    XCTAssertEqual(file.data[110], 0)
    XCTAssertEqual(String(decoding: file.data[200..<205], as: UTF8.self), "hello")
    XCTAssertEqual(try lua.eval("return b:read(200, 5)"), "hello")
    XCTAssertEqual(try lua.eval("return b:count(0xab)"), "10")
    XCTAssertEqual(try lua.eval("return b:count(0)"), "\(4096 - 15)")
    XCTAssertEqual(try lua.eval("return b:count(0xab, 105)"), "5")
    XCTAssertEqual(try lua.eval("return b:count(0xab, 100, 3)"), "3")
    XCTAssertEqual(try lua.eval("return b:compare(200, 'hello')"), "nil")
    XCTAssertEqual(try lua.eval("return b:compare(200, 'help!')"), "203")
    XCTAssertEqual(try lua.eval("return #b:read(0, 4096)"), "4096")
    try lua.eval("b:fill(0x5a)")
    XCTAssertEqual(try lua.eval("return b:count(0x5a)"), "4096")
  }

  func testDumpMatchesHexdumpC() throws {
    try lua.eval("b:write(0, 'barlua dumps like hexdump -C\\0\\1\\2')")
    let dump = try lua.eval("return b:dump(0, 96)")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "head -c 96 '\(file.path)' | hexdump -C"]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let expected = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    // hexdump -C counts from 0 for its input; our dump of offset 0 must match it exactly.
    XCTAssertEqual(dump, expected)
  }

  func testFieldsAndTostring() throws {
    XCTAssertEqual(try lua.eval("return b.size"), "4096")
    XCTAssertEqual(try lua.eval("return b.method"), "file")
    XCTAssertEqual(try lua.eval("return tostring(b.index)"), "nil")
    XCTAssertEqual(try lua.eval("return tostring(b)"), "bar \(file.path) file 4 KiB")
    XCTAssertEqual(try lua.eval("return getmetatable(b)"), "barlua.bar")
  }

  func testSubRangeMapping() throws {
    try lua.eval("b:write32(0x104, 0xcafef00d)")
    try lua.eval("s = mmio.map('\(file.path)', {offset = 0x100, size = 0x10})")
    XCTAssertEqual(try lua.eval("return s.size"), "16")
    XCTAssertEqual(try lua.eval("return s:read32(4) == 0xcafef00d"), "true")
  }
}
