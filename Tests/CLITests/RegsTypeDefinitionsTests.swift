import Foundation
import TestSupport
import XCTest

/// regs.load on IEEE 1685-2022 type definitions and field aliasOf (issue 25.4;
/// Tests/Fixtures/ipxact/typedefs/: a component and the typeDefinitions document it names by
/// VLNV, found in its folder), and on registers whose fields pass their size (widened when the
/// block's width and the next register leave room, else clipped;
/// Tests/Fixtures/ipxact/barlua-widen-1685-2014.xml). Values below are read from the fixtures.
final class RegsTypeDefinitionsTests: XCTestCase {
  static let fixtures = Barlua.repository + "/Tests/Fixtures/ipxact/"
  static let uart = fixtures + "typedefs/uart.xml"

  /// Every register as "name offset width/bits access reset fields", fields as
  /// name@bit+width:access[=>alias], then W (warnings) and S (skipped) lines without folders.
  static let listing = """
    local regs = require 'barlua.regs'
    local s = regs.load(arg[1], {cache = false})
    for _, r in ipairs(s.registers) do
      local fs = {}
      for name, f in pairs(r.fields or {}) do
        fs[#fs + 1] = string.format('%s@%d+%d:%s%s', name, f.bit, f.width, f.access, f.alias and ('=>' .. f.alias) or '')
      end
      table.sort(fs)
      print(string.format('%s 0x%x %d/%d %s 0x%x %s', r.name, r.offset, r.width, r.origin.bits, r.access, r.reset,
        table.concat(fs, ',')))
    end
    for _, w in ipairs(s.warnings) do print('W ' .. (w:gsub('^[^:]*/', ''))) end
    for _, w in ipairs(s.skipped) do print('S ' .. (w:gsub('^[^:]*/', ''))) end
    regs.define(s)
    print('define: ok')
    """

  func lines(_ file: String) throws -> [String] {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    Barlua.write(Self.listing, to: dir + "/listing.lua")
    let r = try Barlua.run([dir + "/listing.lua", file])
    XCTAssertEqual(r.status, 0, r.err)
    return r.out.split(separator: "\n").map(String.init)
  }

  /// Definitions from the external document: an address block (uart0: its registers, range and
  /// width), registers (ctrl: size and fields, one of them itself a fieldDefinitionRef) and
  /// fields (bitWidth from a parameter of the typeDefinitions document, resets, access
  /// policies); aliases in the same register and in another block; a register whose definition
  /// does not exist is skipped, the rest load.
  func testDefinitionsAndAliasesFromTheTypeDefinitionsDocument() throws {
    XCTAssertEqual(
      try lines(Self.uart),
      [
        "uart0.data 0x0 8/8 rw 0x0 ",
        "uart0.baud 0x4 32/32 rw 0x1b div@0+16:rw",
        "uart0.ctrl 0x8 32/32 rw 0x2 busy@1+1:ro,enable@0+1:rw",
        "misc.ctrl 0x100 32/32 rw 0x2 busy@1+1:ro,enable@0+1:rw",
        "misc.irq 0x104 32/32 rw 0xa501 mask@8+8:rw,pending@0+1:ro,pending_alias@0+1:rw=>misc.irq.pending",
        "misc.shadow 0x108 32/32 ro 0x1b0 divisor@4+16:ro=>uart0.baud.div",
        "S uart.xml:76: <registerDefinitionRef> 'lost': no registerDefinition 'no_such_reg' in \(Self.fixtures)"
          + "typedefs/uart_types.xml (not loaded)",
        "define: ok",
      ])
  }

