import Foundation
import TestSupport
import XCTest

/// regs.load on what real files do that the schema does not want
/// (Tests/Fixtures/ipxact/barlua-asis-1685-2014.xml): read as the file's other data implies,
/// each repair in `warnings`, each register it cannot read in `skipped`, the rest loaded; a
/// readAction register is one regs.snapshot never reads.
final class RegsAsIsTests: XCTestCase {
  static let file = Barlua.repository + "/Tests/Fixtures/ipxact/barlua-asis-1685-2014.xml"

  func testRepairsAreWarningsAndABadRegisterIsSkipped() throws {
    let r = try Barlua.run([
      "-e",
      """
      local regs = require 'barlua.regs'
      local s = regs.load('\(Self.file)', {cache = false})
      for _, r in ipairs(s.registers) do
        local fs = {}
        for name, f in pairs(r.fields or {}) do fs[#fs + 1] = string.format('%s@%d+%d', name, f.bit, f.width) end
        table.sort(fs)
        print(string.format('%s 0x%x %d %s %s %s', r.name, r.offset, r.width, r.access, tostring(r.side_effects),
          table.concat(fs, ',')))
      end
      print('size ' .. s.size)
      for _, w in ipairs(s.warnings) do print('W ' .. w:gsub('^.*/', '')) end
      for _, w in ipairs(s.skipped) do print('S ' .. w:gsub('^.*/', '')) end
      """,
    ])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertEqual(
      r.out.split(separator: "\n").map(String.init),
      [
        "id 0x0 32 ro nil ", "status 0x4 32 ro true done@0+1", "mode 0x8 16 rw nil speed@12+4", "size 10",
        "W barlua-asis-1685-2014.xml:42: <field> 'mode.speed': bits 12..19 pass the 16-bit register: clipped to bits "
          + "12..15 (not widened: the address block states no width)",
        "W barlua-asis-1685-2014.xml:47: <field> 'mode.ghost': bits 20..23 are outside the 16-bit register: the "
          + "field is not loaded (not widened: the address block states no width)",
        "W barlua-asis-1685-2014.xml:13: <addressBlock> 'ctrl': no width: 32 bits, its widest register's",
        "W barlua-asis-1685-2014.xml:13: <addressBlock> 'ctrl': no range: 0xa address units, from its registers",
        "S barlua-asis-1685-2014.xml:34: <register> 'broken': addressOffset is missing (not loaded)",
      ])
  }

  /// A register that cannot be read, inside an array of register files, is read (and refused)
  /// once: `skipped` lists it once with how many other placements it had, and its good
  /// neighbours load at every placement.
  func testARefusedRegisterInAnArrayIsListedOnce() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let ns = "http://www.accellera.org/XMLSchema/IPXACT/1685-2014"
    Barlua.write(
      """
      <ipxact:component xmlns:ipxact="\(ns)"><ipxact:name>c</ipxact:name>
      <ipxact:memoryMaps><ipxact:memoryMap><ipxact:name>m</ipxact:name>
      <ipxact:addressBlock><ipxact:name>b</ipxact:name><ipxact:baseAddress>0</ipxact:baseAddress>
      <ipxact:range>64</ipxact:range><ipxact:width>32</ipxact:width>
      <ipxact:registerFile><ipxact:name>f</ipxact:name><ipxact:dim>3</ipxact:dim>
      <ipxact:addressOffset>0</ipxact:addressOffset><ipxact:range>8</ipxact:range>
      <ipxact:register><ipxact:name>good</ipxact:name><ipxact:addressOffset>0</ipxact:addressOffset>
      <ipxact:size>32</ipxact:size></ipxact:register>
      <ipxact:register><ipxact:name>bad</ipxact:name><ipxact:addressOffset>4</ipxact:addressOffset>
      </ipxact:register>
      </ipxact:registerFile></ipxact:addressBlock></ipxact:memoryMap></ipxact:memoryMaps></ipxact:component>
      """, to: "\(dir)/arr.xml")
    let r = try Barlua.run([
      "-e",
      """
      local s = require('barlua.regs').load('\(dir)/arr.xml', {cache = false})
      for _, r in ipairs(s.registers) do print(r.name, r.offset) end
      for _, w in ipairs(s.skipped) do print('S ' .. w:gsub('^.*/', '')) end
      """,
    ])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertEqual(
      r.out.split(separator: "\n").map(String.init),
      [
        "f[0].good\t0", "f[1].good\t8", "f[2].good\t16",
        "S arr.xml:9: <register> 'f[0].bad': size is missing (not loaded, here nor at its 2 other placements)",
      ])
  }

  func testAReadActionRegisterIsNeverReadBySnapshot() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    _ = FileManager.default.createFile(atPath: dir + "/bar", contents: Data(count: 16))
    let r = try Barlua.run([
      "-e",
      """
      local regs = require 'barlua.regs'
      local b = mmio.map('\(dir)/bar')
      local r = regs.bind(b, regs.define(regs.load('\(Self.file)')))
      b:trace()
      local snap, skipped = regs.snapshot(r)
      local t = b:trace_stop()
      local offs = {}
      for _, e in ipairs(t:entries()) do offs[#offs + 1] = e.offset end
      print(table.concat(offs, ','), skipped[1].register, skipped[1].why, snap.status)
      """,
    ])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertEqual(r.out, "0,8\tstatus\treading it has side effects\tnil\n")
  }
}
