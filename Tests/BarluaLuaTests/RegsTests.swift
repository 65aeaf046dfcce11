import Foundation
import XCTest

/// barlua.regs over a file mapping (mmio.map of a /dev/shm file): registers by name, fields,
/// and a clear refusal for every bad definition or access.
final class RegsTests: XCTestCase {
  var lua: LuaHarness!
  var file: TempFile!

  /// A small device: registers of every width and access, fields, a ro/wo pair.
  static let prelude = """
    regs = require 'barlua.regs'
    map = regs.define{
      name = 'dev', size = 0x40,
      registers = {
        {name = 'id', offset = 0x00, width = 32, access = 'ro',
         fields = {magic = {lsb = 0, msb = 7}, major = {lsb = 24, msb = 31}}},
        {name = 'scratch', offset = 0x04, width = 32, access = 'rw'},
        {name = 'ctrl', offset = 0x08, width = 32, access = 'rw',
         fields = {enable = {bit = 0}, mode = {bit = 4, width = 3}, busy = {bit = 31, access = 'ro'}}},
        {name = 'doorbell', offset = 0x0c, width = 32, access = 'wo', reset = 0x100,
         fields = {vector = {lsb = 0, msb = 15}, peer = {lsb = 16, msb = 31}}},
        {name = 'b', offset = 0x10, width = 8, access = 'rw'},
        {name = 'h', offset = 0x12, width = 16, access = 'rw'},
        {name = 'q', offset = 0x18, width = 64, access = 'rw'},
        {name = 'isr', offset = 0x20, width = 32, access = 'ro', side_effects = true},
        {name = 'cmd', offset = 0x24, width = 32, access = 'wo'},
        {name = 'state', offset = 0x24, width = 32, access = 'ro'},
      },
    }
    """

  override func setUp() {
    lua = LuaHarness()
    file = TempFile(size: 0x40)
    XCTAssertNoThrow(try lua.eval(Self.prelude + "\nbar = mmio.map('\(file.path)')\nd = regs.bind(bar, map)"))
  }

  /// The 32-bit little-endian word at `offset` of the file.
  func word(_ offset: Int) -> UInt32 {
    let d = file.data
    return (0..<4).reduce(UInt32(0)) { $0 | UInt32(d[offset + $1]) << (8 * UInt32($1)) }
  }

  /// The message of an error raised by `regs.define{name = 'dev', registers = {REG}}`.
  func defineError(_ reg: String, size: String = "") -> String {
    lua.error("regs.define{name = 'dev', \(size) registers = {\(reg)}}")
  }

  func testRegistersByName() throws {
    try lua.eval("bar:write32(0, 0x010000ed)")
    XCTAssertEqual(try lua.eval("return d.id.value"), "16777453")
    XCTAssertEqual(try lua.eval("return d.id.magic"), "237")
    XCTAssertEqual(try lua.eval("return d.id.major"), "1")
    try lua.eval("d.scratch = 0xcafef00d")
    XCTAssertEqual(word(4), 0xcafe_f00d)
    XCTAssertEqual(try lua.eval("return d.scratch"), "\(0xcafe_f00d)")
    try lua.eval("d.b = 0xab d.h = 0x1234 d.q = -2")
    let data = file.data
    XCTAssertEqual(Array(data[0x10...0x13]), [0xab, 0, 0x34, 0x12], "8 and 16-bit writes touch only their bytes")
    XCTAssertEqual(Array(data[0x18...0x1f]), [0xfe] + Array(repeating: 0xff, count: 7))
    XCTAssertEqual(try lua.eval("return d.q"), "-2")
    XCTAssertEqual(try lua.eval("return tostring(d)"), "dev registers on bar \(file.path) file 64 bytes")
  }

  func testFieldWriteIsReadModifyWrite() throws {
    try lua.eval("bar:write32(8, 0x80000000)")
    try lua.eval("d.ctrl.mode = 5")
    XCTAssertEqual(word(8), 0x8000_0050, "other bits kept")
    try lua.eval("d.ctrl.enable = 1")
    XCTAssertEqual(word(8), 0x8000_0051)
    XCTAssertEqual(try lua.eval("return d.ctrl.mode"), "5")
    XCTAssertEqual(try lua.eval("return d.ctrl.busy"), "1")
    try lua.eval("d.ctrl:set{enable = 0, mode = 2}")
    XCTAssertEqual(word(8), 0x8000_0020)
    XCTAssertEqual(
      try lua.eval("local g = d.ctrl:get() return g.value .. ' ' .. g.enable .. ' ' .. g.mode .. ' ' .. g.busy"),
      "\(0x8000_0020) 0 2 1")
    try lua.eval("d.ctrl.value = 7")
    XCTAssertEqual(word(8), 7)
    XCTAssertEqual(try lua.eval("return tostring(d.ctrl)"), "dev.ctrl = 0x00000007 {enable=0x1 mode=0x0 busy=0x0}")
  }

