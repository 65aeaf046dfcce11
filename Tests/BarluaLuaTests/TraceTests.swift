import Foundation
import XCTest

/// bar:trace / bar:trace_stop (recorded in C), trace:entries/format, and regs.mmiotrace on a
/// log in the kernel's format (Tests/Fixtures/mmiotrace/SOURCES.md), fuzzed.
final class TraceTests: MappedBarTestCase {
  static let fixtures: String = {
    var url = URL(fileURLWithPath: "\(#filePath)")
    for _ in 0..<2 { url.deleteLastPathComponent() }
    return url.path + "/Fixtures/mmiotrace/"
  }()

  static let eduMap = """
    regs = require 'barlua.regs'
    edu = regs.define{name = 'edu', registers = {
      {name = 'id', offset = 0x00, width = 32, access = 'ro',
       fields = {major = {lsb = 24, msb = 31}, minor = {lsb = 16, msb = 23}, magic = {lsb = 0, msb = 15}}},
      {name = 'liveness', offset = 0x04, width = 32, access = 'rw'},
      {name = 'factorial', offset = 0x08, width = 32, access = 'rw'},
      {name = 'status', offset = 0x20, width = 32, access = 'rw',
       fields = {computing = {bit = 0, access = 'ro'}, irq_enable = {bit = 7}}},
      {name = 'irq_status', offset = 0x24, width = 32, access = 'ro', side_effects = true},
      {name = 'irq_ack', offset = 0x64, width = 32, access = 'wo'},
      {name = 'dma_src', offset = 0x80, width = 64, access = 'rw'},
    }}
    """

  /// kind@offset=value of every entry.
  func entries(_ trace: String) throws -> String {
    try lua.eval(
      """
      local s = {}
      for _, e in ipairs(\(trace):entries()) do
        s[#s + 1] = string.format('%s@%x=%s', e.kind, e.offset, e.value and string.format('%x', e.value) or '-')
      end
      return table.concat(s, ' ')
      """)
  }

  func testEveryAccessInOrderBulkAsOneEntry() throws {
    try lua.eval(
      """
      b:write32(4, 0x12345678)
      b:trace()
      b:write8(1, 0xab) b:read16(0) b:write64(8, -1) b:read32(4) b:read64hl(8) b:write64lh(16, 5)
      b:write(0x100, 'abcdef', 16) b:fill(7, 0x200, 64) b:read(0x100, 6) b:count(7, 0x200, 64)
      b:compare(0x100, 'abcxef') b:poll32(4, 0xff, 0x78, 0.01) b:dump(0, 16)
      t = b:trace_stop()
      b:write32(0, 1) -- not recorded: tracing is off
      """)
    XCTAssertEqual(try lua.eval("return #t"), "13")
    XCTAssertEqual(
      try entries("t"),
      "write8@1=ab read16@0=ab00 write64@8=ffffffffffffffff read32@4=12345678 read64hl@8=ffffffffffffffff "
        + "write64lh@10=5 write@100=- fill@200=7 read@100=- count@200=40 compare@100=103 poll32@4=12345678 dump@0=-")
    XCTAssertEqual(
      try lua.eval("local e = t:entries() return e[7].data .. e[7].len .. e[7].width .. e[9].data"), "abcdef616abcdef")
    XCTAssertEqual(try lua.eval("local e = t:entries()[12] return e.mask .. ' ' .. e.want"), "255 120")
    XCTAssertEqual(
      try lua.eval("local e = t:entries() for i = 2, #e do assert(e[i].ns >= e[i-1].ns) end return e[#e].ns < 1e9"),
      "true",
      "times ascend from the start, in ns")
    XCTAssertEqual(try lua.eval("return tostring(t)"), "trace of bar \(file.path) file 4 KiB: 13 accesses")
    XCTAssertEqual(try lua.eval("return t.path .. ' ' .. t.method"), "\(file.path) file")
  }

  func testLimitDropsTheRestAndSaysSo() throws {
    try lua.eval("b:trace{limit = 3} for i = 1, 10 do b:read32(0) end t = b:trace_stop()")
    XCTAssertEqual(try lua.eval("return #t .. ' ' .. t.dropped"), "3 7")
    XCTAssertTrue(
      try lua.eval("return t:format()").hasSuffix("(7 more accesses not recorded: past the trace's limit)\n"))
  }

