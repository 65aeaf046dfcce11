import XCTest

/// The Lua state's allocator asks for transparent huge pages for blocks of 8 MiB and more
/// (CBarlua/heap.c): the kernel records the advice as the `hg` flag of the memory area, which
/// /proc/self/smaps shows.
final class LargeBlockTests: XCTestCase {
  /// The VmFlags of the memory area that holds the byte 4 MiB into a string of `size` bytes
  /// (inside the 2 MiB-aligned part of a block of 8 MiB or more, whatever its alignment).
  func flags(ofAStringOf size: Int) throws -> String {
    try LuaHarness().eval(
      """
      s = string.rep('x', \(size))
      -- %p of a string is the address of Lua's string object; its bytes follow it.
      local x = tonumber(string.format('%p', s):sub(3), 16) + (4 << 20)
      local inside = false
      for l in io.lines('/proc/self/smaps') do
        local a, b = l:match('^(%x+)%-(%x+) ')
        if a then
          inside = tonumber(a, 16) <= x and x < tonumber(b, 16)
        elseif inside and l:match('^VmFlags:') then
          return l
        end
      end
      return 'no memory area holds the string'
      """)
  }

  func testLargeStringsAskForHugePages() throws {
    let flags = try flags(ofAStringOf: 16 << 20)
    XCTAssertTrue(flags.hasPrefix("VmFlags:"), flags)
    XCTAssertTrue(flags.split(separator: " ").contains("hg"), flags)
  }
}
