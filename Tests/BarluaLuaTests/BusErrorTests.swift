import Foundation
import XCTest

/// A SIGBUS inside an access (here: the file was truncated under the mapping) is a Lua error
/// and the process goes on.
final class BusErrorTests: XCTestCase {
  func testTruncatedFileGivesLuaErrorNotDeath() throws {
    let lua = LuaHarness()
    let f = TempFile(size: 65536)
    try lua.eval("b = mmio.map('\(f.path)') b:write32(0x2000, 7)")
    truncate(f.path, 0)
    let tail =
      "the device or file stopped backing this mapping (device removed, memory decode disabled, or file truncated)"
    XCTAssertEqual(lua.error("return b:read32(0x2000)"), "test:1: bar:read32: bus error at offset 0x2000: \(tail)")
    XCTAssertEqual(lua.error("b:write64(8, 1)"), "test:1: bar:write64: bus error at offset 0x8: \(tail)")
    XCTAssertEqual(lua.error("return b:read64hl(16)"), "test:1: bar:read64hl: bus error at offset 0x10: \(tail)")
    XCTAssertEqual(lua.error("return b:count(0)"), "test:1: bar:count: bus error at offset 0x0 after 0 of 65536 bytes examined: \(tail)")
    XCTAssertEqual(lua.error("return b:read(0, 16)"), "test:1: bar:read: bus error at offset 0x0 after 0 of 16 bytes read: \(tail)")
    XCTAssertEqual(lua.error("return b:compare(0, 'x')"), "test:1: bar:compare: bus error at offset 0x0 after 0 of 1 bytes compared: \(tail)")
    XCTAssertEqual(lua.error("b:fill(1)"), "test:1: bar:fill: bus error at offset 0x0 after 0 of 65536 bytes written: \(tail)")
    XCTAssertEqual(lua.error("return b:dump(0, 32)"), "test:1: bar:dump: bus error at offset 0x0 after 0 of 32 bytes read: \(tail)")
    // Growing the file back makes the same mapping usable again: the guard left no damage.
    truncate(f.path, 65536)
    XCTAssertEqual(try lua.eval("b:write32(0, 9) return b:read32(0)"), "9")
  }
}
