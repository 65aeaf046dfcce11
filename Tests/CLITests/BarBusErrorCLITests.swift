import Foundation
import XCTest

/// Bus errors, foreign SIGBUS and Ctrl-C on the real command line. scripts/test runs these
/// against the release build too (BARLUA_BIN): the optimiser once removed the store that arms
/// the guard before bar:fill's memset, so there bar:fill after a bus error died of SIGBUS.
final class BarBusErrorCLITests: XCTestCase {
  /// Every bulk, exact-width and single access after the file is truncated to 0: each is a
  /// Lua error naming the offset, and the process ends normally.
  func testEveryOperationAfterTruncationIsALuaError() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let data = "/dev/shm/barlua-cli-bus-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: data) }
    _ = FileManager.default.createFile(atPath: data, contents: Data(count: 65536))
    Barlua.write(
      """
      local b = mmio.map(arg[1])
      b:fill(0x5a)
      io.open(arg[1], "w"):close()  -- truncate to 0 under the mapping
      local ops = {
        {"fill", b.fill, 0}, {"fill8", b.fill, 0, 0, 64, 8}, {"fill16", b.fill, 0, 0, 64, 16},
        {"fill32", b.fill, 0, 0, 64, 32}, {"fill64", b.fill, 0, 0, 64, 64},
        {"write", b.write, 0, ("x"):rep(4096)}, {"write8", b.write, 0, ("x"):rep(64), 8},
        {"write16", b.write, 0, ("x"):rep(64), 16}, {"write32", b.write, 0, ("x"):rep(64), 32},
        {"write64", b.write, 0, ("x"):rep(64), 64},
        {"read", b.read, 0, 4096}, {"readshort", b.read, 0, 16}, {"read8", b.read, 0, 64, 8},
        {"read16", b.read, 0, 64, 16}, {"read32", b.read, 0, 64, 32}, {"read64", b.read, 0, 64, 64},
        {"count", b.count, 0}, {"compare", b.compare, 0, ("x"):rep(100)}, {"dump", b.dump, 0, 64},
        {"poll32", b.poll32, 0, 1, 1}, {"poll64", b.poll64, 0, 1, 1},
        {"r8", b.read8, 0}, {"r16", b.read16, 0}, {"r32", b.read32, 0}, {"r64", b.read64, 0},
        {"w8", b.write8, 0, 1}, {"w16", b.write16, 0, 1}, {"w32", b.write32, 0, 1},
        {"w64", b.write64, 0, 1}, {"r64hl", b.read64hl, 0}, {"w64lh", b.write64lh, 0, 1},
      }
      for _, op in ipairs(ops) do
        local ok, err = pcall(op[2], b, table.unpack(op, 3))
        print(op[1], ok, (tostring(err):match("bus error at offset 0x0[^:]*")))
      end
      print("survived")
      """, to: "\(dir)/bus.lua")
    let r = try Barlua.run(["\(dir)/bus.lua", data])
    XCTAssertEqual(r.status, 0, "stderr: \(r.err)")
    XCTAssertTrue(r.out.hasSuffix("survived\n"), r.out)
    let lines = r.out.split(separator: "\n").dropLast()
    XCTAssertEqual(lines.count, 31)
    for line in lines {
      XCTAssertTrue(line.contains("\tfalse\tbus error at offset 0x0"), String(line))
    }
    XCTAssertTrue(r.out.contains("fill\tfalse\tbus error at offset 0x0 after 0 of 65536 bytes written\n"), r.out)
  }

  /// `kill -BUS` from another process is not a bus error of the mapping: the process gets
  /// SIGBUS's default action (it dies of the signal) instead of a made-up Lua error.
  func testKillBusDuringBulkOperationsGetsTheDefaultAction() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let data = "/dev/shm/barlua-cli-kill-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: data) }
    _ = FileManager.default.createFile(atPath: data, contents: Data(count: 16 << 20))
    Barlua.write(
      """
      local b = mmio.map(arg[1])
      io.write("ready\\n") io.flush()
      local deadline = time.ns() + 20e9
      while time.ns() < deadline do
        for _, f in ipairs{
          function() return b:count(0) end, function() return b:fill(0, nil, nil, 32) end,
          function() return b:read(0, b.size) end, function() return b:poll32(0, 1, 1, 0.01) end,
          function() return b:compare(0, ("\\0"):rep(1 << 20)) end,
        } do
          local ok, err = pcall(f)
          if not ok then print("spurious: " .. err) os.exit(3) end
        end
      end
      print("the signal never arrived")
      """, to: "\(dir)/kill.lua")
    for _ in 0..<3 {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/bin/sh")
      // No core file for the expected death.
      p.arguments = ["-c", "ulimit -c 0; exec \"$0\" \"$@\"", Barlua.path, "\(dir)/kill.lua", data]
      let out = Pipe()
      p.standardOutput = out
      try p.run()
      let first = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
      XCTAssertEqual(first, "ready\n")
      usleep(200_000)
      kill(p.processIdentifier, SIGBUS)
      let rest = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      XCTAssertEqual(p.terminationReason, .uncaughtSignal, rest)
      XCTAssertEqual(p.terminationStatus, SIGBUS, rest)
      XCTAssertFalse(rest.contains("spurious"), rest)
    }
  }

  /// Ctrl-C (SIGINT) stops a poll that would otherwise wait a minute.
  func testCtrlCInterruptsPoll() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let data = "\(dir)/reg"
    _ = FileManager.default.createFile(atPath: data, contents: Data(count: 4096))
    Barlua.write(
      """
      local b = mmio.map(arg[1])
      io.write("polling\\n") io.flush()
      print(b:poll32(0, 1, 1, 60))
      print("poll returned")
      """, to: "\(dir)/poll.lua")
    for width in ["32", "64"] {
      let script = "\(dir)/poll\(width).lua"
      Barlua.write(
        try String(contentsOfFile: "\(dir)/poll.lua", encoding: .utf8).replacingOccurrences(
          of: "poll32", with: "poll\(width)"), to: script)
      let p = Process()
      p.executableURL = URL(fileURLWithPath: Barlua.path)
      p.arguments = [script, data]
      let out = Pipe()
      let err = Pipe()
      p.standardOutput = out
      p.standardError = err
      try p.run()
      XCTAssertEqual(String(decoding: out.fileHandleForReading.availableData, as: UTF8.self), "polling\n")
      usleep(200_000)
      let t0 = Date()
      kill(p.processIdentifier, SIGINT)
      let rest = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      XCTAssertLessThan(Date().timeIntervalSince(t0), 5)
      XCTAssertEqual(p.terminationReason, .exit)
      XCTAssertEqual(p.terminationStatus, 1, e)
      XCTAssertTrue(e.contains("interrupted!"), e)
      XCTAssertEqual(rest, "")
    }
  }
}