  /// Write-only registers cannot be read back: field writes start from the shadow, the last
  /// value written through this binding (the `reset` value before any write).
  func testWriteOnlyFieldsUseTheShadow() throws {
    try lua.eval("bar:write32(0x0c, 0xffffffff)")  // what the device would read: never used
    try lua.eval("d.doorbell.peer = 3")
    XCTAssertEqual(word(0x0c), 0x0003_0100, "starts from reset 0x100")
    try lua.eval("d.doorbell.vector = 2")
    XCTAssertEqual(word(0x0c), 0x0003_0002)
    try lua.eval("d.doorbell = 0x00070000 d.doorbell.vector = 1")
    XCTAssertEqual(word(0x0c), 0x0007_0001)
    XCTAssertEqual(
      lua.error("return d.doorbell.peer"), "test:1: dev.doorbell.peer is write-only: it cannot be read")
  }

  func testAccessErrors() {
    XCTAssertEqual(lua.error("d.id = 1"), "test:1: dev.id (0x0) is read-only: it cannot be written")
    XCTAssertEqual(lua.error("d.state = 1"), "test:1: dev.state (0x24) is read-only: it cannot be written")
    XCTAssertEqual(lua.error("return d.cmd"), "test:1: dev.cmd (0x24) is write-only: it cannot be read")
    XCTAssertEqual(lua.error("d.id.magic = 1"), "test:1: dev.id (0x0) is read-only: its fields cannot be written")
    XCTAssertEqual(lua.error("d.ctrl.busy = 0"), "test:1: dev.ctrl.busy is read-only: it cannot be written")
    XCTAssertEqual(
      lua.error("return d.scrach"),
      "test:1: dev has no register 'scrach'; did you mean 'scratch'? known: id, scratch, ctrl, doorbell, b, h, q, "
        + "isr, cmd, state")
    XCTAssertEqual(
      lua.error("d.nothing_like_it = 1"),
      "test:1: dev has no register 'nothing_like_it' known: id, scratch, ctrl, doorbell, b, h, q, isr, cmd, state")
    XCTAssertEqual(
      lua.error("return d.ctrl.enabel"),
      "test:1: dev.ctrl has no field 'enabel'; did you mean 'enable'? known: enable, mode, busy")
    XCTAssertEqual(
      lua.error("d.scratch = 0x100000000"),
      "test:1: dev.scratch: value 0x100000000 does not fit in 32 bits (max 0xffffffff)")
    XCTAssertEqual(lua.error("d.b = 0x100"), "test:1: dev.b: value 0x100 does not fit in 8 bits (max 0xff)")
    XCTAssertEqual(lua.error("d.scratch = 1.5"), "test:1: dev.scratch: value must be an integer, got float")
    XCTAssertEqual(lua.error("d.scratch = '1'"), "test:1: dev.scratch: value must be an integer, got string")
    XCTAssertEqual(
      lua.error("d.ctrl.mode = 8"),
      "test:1: dev.ctrl.mode: value 0x8 does not fit the 3-bit field (bits 4..6, max 0x7)")
    XCTAssertEqual(
      lua.error("d.ctrl.enable = -1"),
      "test:1: dev.ctrl.enable: value -1 does not fit the 1-bit field (bits 0..0, max 0x1)")
    XCTAssertEqual(
      lua.error("d.ctrl:set(5)"), "test:1: dev.ctrl:set: argument must be a table of field = value")
  }

  /// `set{}` names no field: no access at all (it was a read and a write, and on a write-only
  /// register a write of the shadow).
  func testSetOfNoFieldsDoesNoAccess() throws {
    try lua.eval("bar:write32(0x0c, 0xffffffff)")
    try lua.eval("d.doorbell:set{}")
    XCTAssertEqual(word(0x0c), 0xffff_ffff, "the write-only register's reset was written")
    let accesses = try lua.eval(
      """
      local n = 0
      local fake = {size = 0x40,
        read32 = function() n = n + 1 return 0 end, write32 = function() n = n + 1 end}
      local f = regs.bind(fake, map)
      f.ctrl:set{}
      f.doorbell:set{}
      local before = n
      f.ctrl:set{mode = 1}
      return before .. ' ' .. n
      """)
    XCTAssertEqual(accesses, "0 2", "set{} made accesses; set{mode = 1} is one read and one write")
  }

