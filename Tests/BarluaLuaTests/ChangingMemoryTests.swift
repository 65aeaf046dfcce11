import CBarlua
import CLua
import Foundation
import XCTest

/// Device memory changes under a bulk operation: another process toggles the last byte of a
/// 4 KiB mapping whose next page is inaccessible (PROT_NONE). compare, count and read must
/// never read outside [off, off+len): `b:compare(4095, "\0")` once rescanned past the string
/// and the mapping after memcmp had seen a difference (returning 4111, or dying of SIGSEGV).
final class ChangingMemoryTests: XCTestCase {
  func testBulkOperationsStayInsideTheirRangeWhileBytesFlip() throws {
    let page = 4096
    let file = TempFile(size: page)
    let fd = open(file.path, O_RDWR)
    XCTAssertGreaterThanOrEqual(fd, 0)
    defer { close(fd) }
    // Two pages reserved, the file mapped over the first: the second stays inaccessible.
    guard let region = mmap(nil, 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), region != MAP_FAILED,
      let p = mmap(region, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0), p != MAP_FAILED
    else { return XCTFail("mmap: errno \(errno)") }
    defer { munmap(region, 2 * page) }
    let window = UnsafeMutablePointer<barlua_window>.allocate(capacity: 1)
    window.initialize(to: barlua_window(base: p.assumingMemoryBound(to: UInt8.self), size: UInt64(page)))
    defer { window.deallocate() }

    let lua = LuaHarness()
    lua_createtable(lua.L, 0, 1)
    lua_pushinteger(lua.L, lua_Integer(page))
    lua_setfield(lua.L, -2, "size")
    barlua_bar_push(lua.L, window, nil, nil, nil, 0)
    lua_setglobal(lua.L, "b")
    defer { _ = try? lua.eval("b:unmap()") }

    // The other process: toggles byte 4095 between 1 and 0 for a few seconds.
    let flipper = Process()
    flipper.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    flipper.arguments = [
      "-c",
      """
      import mmap, sys, time
      f = open(sys.argv[1], 'r+b'); m = mmap.mmap(f.fileno(), 4096)
      print('ready', flush=True)
      end = time.time() + 20
      while time.time() < end:
          for _ in range(10000):
              m[4095] = 1; m[4095] = 0
      """,
      file.path,
    ]
    let out = Pipe()
    flipper.standardOutput = out
    try flipper.run()
    defer { flipper.terminate() }
    _ = out.fileHandleForReading.availableData  // "ready"

    let result = try lua.eval(
      """
      local seen = {}
      local t_end = time.ns() + 1.5e9
      local rounds = 0
      while time.ns() < t_end or not (seen.equal and seen.differ) do
        rounds = rounds + 1
        local at = b:compare(4095, "\\0")
        if at == nil then seen.equal = true
        elseif at == 4095 then seen.differ = true
        else error("compare returned " .. at) end
        local at2 = b:compare(4000, ("\\0"):rep(96))
        assert(at2 == nil or at2 == 4095, at2)
        local n = b:count(1, 4000, 96)
        assert(n == 0 or n == 1, n)
        assert(#b:read(4064, 32) == 32 and #b:read(0, 4096) == 4096)
        local s = b:read(4088, 8, 64)
        assert(#s == 8 and (s:byte(8) == 0 or s:byte(8) == 1))
        if rounds > 5e7 then error("the other process never flipped the byte") end
      end
      return "ok"
      """)
    XCTAssertEqual(result, "ok")
  }
}
