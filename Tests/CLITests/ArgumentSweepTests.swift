import Foundation
import XCTest

/// The argument sweep (Tests/fuzz/argument-sweep.lua): every function of each module called
/// with hostile arguments in a child barlua, which must end normally: a crash (a signal) or a
/// hang fails the test and names the call. BARLUA_BIN chooses the binary (the release build
/// too).
final class ArgumentSweepTests: XCTestCase {
  private func sweep(
    _ target: String, atLeast minimum: Int, env: [String: String] = [:], file: StaticString = #filePath,
    line: UInt = #line
  ) throws {
    let dir = Barlua.tempDir()
    let progress = "\(dir)/progress"
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Barlua.path)
    p.arguments = ["\(Barlua.repository)/Tests/fuzz/argument-sweep.lua", target, progress]
    p.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "TMPDIR": "/dev/shm"]
      .merging(env) { $1 }
    _ = FileManager.default.createFile(atPath: "\(dir)/out", contents: nil)
    _ = FileManager.default.createFile(atPath: "\(dir)/err", contents: nil)
    p.standardInput = FileHandle.nullDevice
    p.standardOutput = FileHandle(forWritingAtPath: "\(dir)/out")
    p.standardError = FileHandle(forWritingAtPath: "\(dir)/err")
    try p.run()
    let deadline = Date().addingTimeInterval(300)
    while p.isRunning && Date() < deadline { usleep(20_000) }
    let hung = p.isRunning
    if hung {
      p.terminate()
      p.waitUntilExit()
    }
    let out = (try? String(contentsOfFile: "\(dir)/out", encoding: .utf8)) ?? ""
    let err = (try? String(contentsOfFile: "\(dir)/err", encoding: .utf8)) ?? ""
    let last =
      ((try? String(contentsOfFile: progress, encoding: .utf8)) ?? "")
      .split(separator: "\n").last.map(String.init) ?? "(none)"
    XCTAssertFalse(hung, "\(target): hung in \(last)", file: file, line: line)
    XCTAssertEqual(
      p.terminationReason, .exit, "\(target): killed by signal \(p.terminationStatus) in \(last)",
      file: file, line: line)
    XCTAssertEqual(p.terminationStatus, 0, "\(target): \(err.suffix(2000))", file: file, line: line)
    XCTAssertEqual(last, "done", "\(target): stopped after \(last)", file: file, line: line)
    // The sweep really ran: enough calls, some returning and many raising.
    let counts = out.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
    XCTAssertEqual(counts.count, 3, out, file: file, line: line)
    if counts.count == 3 {
      XCTAssertGreaterThanOrEqual(counts[0], minimum, out, file: file, line: line)
      XCTAssertGreaterThan(counts[1], 0, out, file: file, line: line)
      XCTAssertGreaterThan(counts[2], counts[0] / 2, out, file: file, line: line)
    }
  }

  func testBarMethods() throws { try sweep("bar", atLeast: 10_000) }
  func testBarMethodsOnMemoryThatVanished() throws { try sweep("vanished", atLeast: 10_000) }
  func testMmio() throws { try sweep("mmio", atLeast: 300) }
  func testPci() throws { try sweep("pci", atLeast: 1_000) }

  /// Config objects, pcie.bind and the config functions on a scratch copy of a config space
  /// captured in the test bed (an e1000e with AER and DSN).
  func testConfig() throws {
    let root = Barlua.tempDir()
    try FileManager.default.createDirectory(atPath: root + "/0000:03:00.0", withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: Barlua.repository + "/Tests/BarluaCoreTests/Fixtures/config/qemu-q35-6.1/0000:03:00.0.config",
      toPath: root + "/0000:03:00.0/config")
    try sweep("config", atLeast: 3_000, env: ["BARLUA_SYSFS_PCI": root])
  }
  func testPat() throws { try sweep("pat", atLeast: 800) }
  func testRegs() throws { try sweep("regs", atLeast: 2_500) }
  func testTime() throws { try sweep("time", atLeast: 250) }
  func testBarluaTest() throws { try sweep("test", atLeast: 6_000) }
}