  func testFailedFieldWriteWritesNothing() throws {
    try lua.eval("d.ctrl.value = 0x11")
    _ = lua.error("d.ctrl:set{enable = 0, mode = 9}")
    XCTAssertEqual(word(8), 0x11)
  }

  func testDumpShowsReadableRegistersInHex() throws {
    try lua.eval("bar:write32(0, 0x010000ed) d.scratch = 0x1234 d.ctrl.mode = 3 d.q = 0x1122334455667788")
    let text = try lua.eval("io.stdout = {write = function() end} return regs.dump(d)")
    XCTAssertEqual(
      text,
      """
      dev registers on bar \(file.path) file 64 bytes
        0x0000 id               ro 32  0x010000ed  magic=0xed major=0x1
        0x0004 scratch          rw 32  0x00001234
        0x0008 ctrl             rw 32  0x00000030  enable=0x0 mode=0x3 busy=0x0
        0x000c doorbell         wo 32  (write-only)
        0x0010 b                rw  8  0x00
        0x0012 h                rw 16  0x0000
        0x0018 q                rw 64  0x1122334455667788
        0x0020 isr              ro 32  (not read: reading has side effects)
        0x0024 cmd              wo 32  (write-only)
        0x0024 state            ro 32  0x00000000

      """)
    XCTAssertEqual(
      lua.error("regs.dump({})"), "test:1: regs.dump: argument must be a binding from regs.bind, got table")
  }

  func testDefinitionErrors() {
    let e = "test:1: regs.define: "
    XCTAssertEqual(
      defineError("{name = 'status', offset = 0x22, width = 32, access = 'rw'}"),
      e + "dev register 'status': offset 0x22 is not 4-byte aligned (width 32)")
    XCTAssertEqual(
      defineError("{name = 'q', offset = 0x4, width = 64, access = 'rw'}"),
      e + "dev register 'q': offset 0x4 is not 8-byte aligned (width 64)")
    XCTAssertEqual(
      defineError("{name = 'x', offset = 0x100, width = 32, access = 'rw'}", size: "size = 0x100,"),
      e + "dev register 'x': offset 0x100 + 4 exceeds the map size 0x100")
    XCTAssertEqual(
      defineError("{name = 'x', offset = 0, width = 24, access = 'rw'}"),
      e + "dev register 'x': width must be the integer 8, 16, 32 or 64, got 24")
    XCTAssertEqual(
      defineError("{name = 'x', offset = 0, width = 32}"),
      e + "dev register 'x': access must be 'ro', 'rw' or 'wo', got nil")
    XCTAssertEqual(
      defineError("{name = 'x', offset = -4, width = 32, access = 'rw'}"),
      e + "dev register 'x': offset must be a non-negative integer, got -4")
    XCTAssertEqual(
      defineError("{name = 'x', ofset = 0, width = 32, access = 'rw'}"),
      e + "dev register 'x': unknown key 'ofset'; did you mean 'offset'? known: access, doc, fields, name, offset, "
        + "origin, reset, side_effects, width")
    XCTAssertEqual(
      defineError("{name = 'bad\\nname', offset = 0, width = 32, access = 'rw'}"),
      e + "dev register 1: name must be a non-empty string of printable characters, got \"bad\\\nname\"")
    XCTAssertEqual(
      defineError(
        "{name = 'a', offset = 0, width = 32, access = 'rw'}, {name = 'a', offset = 4, width = 32, access = 'rw'}"),
      e + "dev register 'a' is defined twice")
    XCTAssertEqual(
      defineError(
        "{name = 'a', offset = 0, width = 64, access = 'rw'}, {name = 'b', offset = 4, width = 32, access = 'rw'}"),
      e + "dev registers 'a' (0x0, 8 bytes) and 'b' (0x4) overlap")
    XCTAssertEqual(
      defineError("{name = 'x', offset = 0, width = 8, access = 'rw', reset = 0x100}"),
      e + "dev register 'x': reset 256 does not fit in 8 bits")
    XCTAssertEqual(
      lua.error("regs.define{name = 'dev', registers = {}}"), e + "map 'dev': registers must be a non-empty list")
    XCTAssertEqual(
      lua.error("regs.define{name = 'dev', size = 0, registers = {}}"),
      e + "map 'dev': size must be a positive integer, got 0")
    XCTAssertEqual(
      lua.error("regs.define{name = 'dev', regs = {}}"),
      e
        + "map 'dev': unknown key 'regs'; did you mean 'registers'? known: bar, device, doc, name, registers, size, skipped, vendor, warnings"
    )
    XCTAssertEqual(lua.error("regs.define(5)"), e + "the map must be a table {name =, registers = {...}}")
  }

