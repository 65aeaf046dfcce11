import Foundation
import TestSupport
import XCTest

/// scripts/regs.lua --snapshot / --diff on a file bar, and trace:save's replay script run as a
/// user runs it: its checks pass on the same contents and fail, naming the step, on others.
final class RegsSnapshotCLITests: XCTestCase {
  static let leon = Barlua.repository + "/Tests/Fixtures/ipxact/leon2-timers-1685-2014.xml"

  func testSnapshotThenDiffNamesTheChangedField() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let bar = dir + "/bar"
    let json = dir + "/before.json"
    _ = FileManager.default.createFile(atPath: bar, contents: Data(count: 4096))
    let script = Barlua.repository + "/scripts/regs.lua"
    let s = try Barlua.run([script, Self.leon, "--file", bar, "--snapshot", json])
    XCTAssertEqual(s.status, 0, s.err)
    XCTAssertEqual(s.out, "timers: 7 registers saved to \(json)\n")
    let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
    XCTAssertEqual((saved?["registers"] as? [String: String])?["timer1.timerReload"], "0x0")
    // timer1.timerReload (0x04) bits 0..23: timerReloadValue
    let h = try FileHandle(forWritingTo: URL(fileURLWithPath: bar))
    h.seek(toFileOffset: 4)
    h.write(Data([0x05, 0, 0, 0xff]))
    h.closeFile()
    let d = try Barlua.run([script, Self.leon, "--file", bar, "--diff", json])
    XCTAssertEqual(d.status, 0, d.err)
    XCTAssertEqual(
      d.out.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") },
      [
        "timer1.timerReload.timerReloadValue 0x0 -> 0x5", "timer1.timerReload.reserved 0x0 -> 0xff",
        "2 changes since \(json)",
      ])
    let bad = try Barlua.run([script, Self.leon, "--snapshot", json])
    XCTAssertEqual(bad.status, 2)
    XCTAssertEqual(
      bad.err, "regs.lua: --snapshot and --diff read registers: give --device ADDR --bar N or --file PATH\n")
    Barlua.write("{\"registers\": {\"x\": 5}}", to: json)
    let corrupt = try Barlua.run([script, Self.leon, "--file", bar, "--diff", json])
    XCTAssertEqual(corrupt.status, 1)
    XCTAssertEqual(corrupt.err, "regs.lua: \(json): register x: value 5.0 is not a hex string\n")
  }

  func testSavedTraceReplaysAndChecks() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let bar = dir + "/bar"
    let other = dir + "/other"
    let script = dir + "/replay.lua"
    _ = FileManager.default.createFile(atPath: bar, contents: Data(count: 4096))
    _ = FileManager.default.createFile(atPath: other, contents: Data(count: 4096))
    let rec = try Barlua.run([
      "-e",
      """
      local b = mmio.map('\(bar)')
      b:write32(0, 0x11223344)
      b:trace()
      b:write32(4, 0xcafe) local _ = b:read32(0) b:write(0x10, 'a\\nb\\0c', 8) b:read(0x10, 5) b:fill(0x5a, 0x40, 8)
      local _ = b:count(0x5a, 0x40, 8)
      b:trace_stop():save('\(script)')
      """,
    ])
    XCTAssertEqual(rec.status, 0, rec.err)
    // The recorded file again, as it was: every check passes.
    _ = FileManager.default.createFile(atPath: bar, contents: Data([0x44, 0x33, 0x22, 0x11]) + Data(count: 4092))
    let same = try Barlua.run([script])
    XCTAssertEqual(same.status, 0, same.err)
    XCTAssertEqual(same.out, "replayed 6 accesses: 3 checks, 0 failed\n")
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: bar))[4], 0xfe, "the write was replayed")
    // Another file (zeros): the read of 0x00 no longer matches.
    let elsewhere = try Barlua.run([script, "--file", other])
    XCTAssertEqual(elsewhere.status, 1)
    XCTAssertEqual(elsewhere.err, "step 2: read32 0x0: got 0x0, recorded 0x11223344\n")
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: other))[0x10..<0x15], Data("a\nb\0c".utf8))
    let bad = try Barlua.run([script, "--devce", "x"])
    XCTAssertEqual(bad.status, 2)
  }
}
