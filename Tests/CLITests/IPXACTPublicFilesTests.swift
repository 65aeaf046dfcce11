import Foundation
import TestSupport
import XCTest

/// Public IP-XACT files from other projects (Tests/Fixtures/ipxact/public/, where each comes
/// from in Tests/Fixtures/ipxact/SOURCES.md) as regs.load and regs.define read them: each
/// committed file passes Tests/tools/ipxact_public.lua (content hash, register count, warnings,
/// first and last register as the independent reading has them, regs.define's verdict), and a
/// file the tool lists but this folder lacks is absent only by name with its reason, never a
/// pass.
final class IPXACTPublicFilesTests: XCTestCase {
  static let dir = Barlua.repository + "/Tests/Fixtures/ipxact/public"

  static func committed() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".xml") }.sorted()
  }

  func testEveryCommittedFilePassesAndNoneIsMissingWithoutAReason() throws {
    let files = try Self.committed()
    XCTAssertGreaterThanOrEqual(files.count, 3)
    let r = try Barlua.run([Barlua.repository + "/Tests/tools/ipxact_public.lua", Self.dir])
    XCTAssertEqual(r.status, 0, r.out + r.err)
    let lines = r.out.split(separator: "\n").map(String.init)
    for f in files { XCTAssertTrue(lines.contains("ok " + f), "\(f) did not pass:\n\(r.out)") }
    // Every other file the tool lists is absent by name with a reason (not counted as a pass).
    let absent = lines.filter { $0.hasPrefix("absent ") }
    XCTAssertEqual(lines.last, "\(files.count) passed, 0 failed, \(absent.count) absent", r.out)
    XCTAssertEqual(lines.count, files.count + absent.count + 1, r.out)
  }

  /// A folder without the files: each one the tool requires is a failure, not a pass.
  func testAMissingFileIsAFailure() throws {
    let empty = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: empty) }
    let r = try Barlua.run([Barlua.repository + "/Tests/tools/ipxact_public.lua", empty])
    XCTAssertEqual(r.status, 1, r.out + r.err)
    let files = try Self.committed()
    let lines = r.out.split(separator: "\n").map(String.init)
    let absent = lines.filter { $0.hasPrefix("absent ") }.count
    XCTAssertEqual(lines.last, "0 passed, \(files.count) failed, \(absent) absent", r.out)
    XCTAssertTrue(
      r.out.contains("not ok leon2-i2c-1.0.xml: not present (tudortimi/ipxact "), r.out)
  }

  /// regs.define on every file regs.load reads: it defines, or refuses with a message that
  /// names the register and why (never a raw Lua error). The Leon2 i2c registers of size 6
  /// with a reserved field to bit 31 are widened by the loader and define as 32-bit registers.
  func testRegsDefineOnEveryLoadedFile() throws {
    let r = try Barlua.run([
      "-e",
      """
      local regs = require 'barlua.regs'
      local dir = '\(Self.dir)'
      local names = {}
      for _, f in ipairs{\(try Self.committed().map { "'\($0)'" }.joined(separator: ", "))} do names[#names + 1] = f end
      for _, f in ipairs(names) do
        local ok, spec = pcall(regs.load, dir .. '/' .. f, {cache = false})
        if not ok then
          print(f .. ' load refused')
        else
          local dok, map = pcall(regs.define, spec)
          if dok then
            print(f .. ' defines ' .. #map.registers)
          else
            print(f .. ' define refused: ' .. tostring(map))
          end
        end
      end
      local m = regs.define(regs.load(dir .. '/leon2-i2c-1.0.xml', {cache = false}))
      for _, name in ipairs{'clkDivHi', 'clkDivLo'} do
        local reg = m.by_name[name]
        local fs = {}
        for _, fname in ipairs(reg.field_names) do
          local fd = reg.fields[fname]
          fs[#fs + 1] = string.format('%s@%d+%d:%s', fname, fd.lsb, fd.width, fd.access)
        end
        print(string.format('%s 0x%x %d %s reset=0x%x %s', name, reg.offset, reg.width, reg.access, reg.reset,
          table.concat(fs, ',')))
      end
      """,
    ])
    XCTAssertEqual(r.status, 0, r.err)
    let lines = r.out.split(separator: "\n").map(String.init)
    XCTAssertFalse(r.out.contains("attempt to"), r.out)
    for f in try Self.committed() {
      let line = lines.first { $0.hasPrefix(f + " ") } ?? ""
      switch f {
      case "ipxact2sv-test2.xml":
        // Offsets that tool reads as word indices: a register past the block's 3 bytes.
        XCTAssertEqual(
          line,
          f + " define refused: regs.define: unusedComponentName register 'samename': offset 0x1d + 1 exceeds "
            + "the map size 0x3")
      case "kactus2-wb_external_mem.xml":
        XCTAssertEqual(line, f + " load refused")
      default:
        XCTAssertTrue(line.hasPrefix(f + " defines "), "\(f): \(line)")
      }
    }
    XCTAssertTrue(lines.contains("leon2-i2c-1.0.xml defines 7"), r.out)
    XCTAssertTrue(lines.contains("clkDivHi 0xc 32 rw reset=0x30 clkDivHi@0+6:rw,reserved@7+25:ro"), r.out)
    XCTAssertTrue(lines.contains("clkDivLo 0x10 32 rw reset=0x30 clkDivLo@0+6:rw,reserved@7+25:ro"), r.out)
  }
}
