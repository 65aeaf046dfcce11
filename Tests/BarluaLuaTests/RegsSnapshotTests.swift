import Foundation
import XCTest

/// regs.snapshot / regs.diff / regs.restore over a file mapping: values by name, a register
/// with read side effects never read (the bar's own trace shows it), diffs by field, restore
/// writing back only what changed and may be written.
final class RegsSnapshotTests: XCTestCase {
  var lua: LuaHarness!
  var file: TempFile!

  override func setUp() {
    lua = LuaHarness()
    file = TempFile(size: 0x40)
    XCTAssertNoThrow(try lua.eval(RegsTests.prelude + "\nbar = mmio.map('\(file.path)')\nd = regs.bind(bar, map)"))
  }

  func testSnapshotReadsEveryRegisterWithoutSideEffectsOnce() throws {
    try lua.eval("bar:write32(0, 0x010000ed) bar:write32(8, 0x80000011) bar:write32(0x20, 7) bar:write64(0x18, -2)")
    try lua.eval("bar:trace() snap, skipped = regs.snapshot(d) t = bar:trace_stop()")
    XCTAssertEqual(try lua.eval("return snap.id"), "\(0x0100_00ed)")
    XCTAssertEqual(try lua.eval("return snap.ctrl"), "\(0x8000_0011)")
    XCTAssertEqual(try lua.eval("return snap.q"), "-2")
    XCTAssertEqual(
      try lua.eval("return tostring(snap.isr) .. tostring(snap.doorbell) .. tostring(snap.cmd)"), "nilnilnil")
    XCTAssertEqual(
      try lua.eval(
        "local s = {} for _, k in ipairs(skipped) do s[#s + 1] = k.register .. ':' .. k.why end return table.concat(s, ',')"
      ),
      "doorbell:write-only,isr:reading it has side effects,cmd:write-only")
    // Exactly one read per readable register, none at the read-to-clear isr (0x20).
    XCTAssertEqual(
      try lua.eval(
        "local s = {} for _, e in ipairs(t:entries()) do s[#s + 1] = e.kind .. '@' .. e.offset end return table.concat(s, ' ')"
      ),
      "read32@0 read32@4 read32@8 read8@16 read16@18 read64@24 read32@36")
  }

  func testDiffNamesChangedFieldsAndRegisters() throws {
    try lua.eval("a = regs.snapshot(d)")
    try lua.eval("bar:write32(8, 0x80000051) bar:write32(4, 9) bar:write8(0x10, 0xff)")
    try lua.eval("b = regs.snapshot(d) diff = regs.diff(a, b)")
    XCTAssertEqual(
      try lua.eval(
        """
        local s = {}
        for _, x in ipairs(diff) do
          s[#s + 1] = string.format('%s.%s %s->%s', x.register, tostring(x.field), x.before, x.after)
        end
        return table.concat(s, ', ')
        """),
      "scratch.nil 0->9, ctrl.enable 0->1, ctrl.mode 0->5, ctrl.busy 0->1, b.nil 0->255")
    XCTAssertEqual(try lua.eval("return #regs.diff(a, a)"), "0")
    // Without a map (plain tables, as read back from JSON): by register name, whole values.
    XCTAssertEqual(
      try lua.eval(
        "local x = regs.diff({r = 1, gone = 2}, {r = 3, new = 4}) local s = {} for _, e in ipairs(x) do s[#s+1] = e.register .. ':' .. tostring(e.before) .. '>' .. tostring(e.after) end return table.concat(s, ' ')"
      ), "gone:2>nil new:nil>4 r:1>3")
  }

  func testRestoreWritesBackOnlyChangedWritableRegisters() throws {
    try lua.eval("bar:write32(4, 0x1234) bar:write32(8, 0x11) a = regs.snapshot(d)")
    try lua.eval("bar:write32(4, 0) bar:write32(8, 0x80000000) bar:write32(0, 0xffff)")
    try lua.eval("bar:trace() written, skipped = regs.restore(d, a) t = bar:trace_stop()")
    XCTAssertEqual(try lua.eval("return table.concat(written, ',')"), "scratch,ctrl")
    XCTAssertEqual(file.data[4], 0x34)
    XCTAssertEqual(file.data[8], 0x11)
    XCTAssertEqual(file.data[0], 0xff, "read-only id not written back")
    XCTAssertEqual(try lua.eval("return skipped[1].register .. ':' .. skipped[1].why"), "id:read-only")
    XCTAssertEqual(
      try lua.eval(
        "local n = 0 for _, e in ipairs(t:entries()) do if e.offset == 0x20 then n = n + 1 end end return n"), "0",
      "the side-effect register is never touched")
  }

  func testErrors() {
    lua.assertErrors([
      ("regs.snapshot(bar)", "regs.snapshot: argument must be a binding from regs.bind, got userdata"),
      ("regs.diff(1, {})", "regs.diff: argument 1 must be a snapshot (a table from regs.snapshot), got number"),
      ("regs.diff({}, {x = 'a'})", "regs.diff: argument 2 is not a snapshot: entry x = a is not NAME = integer"),
      (
        "regs.restore(d, {scratch = 1.5})",
        "regs.restore: argument 2 is not a snapshot: entry scratch = 1.5 is not NAME = integer"
      ),
      ("regs.restore({}, {})", "regs.restore: argument 1 must be a binding from regs.bind, got table"),
    ])
  }
}
