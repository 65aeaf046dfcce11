import Foundation
import XCTest

/// A SIGBUS inside an access (here: the file was truncated under the mapping) is a Lua error
/// naming where it faulted and how much was done, and the process goes on. The same script
/// runs against the release build in CLITests/BarBusErrorCLITests.swift (the optimiser once
/// removed the guard's arming store there).
final class BusErrorTests: XCTestCase {
  let tail =
    "the device or file stopped backing this mapping (device removed, memory decode disabled, or file truncated)"

  func testEveryOperationAfterTruncationGivesLuaError() throws {
    let lua = LuaHarness()
    let f = TempFile(size: 65536)
    try lua.eval("b = mmio.map('\(f.path)') b:write32(0x2000, 7)")
    truncate(f.path, 0)
    let cases: [(String, String)] = [
      ("return b:read32(0x2000)", "bar:read32: bus error at offset 0x2000"),
      ("b:write64(8, 1)", "bar:write64: bus error at offset 0x8"),
      ("return b:read8(3)", "bar:read8: bus error at offset 0x3"),
      ("b:write16(2, 1)", "bar:write16: bus error at offset 0x2"),
      ("return b:read64hl(16)", "bar:read64hl: bus error at offset 0x10"),
      ("b:write64lh(16, 1)", "bar:write64lh: bus error at offset 0x10"),
      ("return b:count(0)", "bar:count: bus error at offset 0x0 after 0 of 65536 bytes examined"),
      ("return b:read(0, 16)", "bar:read: bus error at offset 0x0 after 0 of 16 bytes read"),
      ("return b:read(0, 4096)", "bar:read: bus error at offset 0x0 after 0 of 4096 bytes read"),
      ("return b:compare(0, 'x')", "bar:compare: bus error at offset 0x0 after 0 of 1 bytes compared"),
      ("b:fill(1)", "bar:fill: bus error at offset 0x0 after 0 of 65536 bytes written"),
      ("b:write(0, 'abc')", "bar:write: bus error at offset 0x0 after 0 of 3 bytes written"),
      ("return b:dump(0, 32)", "bar:dump: bus error at offset 0x0 after 0 of 32 bytes read"),
      ("return b:poll32(0, 1, 1)", "bar:poll32: bus error at offset 0x0"),
      ("return b:poll64(8, 1, 1)", "bar:poll64: bus error at offset 0x8"),
    ]
    lua.assertErrors(cases, suffix: ": \(tail)")
    for width in [8, 16, 32, 64] {
      XCTAssertEqual(
        lua.error("return b:read(8, 64, \(width))"),
        "test:1: bar:read: bus error at offset 0x8 after 0 of 64 bytes read: \(tail)")
      XCTAssertEqual(
        lua.error("b:write(8, ('x'):rep(64), \(width))"),
        "test:1: bar:write: bus error at offset 0x8 after 0 of 64 bytes written: \(tail)")
      XCTAssertEqual(
        lua.error("b:fill(0, 8, 64, \(width))"),
        "test:1: bar:fill: bus error at offset 0x8 after 0 of 64 bytes written: \(tail)")
    }
    // Growing the file back makes the same mapping usable again: the guard left no damage.
    truncate(f.path, 65536)
    XCTAssertEqual(try lua.eval("b:write32(0, 9) return b:read32(0)"), "9")
  }

  /// A write of 64 KiB over a file cut to 8 KiB: the fault is at 0x2000 and the first 8 KiB
  /// were written (checked in the file), for every width and without one.
  func testFaultInTheMiddleReportsOffsetAndBytesTransferred() throws {
    let lua = LuaHarness()
    let f = TempFile(size: 65536)
    try lua.eval("b = mmio.map('\(f.path)')")
    truncate(f.path, 8192)
    for (i, width) in ["nil", "8", "16", "32", "64"].enumerated() {
      let byte = 0x41 + i
      XCTAssertEqual(
        lua.error("b:write(0, string.char(\(byte)):rep(65536), \(width))"),
        "test:1: bar:write: bus error at offset 0x2000 after 8192 of 65536 bytes written: \(tail)", width)
      XCTAssertEqual(f.data, Data(repeating: UInt8(byte), count: 8192), width)
      XCTAssertEqual(
        lua.error("b:fill(\(byte + 1), 0x1000, nil, \(width))"),
        "test:1: bar:fill: bus error at offset 0x2000 after 4096 of 61440 bytes written: \(tail)", width)
      XCTAssertEqual(f.data.suffix(4096), Data(repeating: UInt8(byte + 1), count: 4096), width)
      XCTAssertEqual(
        lua.error("return b:read(0x1000, 0x3000, \(width))"),
        "test:1: bar:read: bus error at offset 0x2000 after 4096 of 12288 bytes read: \(tail)", width)
    }
    XCTAssertEqual(
      lua.error("return b:count(0x42, 4)"),
      "test:1: bar:count: bus error at offset 0x2000 after 8188 of 65532 bytes examined: \(tail)")
    // compare stops at the first difference and never reads the vanished page...
    XCTAssertEqual(try lua.eval("return b:compare(0x1ff0, ('F'):rep(0x0f) .. 'x' .. 'y')"), "\(0x1fff)")
    // ...but reaches it when everything before is equal.
    XCTAssertEqual(
      lua.error("return b:compare(0x1ff0, ('F'):rep(0x10) .. 'x')"),
      "test:1: bar:compare: bus error at offset 0x2000 after 16 of 17 bytes compared: \(tail)")
    XCTAssertEqual(
      lua.error("return b:dump(0x1f00, 0x200)"),
      "test:1: bar:dump: bus error at offset 0x2000 after 256 of 512 bytes read: \(tail)")
  }
}
