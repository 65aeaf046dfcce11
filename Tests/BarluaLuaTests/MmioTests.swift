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
      lua.error("mmio.map('/x', {sise = 4})"), "test:1: mmio.map: unknown option 'sise' (expected offset, size, write)")
    XCTAssertEqual(
      lua.error("mmio.map('/x', {}, 3)"),
      "test:1: mmio.map: takes at most 2 arguments (path, {offset=, size=, write=}), got 3")
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

  func testReadOnlyMappingOfAFileNobodyMayWrite() throws {
    let bytes = Data((0..<4096).map { UInt8($0 & 0xff) })
    let path = try readOnlyFile(bytes)
    // Read-write (the default) is refused by the kernel, as before; the hint names the way out.
    let why =
      geteuid() == 0
      ? "Operation not permitted (errno 1): the file is immutable (chattr +i; lsattr shows 'i'): no one,"
        + " not even root, may write it; remove the flag with chattr -i \(path) if it should be mapped writable"
      : "Permission denied (errno 13): the file needs to be readable and writable by you"
    XCTAssertEqual(
      lua.error("mmio.map('\(path)')"), "test:1: mmio.map: open \(path): \(why) (to only read it: {write=false})")
    XCTAssertEqual(
      try lua.eval(
        """
        local b <close> = mmio.map('\(path)', {write = false})
        return ('%s %d 0x%x %d %d %s'):format(b.writable, b.size, b:read32(4), b:count(0),
          #b:read(0, 4096), b:compare(0, '\\0\\1'))
        """), "false 4096 0x7060504 16 4096 nil")
    // Every method that stores refuses, naming itself; even called through a writable bar.
    let w = TempFile(size: 64)
    for call in [
      "write8(0, 1)", "write16(0, 1)", "write32(0, 1)", "write64(0, 1)", "write64hl(0, 1)",
      "write64lh(0, 1)", "write(0, 'x')", "fill(0)", "write(0, 'abcd', 32)", "fill(0, 0, 8, 64)",
    ] {
      let fn = String(call.prefix { $0 != "(" })
      let want =
        "bar:\(fn): bar is mapped read-only (mapped with {write=false}): map it again without"
        + " write=false to write"
      XCTAssertEqual(lua.error("local b = mmio.map('\(path)', {write = false}) b:\(call)"), "test:1: " + want)
      let args = call.drop { $0 != "(" }.dropFirst()
      XCTAssertEqual(
        try lua.eval(
          """
          local b = mmio.map('\(path)', {write = false})
          local w = mmio.map('\(w.path)')
          local ok, e = pcall(w.\(fn), b, \(args)
          return tostring(ok) .. ' ' .. e
          """), "false " + want)
    }
    XCTAssertEqual(FileManager.default.contents(atPath: path), bytes)
    XCTAssertEqual(try lua.eval("return mmio.map('\(w.path)').writable"), "true")
    XCTAssertEqual(
      lua.error("mmio.map('\(w.path)', {write = 0})"), "test:1: mmio.map: option write must be a boolean, got number")
  }

  func testRequireNamesTheSameModule() throws {
    XCTAssertEqual(try lua.eval("return require('barlua.mmio') == mmio"), "true")
    XCTAssertEqual(try lua.eval("return require('barlua.time') == time"), "true")
  }
}
