import Foundation
import XCTest

/// mmio.map over regular files, /dev/shm and its refusals.
final class MmioTests: XCTestCase {
  var lua: LuaHarness!
  override func setUp() { lua = LuaHarness() }

  func testMissingFile() {
    XCTAssertEqual(
      lua.error("mmio.map('/nonexistent/x')"),
      "test:1: mmio.map: stat /nonexistent/x: No such file or directory (errno 2): check the path (no such file)")
  }

  func testDirectory() {
    XCTAssertEqual(lua.error("mmio.map('/tmp')"), "test:1: mmio.map: /tmp is a directory: give a file to map")
  }

  func testEmptyFile() {
    let f = TempFile(size: 0)
    XCTAssertEqual(lua.error("mmio.map('\(f.path)')"), "test:1: mmio.map: \(f.path) is empty (0 bytes): nothing to map")
  }

  func testOffsetAndSizePastTheEnd() {
    let f = TempFile(size: 4096)
    XCTAssertEqual(
      lua.error("mmio.map('\(f.path)', {offset = 4096})"),
      "test:1: mmio.map: \(f.path): offset 0x1000 is past the end of the file (size 0x1000)")
    XCTAssertEqual(
      lua.error("mmio.map('\(f.path)', {offset = 4000, size = 200})"),
      "test:1: mmio.map: \(f.path): offset 0xfa0 + size 0xc8 exceeds the file size 0x1000")
    XCTAssertEqual(
      lua.error("mmio.map('\(f.path)', {size = 0})"), "test:1: mmio.map: option size must be greater than 0")
    XCTAssertEqual(lua.error("mmio.map('\(f.path)', {offset = -1})"), "test:1: mmio.map: option offset -1 is negative")
  }

  func testBadArguments() {
    XCTAssertEqual(lua.error("mmio.map()"), "test:1: mmio.map: path must be a string, got no value")
    XCTAssertEqual(lua.error("mmio.map(5)"), "test:1: mmio.map: path must be a string, got number")
    XCTAssertEqual(lua.error("mmio.map('/x', 5)"), "test:1: mmio.map: options must be a table, got number")
    XCTAssertEqual(
      lua.error("mmio.map('/x', {sise = 4})"), "test:1: mmio.map: unknown option 'sise' (expected offset, size)")
    XCTAssertEqual(
      lua.error("mmio.map('/x', {}, 3)"), "test:1: mmio.map: takes at most 2 arguments (path, {offset=, size=}), got 3")
  }

  func testCharacterDeviceNeedsASize() {
    XCTAssertEqual(
      lua.error("mmio.map('/dev/zero')"), "test:1: mmio.map: /dev/zero is a device file with no size: pass {size=...}")
  }

  func testNotMappable() {
    XCTAssertEqual(
      lua.error("mmio.map('/dev/null', {size = 4096})"),
      "test:1: mmio.map: mmap /dev/null: No such device (errno 19): this file cannot be memory-mapped")
    // /proc files report size 0, so the size check refuses them before mmap is tried.
    XCTAssertEqual(
      lua.error("mmio.map('/proc/self/status', {size = 4096})"),
      "test:1: mmio.map: /proc/self/status: offset 0x0 + size 0x1000 exceeds the file size 0x0")
  }

  func testRequireNamesTheSameModule() throws {
    XCTAssertEqual(try lua.eval("return require('barlua.mmio') == mmio"), "true")
    XCTAssertEqual(try lua.eval("return require('barlua.time') == time"), "true")
  }
}