  func testFieldDefinitionErrors() {
    let e = "test:1: regs.define: register 'r' field "
    func field(_ f: String, width: Int = 32, access: String = "rw") -> String {
      defineError("{name = 'r', offset = 0, width = \(width), access = '\(access)', fields = {\(f)}}")
    }
    XCTAssertEqual(field("f = {bit = 32}"), e + "'f': bit 32 is outside the 32-bit register (bits 0..31)")
    XCTAssertEqual(field("f = {bit = 30, width = 3}"), e + "'f': bits 30..32 do not fit in the 32-bit register")
    XCTAssertEqual(field("f = {lsb = 4, msb = 8}", width: 8), e + "'f': bits 4..8 do not fit in the 8-bit register")
    XCTAssertEqual(field("f = {lsb = 7, msb = 3}"), e + "'f': msb 3 is below lsb 7")
    XCTAssertEqual(field("f = {bit = 1, lsb = 1, msb = 2}"), e + "'f': give bit[/width] or lsb/msb, not both")
    XCTAssertEqual(field("f = {lsb = 1, msb = 2, width = 2}"), e + "'f': width goes with bit, not with lsb/msb")
    XCTAssertEqual(field("f = {}"), e + "'f': needs bit (and optional width) or lsb and msb")
    XCTAssertEqual(field("f = {bit = 0, width = 0}"), e + "'f': width must be a positive integer")
    XCTAssertEqual(
      field("value = {bit = 0}"), e + "'value': the name is reserved for the register view (value, get, set)")
    XCTAssertEqual(
      field("f = {bit = 0, access = 'rw'}", access: "ro"), e + "'f': access 'rw' is not possible in a 'ro' register")
    XCTAssertEqual(
      field("f = {bit = 0, acces = 'ro'}"),
      e + "'f': unknown key 'acces'; did you mean 'access'? known: access, alias, bit, doc, lsb, msb, origin, width")
    XCTAssertEqual(
      field("a = {lsb = 0, msb = 3}, b = {lsb = 3, msb = 5}"),
      "test:1: regs.define: dev register 'r': fields 'a' and 'b' overlap")
  }

  /// Issue 11 item 11: definitions that cannot work were accepted (each failed before the fix).
  func testDefinitionsThatCannotWorkAreRefused() {
    // lsb + width overflowed in the bounds check, so the field was accepted.
    XCTAssertEqual(
      defineError("{name = 'r', offset = 0, width = 32, access = 'rw', fields = {f = {bit = math.maxinteger}}}"),
      "test:1: regs.define: register 'r' field 'f': bit 9223372036854775807 is outside the 32-bit register "
        + "(bits 0..31)")
    XCTAssertEqual(
      defineError(
        "{name = 'r', offset = 0, width = 64, access = 'rw', fields = {f = {bit = 1, width = math.maxinteger}}}"),
      "test:1: regs.define: register 'r' field 'f': width 9223372036854775807 is wider than the 64-bit register")
    // offset + 8 overflowed to a negative extent, so bind accepted it on any bar.
    XCTAssertEqual(
      defineError("{name = 'r', offset = math.maxinteger - 7, width = 64, access = 'rw'}"),
      "test:1: regs.define: dev register 'r': offset 0x7ffffffffffffff8 + 8 bytes is beyond any bar (the largest "
        + "offset is 0x7ffffffffffffff7)")
    XCTAssertEqual(
      lua.error(
        "regs.bind(bar, regs.define{name = 'far', registers = {{name = 'r', offset = math.maxinteger - 7, "
          + "width = 32, access = 'rw'}}})"),
      "test:1: regs.bind: far register 'r' at 0x7ffffffffffffff8 + 4 exceeds the bar size 0x40 (bar \(file.path) file "
        + "64 bytes)")
    // 32.0 indexes the width table like 32, then accesses called "read32.0".
    XCTAssertEqual(
      defineError("{name = 'r', offset = 0, width = 32.0, access = 'rw'}"),
      "test:1: regs.define: dev register 'r': width must be the integer 8, 16, 32 or 64, got 32.0 (a float)")
    // The map's size (the BAR it was written for) was never compared with the bar's.
    XCTAssertEqual(
      lua.error(
        "regs.bind(bar, regs.define{name = 'big', size = 0x1000, registers = {{name = 'r', offset = 0, "
          + "width = 32, access = 'rw'}}})"),
      "test:1: regs.bind: map big expects a bar of 0x1000 bytes, bar \(file.path) file 64 bytes has 0x40: is this "
        + "the right device and BAR?")
  }