  func testFormatNamesRegistersAndFields() throws {
    try lua.eval(Self.eduMap)
    try lua.eval(
      "r = regs.bind(b, edu) b:trace() r.liveness = 5 r.status.irq_enable = 1 local _ = r.id.major b:write8(0x81, 1) b:read(0, 12) t = b:trace_stop()"
    )
    let text = try lua.eval("return t:format(edu)")
    let lines = text.split(separator: "\n").map {
      $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2).joined(separator: " ")
    }
    XCTAssertEqual(
      lines,
      [
        "write32 0x4 0x00000005 edu.liveness",
        "read32 0x20 0x00000000 edu.status{computing=0x0 irq_enable=0x0}",
        "write32 0x20 0x00000080 edu.status{computing=0x0 irq_enable=0x1}",
        "read32 0x0 0x00000000 edu.id{magic=0x0 minor=0x0 major=0x0}",
        "write8 0x81 0x01 edu.dma_src+0x1",
        "read 0x0 12 bytes edu.id .. edu.factorial",
      ], text)
    XCTAssertEqual(try lua.eval("return t:format(r) == t:format(edu)"), "true", "a binding names through its map")
  }

  func testErrors() {
    lua.assertErrors([
      ("b:trace_stop()", "bar:trace_stop: this bar is not being traced: start with bar:trace()"),
      ("b:trace() b:trace()", "bar:trace: this bar is already being traced: call bar:trace_stop() first"),
      ("b:trace{limit = 0}", "bar:trace: limit must be an integer 1 .. 16777216 (entries), got 0"),
      ("b:trace{limt = 5}", "bar:trace: unknown option 'limt' (known: limit, data)"),
      ("b:trace(5)", "bar:trace: argument must be a table {limit = ENTRIES, data = BYTES}, got number"),
      (
        "regs = require 'barlua.regs' regs.mmiotrace(5)",
        "regs.mmiotrace: argument 1 must be the text of an mmiotrace log (a string), got number"
      ),
      (
        "regs = require 'barlua.regs' regs.mmiotrace('', {base = 'x'})",
        "regs.mmiotrace: base must be an integer (the physical address of the BAR), got string"
      ),
      (
        "regs = require 'barlua.regs' regs.mmiotrace('', {bas = 1})",
        "regs.mmiotrace: unknown option 'bas' (known: base, limit)"
      ),
    ])
  }

  func testMmiotraceFixtureParsesToOffsetsAndNames() throws {
    try lua.eval(Self.eduMap)
    try lua.eval("f = io.open('\(Self.fixtures)edu-driver.txt') text = f:read('a') f:close() t = regs.mmiotrace(text)")
    XCTAssertEqual(
      try entries("t"),
      "read32@0=10000ed write32@4=12345678 read32@4=edcba987 write32@20=80 write32@8=5 read32@20=81 read32@20=80 "
        + "read32@8=78 read32@24=1 write32@64=1 read64@80=0 write8@3=ff read16@2=100")
    XCTAssertEqual(
      try lua.eval("return t.base .. ' ' .. t.outside .. ' ' .. t.unparsed .. ' ' .. #t.maps"), "\(0xfea0_0000) 1 0 2")
    XCTAssertEqual(try lua.eval("local e = t:entries() return e[1].ns .. ' ' .. e[13].ns"), "0 176000")
    let named = try lua.eval("return t:format(edu)").split(separator: "\n").map {
      $0.split(separator: " ").last.map(String.init) ?? ""
    }
    XCTAssertEqual(
      named,
      [
        "major=0x1}", "edu.liveness", "edu.liveness", "irq_enable=0x1}", "edu.factorial", "irq_enable=0x1}",
        "irq_enable=0x1}", "edu.factorial", "edu.irq_status", "edu.irq_ack", "edu.dma_src", "edu.id+0x3", "edu.id+0x2",
      ])
    // An explicit base: the second mapping's access, the others outside.
    XCTAssertEqual(
      try lua.eval("local t = regs.mmiotrace(text, {base = 0xfe000000}) return #t .. ' ' .. t.outside"), "1 13")
    XCTAssertEqual(try entries("regs.mmiotrace(text, {base = 0xfe000010})"), "read32@0=deadbeef")
  }

  /// A log the kernel wrote: virtio_pci probing QEMU's virtio-rng on 6.1, recorded in the bed
  /// (SOURCES.md says how), named through the virtio common-configuration map.
  func testRecordedVirtioProbeIsTheVirtioInitSequence() throws {
    try lua.eval(
      """
      regs = require 'barlua.regs'
      common = dofile('\(Self.fixtures)virtio_common.lua')
      f = io.open('\(Self.fixtures)virtio-pci-probe-6.1.txt') text = f:read('a') f:close()
      t = regs.mmiotrace(text)
      """)
    // 66 R/W records: 43 in the common configuration (map 1, the first MAP, the default base),
    // 22 in the MSI-X table (map 5) and one notify write (map 3), which lie outside it.
    XCTAssertEqual(
      try lua.eval("return string.format('%x %d %d %d %d', t.base, #t, t.outside, t.unparsed, #t.maps)"),
      "fde00000 43 23 0 5")
    let all = try entries("t")
    XCTAssertTrue(
      all.hasPrefix(
        "write8@14=0 read8@14=0 read8@14=0 write8@14=1 read8@14=1 write8@14=3 write32@0=0 read32@4=30000000 "
          + "write32@0=1 read32@4=101 "),
      all)
    // The virtio status handshake (spec 3.1.1): reset, ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK.
    XCTAssertEqual(
      try lua.eval(
        """
        local s = {}
        for _, e in ipairs(t:entries()) do
          if e.kind == 'write8' and e.offset == 0x14 then s[#s + 1] = string.format('%x', e.value) end
        end
        return table.concat(s, ' ')
        """), "0 1 3 b f")
    let named = try lua.eval("return t:format(common)").split(separator: "\n")
    XCTAssertEqual(named.count, 43)
    let driverOK = "common.device_status{acknowledge=0x1 driver=0x1 driver_ok=0x1 features_ok=0x1}"
    XCTAssertTrue(named.last?.hasSuffix(driverOK) ?? false)
    XCTAssertTrue(named.contains { $0.hasSuffix("read16    0x18       0x0008               common.queue_size") })
    // The MSI-X table's accesses are found with its own base.
    XCTAssertEqual(
      try lua.eval("local m = regs.mmiotrace(text, {base = 0xfe700000}) return #m .. ' ' .. m.outside"), "22 44")
  }

  /// Mutated logs and random bytes: never an error, never more entries than lines, quickly.
  func testFuzzedMmiotraceNeverFails() throws {
    try lua.eval(
      "regs = require 'barlua.regs' f = io.open('\(Self.fixtures)edu-driver.txt') text = f:read('a') f:close()")
    let result = try lua.eval(
      """
      math.randomseed(25)
      local lines = {}
      for l in text:gmatch('[^\\n]*') do lines[#lines + 1] = l end
      local pieces = {'R', 'W', 'MAP', ' ', '0x', 'ffffffffffffffffff', '4', '8', '3', '.', '-1',
        '99999999999999999999.999999', '\\0', '\\r', string.rep('9', 5000), '0x8000000000000000', '\\n'}
      local n = 0
      for round = 1, 300 do
        local out = {}
        for i = 1, math.random(1, 40) do
          local l = lines[math.random(#lines)]
          local what = math.random(6)
          if what == 1 then l = l:sub(1, math.random(0, #l))
          elseif what == 2 then
            local p = math.random(0, #l)
            l = l:sub(1, p) .. pieces[math.random(#pieces)] .. l:sub(p + 1)
          elseif what == 3 then
            local s = {}
            for j = 1, math.random(0, 80) do s[j] = string.char(math.random(0, 255)) end
            l = table.concat(s)
          end
          out[#out + 1] = l
        end
        local t = regs.mmiotrace(table.concat(out, '\\n'), round % 2 == 0 and {base = math.random(0, 1 << 40)} or nil)
        assert(#t <= #out, 'more entries than lines')
        for _, e in ipairs(t:entries()) do assert(e.offset >= 0 and e.width >= 8) end
        n = n + 1
      end
      local huge = string.rep('R 4 1.000001 1 0xfea00000 0x1 0x0 0\\n', 200000)
      local t0 = os.clock()
      local t = regs.mmiotrace(huge, {limit = 1000})
      return n .. ' ' .. #t .. ' ' .. t.dropped .. ' ' .. tostring(os.clock() - t0 < 20)
      """)
    XCTAssertEqual(result, "300 1000 199000 true")
  }
}