  /// An alias reaches the bits of the field it names: writing through `pending_alias` sets
  /// `pending` (the same bits of irq), and the register view names both.
  func testAccessesByTheAliasNameHitTheAliasedBits() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = FileManager.default.createFile(atPath: dir + "/bar", contents: Data(count: 0x200))
    let r = try Barlua.run([
      "-e",
      """
      local regs = require 'barlua.regs'
      local b = mmio.map('\(dir)/bar')
      local u = regs.bind(b, regs.define(regs.load('\(Self.uart)', {cache = false})))
      u['misc.irq'].pending_alias = 1
      print(u['misc.irq'].pending, b:read32(0x104))
      b:write32(0x104, 0)
      print(u['misc.irq'].pending_alias)
      b:write32(0x108, 0xabcd0)
      print(string.format('%#x', u['misc.shadow'].divisor))
      """,
    ])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertEqual(r.out, "1\t1\n0\n0xabcd\n")
  }

  /// scripts/regs.lua names what each alias is another name of.
  func testTheRegisterTableNamesAliases() throws {
    let r = try Barlua.run([Barlua.repository + "/scripts/regs.lua", Self.uart], in: Barlua.repository)
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(r.out.contains("pending_alias [0]  (read-write)  alias of misc.irq.pending\n"), r.out)
    XCTAssertTrue(r.out.contains("divisor [19:4]  (read-only)  alias of uart0.baud.div\n"), r.out)
  }

  /// regs.define takes `alias` and checks it: an alias may share exactly its field's bits, no
  /// other overlap; it must name a field of that width where the register is in the map.
  func testDefineChecksAliases() throws {
    let r = try Barlua.run([
      "-e",
      """
      local regs = require 'barlua.regs'
      local function try(fields, other)
        local ok, err = pcall(regs.define, {name = 'm', registers = {
          {name = 'r', offset = 0, width = 32, access = 'rw', fields = fields},
          {name = 's', offset = 4, width = 32, access = 'rw', fields = other or {x = {bit = 0, width = 4}}}}})
        print(ok and 'ok' or err)
      end
      try({a = {bit = 0, width = 4}, b = {bit = 0, width = 4, alias = 'r.a'}})
      try({a = {bit = 0, width = 4}, b = {bit = 1, width = 4, alias = 'r.a'}})
      try({a = {bit = 0, width = 4}, b = {bit = 8, width = 4, alias = 's.y'}})
      try({a = {bit = 0, width = 4}, b = {bit = 8, width = 3, alias = 's.x'}})
      try({a = {bit = 0, width = 4}, b = {bit = 8, width = 4, alias = 's.x'}})
      try({a = {bit = 0, width = 4, alias = 7}})
      """,
    ])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertEqual(
      r.out.split(separator: "\n").map(String.init),
      [
        "ok",
        "regs.define: m register 'r': fields 'b' and 'a' overlap",
        "regs.define: m register 'r' field 'b': alias 's.y' names no field of that width",
        "regs.define: m register 'r' field 'b': alias 's.x' names no field of that width",
        "ok",
        "regs.define: register 'r' field 'a': alias must name a field as 'register.field', got 7",
      ])
  }

  /// Definitions in the component's own file (not the schema: its typeDefinitions attribute
  /// names no externalTypeDefinitions) are read from there, with a warning.
  func testDefinitionsInTheComponentItself() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    Barlua.write(
      """
      <?xml version="1.0"?>
      <ipxact:component xmlns:ipxact="http://www.accellera.org/XMLSchema/IPXACT/1685-2022">
        <ipxact:name>own</ipxact:name>
        <ipxact:registerDefinitions><ipxact:registerDefinition><ipxact:name>word</ipxact:name>
          <ipxact:size>16</ipxact:size>
          <ipxact:field><ipxact:name>lo</ipxact:name><ipxact:bitOffset>0</ipxact:bitOffset>
            <ipxact:bitWidth>8</ipxact:bitWidth></ipxact:field>
        </ipxact:registerDefinition></ipxact:registerDefinitions>
        <ipxact:memoryMaps><ipxact:memoryMap><ipxact:name>m</ipxact:name>
          <ipxact:addressBlock><ipxact:name>b</ipxact:name><ipxact:baseAddress>0</ipxact:baseAddress>
            <ipxact:range>8</ipxact:range><ipxact:width>16</ipxact:width>
            <ipxact:register><ipxact:name>w</ipxact:name><ipxact:addressOffset>2</ipxact:addressOffset>
              <ipxact:registerDefinitionRef typeDefinitions="local">word</ipxact:registerDefinitionRef>
            </ipxact:register>
          </ipxact:addressBlock>
        </ipxact:memoryMap></ipxact:memoryMaps>
      </ipxact:component>
      """, to: dir + "/own.xml")
    XCTAssertEqual(
      try lines(dir + "/own.xml"),
      [
        "w 0x2 16/16 rw 0x0 lo@0+8:rw",
        "W own.xml:13: <registerDefinitionRef> 'w': typeDefinitions 'local' names no externalTypeDefinitions: read "
          + "from the component's own registerDefinitions",
        "define: ok",
      ])
  }

  /// The typeDefinitions document is looked for in the component's folder only: missing, the
  /// error names the VLNV and the folder; in two files, both.
  func testAMissingOrDoubledTypeDefinitionsDocumentIsAnError() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.copyItem(atPath: Self.uart, toPath: dir + "/uart.xml")
    var r = try Barlua.run(["-e", "require('barlua.regs').load('\(dir)/uart.xml', {cache = false})"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(
      r.err.contains(
        "regs.load: \(dir)/uart.xml:23: <addressBlockDefinitionRef> 'uart0': typeDefinitions "
          + "barlua:tests:uart_types:1.0 not found: looked in the 1 .xml files of \(dir) (the component's folder; "
          + "barlua looks nowhere else)"), r.err)
    try FileManager.default.copyItem(atPath: Self.fixtures + "typedefs/uart_types.xml", toPath: dir + "/a.xml")
    try FileManager.default.copyItem(atPath: Self.fixtures + "typedefs/uart_types.xml", toPath: dir + "/b.xml")
    r = try Barlua.run(["-e", "require('barlua.regs').load('\(dir)/uart.xml', {cache = false})"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(
      r.err.contains(
        "typeDefinitions barlua:tests:uart_types:1.0 is in two files of \(dir): \(dir)/a.xml and \(dir)/b.xml"),
      r.err)
  }

  /// Fields past the register's size: widened to the bits they reach when the block states a
  /// width that allows it and the next register leaves room; clipped otherwise, with why. A
  /// write-only register with read-only and read-write fields stays write-only (so its
  /// read-only twin at the same offset is no overlap for regs.define).
  func testFieldsPastTheSizeWidenOrClipAsTheFileImplies() throws {
    XCTAssertEqual(
      try lines(Self.fixtures + "barlua-widen-1685-2014.xml"),
      [
        "wide.mode 0x0 32/16 rw 0x9c000 speed@12+8:rw",
        "wide.tight 0x4 16/16 rw 0x0 level@8+8:rw",
        "wide.next 0x6 16/16 rw 0x0 ",
        "wide.huge 0x8 32/32 rw 0x0 all@0+32:rw",
        "narrow.mode 0x100 16/16 rw 0x0 speed@12+4:rw",
        "narrow.clear 0x104 32/32 wo 0x0 irq@0+8:wo,reserved@8+24:wo",
        "narrow.clear_read 0x104 32/32 ro 0x0 ",
        "W barlua-widen-1685-2014.xml:22: <register> 'mode': fields reach bit 19, past its size 16: widened to 20 "
          + "bits (32-bit accesses; the address block's width and the next register leave room)",
        "W barlua-widen-1685-2014.xml:37: <field> 'tight.level': bits 8..19 pass the 16-bit register: clipped to "
          + "bits 8..15 (not widened: the next register starts at 0x6)",
        "W barlua-widen-1685-2014.xml:52: <field> 'huge.all': bits 0..71 pass the 32-bit register: clipped to bits "
          + "0..31 (not widened: more than 64 bits)",
        "W barlua-widen-1685-2014.xml:67: <field> 'mode.speed': bits 12..19 pass the 16-bit register: clipped to "
          + "bits 12..15 (not widened: the address block states no width)",
        "W barlua-widen-1685-2014.xml:78: <field> 'clear.irq': access 'read-write' in a write-only register: loaded "
          + "as write-only",
        "W barlua-widen-1685-2014.xml:84: <field> 'clear.reserved': access 'read-only' in a write-only register: "
          + "loaded as write-only",
        "W barlua-widen-1685-2014.xml:59: <addressBlock> 'narrow': no width: 32 bits, its widest register's",
        "define: ok",
      ])
  }
}