  /// Errors through a binding point at the user's line, not inside regs.lua.
  func testErrorsAreLocatedAtTheUsersLine() {
    XCTAssertEqual(
      lua.error("local g = d.ctrl.get()"), "test:1: regs: get must be called with a colon: r.REGISTER:get()")
    XCTAssertEqual(
      lua.error("\nd.ctrl.set{enable = 1}"),
      "test:2: regs: set must be called with a colon: r.REGISTER:set({field = value, ...})")
    XCTAssertNoThrow(try lua.eval("bar:unmap()"))
    XCTAssertEqual(lua.error("local x = d.scratch"), "test:1: dev.scratch (0x4): bar:read32: bar is unmapped")
    XCTAssertEqual(lua.error("\n\nd.scratch = 1"), "test:3: dev.scratch (0x4): bar:write32: bar is unmapped")
    XCTAssertEqual(lua.error("local x = d.ctrl.mode"), "test:1: dev.ctrl (0x8): bar:read32: bar is unmapped")
    XCTAssertEqual(lua.error("d.ctrl.mode = 1"), "test:1: dev.ctrl (0x8): bar:read32: bar is unmapped")
    XCTAssertEqual(lua.error("local g = d.ctrl:get()"), "test:1: dev.ctrl (0x8): bar:read32: bar is unmapped")
    XCTAssertEqual(lua.error("d.ctrl:set{mode = 1}"), "test:1: dev.ctrl (0x8): bar:read32: bar is unmapped")
    XCTAssertEqual(lua.error("local s = tostring(d.ctrl)"), "test:1: dev.ctrl (0x8): bar:read32: bar is unmapped")
    XCTAssertEqual(lua.error("local s = regs.dump(d)"), "test:1: dev.id (0x0): bar:read32: bar is unmapped")
  }

  func testBindChecksTheBarSize() {
    let small = TempFile(size: 0x20)
    XCTAssertEqual(
      lua.error("regs.bind(mmio.map('\(small.path)'), map)"),
      "test:1: regs.bind: dev register 'cmd' at 0x24 + 4 exceeds the bar size 0x20 (bar \(small.path) file 32 bytes)")
    XCTAssertEqual(
      lua.error("regs.bind(bar, {})"),
      "test:1: regs.bind: argument 2 must be a register map from regs.define, got table")
    XCTAssertEqual(
      lua.error("regs.bind({}, map)"),
      "test:1: regs.bind: argument 1 must be a bar (from device:map, pci.map or mmio.map), got table")
  }

  /// The shipped device maps define cleanly and fit the BARs of their devices.
  func testShippedDeviceMaps() throws {
    let edu = TempFile(size: 0x100000)
    XCTAssertEqual(
      try lua.eval(
        "local m = require 'devices.edu' local e = regs.bind(mmio.map('\(edu.path)'), m) "
          + "e.liveness = 5 e.dma_cmd:set{to_ram = 1, irq = 1} "
          + "return string.format('%s %x %x %d %d', m.name, m.vendor, m.device, m.extent, e.dma_cmd.value)"),
      "edu 1234 11e8 160 6")
    let ivshmem = TempFile(size: 0x100)
    XCTAssertEqual(
      try lua.eval(
        "local m = require 'devices.ivshmem' local v = regs.bind(mmio.map('\(ivshmem.path)'), m) "
          + "v.doorbell:set{peer = 2, vector = 1} return m.name .. ' ' .. m.extent"),
      "ivshmem 16")
    XCTAssertEqual(word32(ivshmem, 0x0c), 0x0002_0001)
    XCTAssertEqual(
      try lua.eval(
        "local m = require 'devices.pci_testdev' return m.name .. ' ' .. m.name_offset .. ' ' .. #m.registers"),
      "pci_testdev 16 5")
  }

  private func word32(_ f: TempFile, _ offset: Int) -> UInt32 {
    let d = f.data
    return (0..<4).reduce(UInt32(0)) { $0 | UInt32(d[offset + $1]) << (8 * UInt32($1)) }
  }
}
