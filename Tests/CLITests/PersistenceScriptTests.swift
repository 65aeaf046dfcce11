import Foundation
import TestSupport
import XCTest

/// scripts/persistence.lua on files (`--file`), with Python's struct as the independent reader
/// and writer of fpga_sio's record: `char initialised_text[120]; char last_accessed_text[40];
/// uint32_t accessed_count;` (little-endian, 164 bytes).
final class PersistenceScriptTests: XCTestCase {
  private var dir = ""

  override func setUp() {
    dir = Barlua.tempDir()
  }

  override func tearDown() {
    try? FileManager.default.removeItem(atPath: dir)
  }

  private static var script: String { Barlua.repository + "/scripts/persistence.lua" }

  private func persistence(_ args: [String], env: [String: String] = [:]) throws -> Barlua.Result {
    try Barlua.run([Self.script] + args, env: env)
  }

  /// Runs python3 with `code` and `args`; returns its stdout (fails the test on an error).
  private func python(_ code: String, _ args: [String] = [], env: [String: String] = [:]) throws -> String {
    var e = ProcessInfo.processInfo.environment
    e.merge(env) { $1 }
    let r = try ChildProcess.run("/usr/bin/python3", ["-c", code] + args, environment: e)
    XCTAssertEqual(r.status, 0, r.err)
    return r.out
  }

  /// The record at offset 0 as Python's struct reads it: texts up to their NUL, then the count.
  private func readRecord(_ path: String) throws -> [String] {
    let code = """
      import json, struct, sys
      init, last, count = struct.unpack_from("<120s40sI", open(sys.argv[1], "rb").read(), 0)
      cut = lambda b: b.split(b"\\0", 1)[0].decode()
      print(json.dumps([cut(init), cut(last), str(count)]))
      """
    let out = try python(code, [path])
    return try JSONDecoder().decode([String].self, from: Data(out.utf8))
  }

  /// Writes a record the way the C program leaves one: prefix + ctime text (with its newline).
  private func writeRecord(_ path: String, initialised: String, last: String, count: UInt32) throws {
    let code = """
      import struct, sys
      with open(sys.argv[1], "r+b") as f:
          f.write(struct.pack("<120s40sI", sys.argv[2].encode(), sys.argv[3].encode(), int(sys.argv[4])))
      """
    _ = try python(code, [path, initialised, last, String(count)])
  }

  private func makeFile(_ name: String, _ bytes: [UInt8]) -> String {
    let path = dir + "/" + name
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    return path
  }

  private func contents(_ path: String) -> Data {
    FileManager.default.contents(atPath: path) ?? Data()
  }

  private func nowText(_ out: String) -> String {
    let first = out.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
    return String(first.dropFirst("Now: ".count))
  }

  func testFirstRunWritesTheSeedRecordAndReportsAsTheSeed() throws {
    let f = makeFile("bar", [UInt8](repeating: 0, count: 4096))
    let r = try persistence(["--file", f])
    XCTAssertEqual(r.status, 0, r.err)
    let now = nowText(r.out)
    let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    XCTAssertEqual(lines.count, 10, r.out)
    guard lines.count == 10 else { return }
    XCTAssertEqual(lines[1], "")  // ctime's newline, then printf's: the C program's blank line
    XCTAssertEqual(lines[2], "Testing file \(f)")
    XCTAssertEqual(lines[3], "BAR 0")
    XCTAssertEqual(lines[4], "  Uninitialised memory region of 4096 bytes all zeros")
    XCTAssertNotNil(
      lines[5].range(
        of: #"^  Total time for byte reads from memory region = [0-9]+ ns, or average of [0-9]+ ns per byte$"#,
        options: .regularExpression), lines[5])
    XCTAssertEqual(lines[6], "  initialised_text=This is BAR zero memory initialised at \(now)")
    XCTAssertEqual(lines[7], "  new last_accessed_text=\(now)")
    XCTAssertEqual(lines[8], "  accessed_count=1")
    XCTAssertEqual(
      try readRecord(f), ["This is BAR zero memory initialised at \(now)\n", "\(now)\n", "1"])
    // The rest of the file is untouched.
    XCTAssertEqual(contents(f).dropFirst(164), Data(repeating: 0, count: 4096 - 164))
  }

  func testSecondRunFindsTheRecord() throws {
    let f = makeFile("bar", [UInt8](repeating: 0, count: 4096))
    let first = try persistence(["--file", f])
    XCTAssertEqual(first.status, 0, first.err)
    let now1 = nowText(first.out)
    let r = try persistence(["--file", f])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(r.out.contains("\n  Memory already initialised - existing last_accessed_text=\(now1)\n"), r.out)
    XCTAssertTrue(r.out.contains("\n  initialised_text=This is BAR zero memory initialised at \(now1)\n"), r.out)
    XCTAssertTrue(r.out.hasSuffix("\n  accessed_count=2\n"), r.out)
    XCTAssertFalse(r.out.contains("Uninitialised"), r.out)
    XCTAssertEqual(try readRecord(f)[2], "2")
  }

  func testRecordWrittenInTheCLayoutIsRecognised() throws {
    let f = makeFile("bar", [UInt8](repeating: 0, count: 8192))
    try writeRecord(
      f, initialised: "This is BAR zero memory initialised at Mon Jan  5 10:00:00 2026\n",
      last: "Tue Feb 10 07:08:09 2026\n", count: 41)
    let r = try persistence(["--file", f])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(
      r.out.contains("  Memory already initialised - existing last_accessed_text=Tue Feb 10 07:08:09 2026\n"), r.out)
    XCTAssertTrue(
      r.out.contains("  initialised_text=This is BAR zero memory initialised at Mon Jan  5 10:00:00 2026\n"), r.out)
    XCTAssertTrue(r.out.contains("  accessed_count=42\n"), r.out)
    let rec = try readRecord(f)
    XCTAssertEqual(rec[0], "This is BAR zero memory initialised at Mon Jan  5 10:00:00 2026\n")
    XCTAssertEqual(rec[1], nowText(r.out) + "\n")
    XCTAssertEqual(rec[2], "42")
  }

  func testAnotherBarsPrefixIsNotThisBarsRecord() throws {
    let f = makeFile("bar", [UInt8](repeating: 0, count: 4096))
    try writeRecord(
      f, initialised: "This is BAR two memory initialised at Mon Jan  5 10:00:00 2026\n",
      last: "Mon Jan  5 10:00:00 2026\n", count: 3)
    let r = try persistence(["--file", f])
    XCTAssertTrue(r.out.contains("  Uninitialised memory region of 4096 contains "), r.out)
    XCTAssertTrue(r.out.contains("  accessed_count=1\n"), r.out)
  }

  func testCountWrapsAsAUint32() throws {
    let f = makeFile("bar", [UInt8](repeating: 0, count: 4096))
    try writeRecord(
      f, initialised: "This is BAR zero memory initialised at Mon Jan  5 10:00:00 2026\n",
      last: "Mon Jan  5 10:00:00 2026\n", count: 0xFFFF_FFFF)
    let r = try persistence(["--file", f])
    XCTAssertTrue(r.out.hasSuffix("  accessed_count=0\n"), r.out)
    XCTAssertEqual(try readRecord(f)[2], "0")
  }

  func testMixedBytesAreCounted() throws {
    var bytes = [UInt8](repeating: 0, count: 1000)
    for i in 0..<10 { bytes[i] = 0xFF }
    for i in 10..<15 { bytes[i] = 0x5A }
    let f = makeFile("bar", bytes)
    let r = try persistence(["--file", f, "--read-only"])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(
      r.out.contains("\n  Uninitialised memory region of 1000 contains 985 zero bytes and 10 0xff bytes\n"), r.out)
  }

  func testAllFFIsReportedAndLeftUntouched() throws {
    let f = makeFile("bar", [UInt8](repeating: 0xFF, count: 8192))
    let r = try persistence(["--file", f])
    // Not responding is a failed BAR: exit status 1, whatever else the report says.
    XCTAssertEqual(r.status, 1, r.err)
    XCTAssertTrue(
      r.out.contains("\n  Uninitialised memory region of 8192 contains 0 zero bytes and 8192 0xff bytes\n"), r.out)
    XCTAssertTrue(r.out.contains("  device not responding (all bytes 0xFF): removed or reloaded?"), r.out)
    XCTAssertFalse(r.out.contains("accessed_count"), r.out)
    XCTAssertEqual(contents(f), Data(repeating: 0xFF, count: 8192))
  }

  func testReadOnlyChangesNothing() throws {
    let f = makeFile("bar", [UInt8](repeating: 0, count: 4096))
    var r = try persistence(["--file", f, "--read-only"])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(r.out.contains("  Uninitialised memory region of 4096 bytes all zeros\n"), r.out)
    XCTAssertTrue(r.out.hasSuffix("  read-only: nothing written\n"), r.out)
    XCTAssertEqual(contents(f), Data(repeating: 0, count: 4096))
    try writeRecord(
      f, initialised: "This is BAR zero memory initialised at Mon Jan  5 10:00:00 2026\n",
      last: "Tue Feb 10 07:08:09 2026\n", count: 5)
    let before = contents(f)
    r = try persistence(["--file", f, "--read-only"])
    XCTAssertTrue(r.out.contains("\n  last_accessed_text=Tue Feb 10 07:08:09 2026\n  accessed_count=5\n"), r.out)
    XCTAssertEqual(contents(f), before)
  }

  /// --read-only maps the file read-only: a file nobody may write (mode 0444, and immutable
  /// when run as root, whom modes do not stop) is surveyed; without --read-only it is an error.
  func testReadOnlyWorksOnAFileNobodyMayWrite() throws {
    let f = makeFile("ro", [UInt8](repeating: 0, count: 4096))
    defer { ReadOnlyFile.release(f) }
    guard ReadOnlyFile.protect(f) else { throw XCTSkip("chattr +i is not supported on \(f)") }
    XCTAssertNil(FileHandle(forWritingAtPath: f), "\(f) is still writable")
    let r = try persistence(["--file", f, "--read-only"])
    XCTAssertEqual(r.status, 0, r.out + r.err)
    XCTAssertTrue(r.out.contains("  Uninitialised memory region of 4096 bytes all zeros\n"), r.out)
    XCTAssertTrue(r.out.hasSuffix("  read-only: nothing written\n"), r.out)
    let w = try persistence(["--file", f])
    XCTAssertEqual(w.status, 1, w.out)
    XCTAssertTrue(w.out.contains("  error: mmio.map: open \(f): "), w.out)
    XCTAssertEqual(contents(f), Data(repeating: 0, count: 4096))
  }

  /// --method sysfs-wc skips a BAR without resourceN_wc by the `wc` fact, not the prefetch
  /// flag: the test bed's captured tree with ivshmem's resource2_wc removed (a prefetchable BAR
  /// the kernel did not offer write-combining). Nothing is mapped.
  func testSysfsWCSkipsBarsWithoutTheWCFile() throws {
    let tree = dir + "/q35"
    try FileManager.default.copyItem(
      atPath: Barlua.repository + "/Tests/BarluaCoreTests/Fixtures/pci/qemu-q35-type1", toPath: tree)
    let devices = tree + "/bus/pci/devices"
    try FileManager.default.removeItem(atPath: devices + "/0000:00:02.0/resource2_wc")
    let r = try persistence(
      ["--device", "0000:00:02.0", "--method", "sysfs-wc"], env: ["BARLUA_SYSFS_PCI": devices])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(
      r.out.hasSuffix(
        """
        BAR 0
          skipped: not prefetchable: the kernel offers no resource0_wc (write-combining)
        BAR 2
          skipped: the kernel offers no resource2_wc (write-combining)

        """), r.out)
  }

  func testTooSmallIsSkippedWithAReason() throws {
    let f = makeFile("small", [UInt8](repeating: 0, count: 100))
    let r = try persistence(["--file", f])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(r.out.hasSuffix("BAR 0\n  skipped: 100 bytes is smaller than the 164-byte record\n"), r.out)
    XCTAssertEqual(contents(f), Data(repeating: 0, count: 100))
  }

  func testJSONCarriesTheSameFacts() throws {
    let f = makeFile("bar", [UInt8](repeating: 0, count: 4096))
    let r = try persistence(["--file", f, "--json"])
    XCTAssertEqual(r.status, 0, r.err)
    let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
    let now = try XCTUnwrap(report["now"] as? String)
    let device = try XCTUnwrap((report["devices"] as? [[String: Any]])?.first)
    XCTAssertEqual(device["file"] as? String, f)
    let bar = try XCTUnwrap((device["bars"] as? [[String: Any]])?.first)
    XCTAssertEqual(bar["state"] as? String, "uninitialised")
    XCTAssertEqual(bar["zero_bytes"] as? Int, 4096)
    XCTAssertEqual(bar["ff_bytes"] as? Int, 0)
    XCTAssertEqual(bar["bytes_timed"] as? Int, 4096)
    XCTAssertEqual(bar["written"] as? Bool, true)
    XCTAssertEqual(bar["kept"] as? Bool, true)
    let rec = try XCTUnwrap(bar["record"] as? [String: Any])
    XCTAssertEqual(rec["accessed_count"] as? Int, 1)
    XCTAssertEqual(rec["initialised_text"] as? String, "This is BAR zero memory initialised at \(now)\n")
    // Read-only on zeros: the counts, no record, nothing written.
    let g = makeFile("zeros", [UInt8](repeating: 0, count: 4096))
    let ro = try persistence(["--file", g, "--json", "--read-only"])
    let roReport = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(ro.out.utf8)) as? [String: Any])
    let roDevice = try XCTUnwrap((roReport["devices"] as? [[String: Any]])?.first)
    let roBar = try XCTUnwrap((roDevice["bars"] as? [[String: Any]])?.first)
    XCTAssertEqual(roBar["state"] as? String, "uninitialised")
    XCTAssertEqual(roBar["written"] as? Bool, false)
    XCTAssertNil(roBar["record"])
    XCTAssertEqual(roReport["read_only"] as? Bool, true)
  }

  func testNoSelectorListsAndExitsTwoWritingNothing() throws {
    let r = try persistence([])
    XCTAssertEqual(r.status, 2)
    XCTAssertEqual(r.out, "")
    XCTAssertTrue(r.err.contains("name the device(s) to test with --device ADDR or --id VVVV:DDDD"), r.err)
    // This host has no vfio-pci devices: the list says so rather than guessing one.
    XCTAssertTrue(
      r.err.contains("No device is bound to vfio-pci") || r.err.contains("Devices bound to vfio-pci:"), r.err)
  }

  func testArgumentErrors() throws {
    let f = makeFile("bar", [UInt8](repeating: 0, count: 4096))
    let cases: [([String], String)] = [
      (["--bar", "7", "--file", f], "--bar must be a BAR number 0..5, not '7'"),
      (["--id", "10ee:zz"], "--id must be VVVV:DDDD or VVVV:DDDD:SSSS:ssss in hex"),
      (["--id", "10ee:7024:0002"], "--id must be VVVV:DDDD or VVVV:DDDD:SSSS:ssss in hex"),
      (["--file", f, "--device", "0000:00:03.0"], "--file runs on a file instead of devices"),
      (["--file", f, "--reset"], "--reset needs a device, not --file"),
      (["--file", f, "--reset", "bus"], "--reset needs a device, not --file"),
      (["--file", f, "--reload", "true"], "--reload needs a device, not --file"),
      (["--device", "0000:00:03.0", "--reset", "warm"], "argument for option '--reset' must be one of"),
      (["--device", "0000:00:03.0", "--matrix", "--reset"], "--matrix runs every condition itself"),
      (["--device", "0000:00:03.0", "--matrix", "--read-only"], "--matrix runs every condition itself"),
      (["--file", f, "--bar", "2"], "--file is BAR 0: --bar 2 does not exist there"),
      (["--file", f, "--method", "sysfs"], "--method applies to devices, not --file"),
      (["--file", f, "--method", "vfio"], "--method applies to devices, not --file"),
      (["--method", "vfio", "--file", f], "--method applies to devices, not --file"),
      (["--file", f, "--file", f], "option '--file' must be used at most 1 time"),
      (["--file", "/elsewhere", "--file", f], "option '--file' must be used at most 1 time"),
      (
        ["--device", "0000:00:03.0", "--method", "vfio", "--method", "sysfs"],
        "option '--method' must be used at most 1 time"
      ),
      (["--method", "dma", "--file", f], "argument for option '--method' must be one of"),
      (["--frobnicate"], "unknown option '--frobnicate'"),
    ]
    for (args, message) in cases {
      let r = try persistence(args)
      XCTAssertEqual(r.status, 2, "\(args): \(r.err)")
      XCTAssertTrue(r.err.contains(message), "\(args): \(r.err)")
      XCTAssertTrue(r.err.hasPrefix("Usage: persistence.lua"), "\(args): \(r.err)")
    }
    XCTAssertEqual(contents(f), Data(repeating: 0, count: 4096))
  }

  func testUnknownDevicesAreErrorsNotGuesses() throws {
    var r = try persistence(["--device", "0000:7f:1f.7"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.contains("--device 0000:7f:1f.7: pci.device: no PCI device 0000:7f:1f.7"), r.err)
    r = try persistence(["--id", "10ee:7024:0002:0001"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.contains("--id 10ee:7024:0002:0001: no PCI device has this identity"), r.err)
  }

  func testMissingFileIsAnError() throws {
    let r = try persistence(["--file", dir + "/absent"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.out.contains("  error: mmio.map: "), r.out)
  }

  /// The record module's ctime is C's ctime: English names, day padded with a space.
  func testCtimeMatchesPython() throws {
    let times = [0, 1_762_419_532, 1_795_595_932, 1_767_225_600, 951_782_400]
    for tz in ["UTC", "America/New_York", "Asia/Kolkata"] {
      let list = times.map(String.init).joined(separator: ",")
      let lua = try Barlua.run(
        ["-e", "local r = require 'persistence_record' for _, t in ipairs({\(list)}) do io.write(r.ctime(t)) end"],
        env: ["TZ": tz, "BARLUA_PATH": Self.libDir, "LANG": "de_DE.UTF-8"])
      XCTAssertEqual(lua.status, 0, lua.err)
      let py = try python(
        "import sys, time\nfor t in sys.argv[1:]: print(time.ctime(int(t)))", times.map(String.init),
        env: ["TZ": tz])
      XCTAssertEqual(lua.out, py, tz)
    }
  }

  /// encode/decode of the record module against Python's struct, both ways, with snprintf's
  /// truncation of an over-long text and a count using all 32 bits.
  func testRecordModuleRoundTripWithPythonStruct() throws {
    let f = dir + "/record"
    let long = String(repeating: "x", count: 130)
    let lua = try Barlua.run(
      [
        "-e",
        """
        local r = require 'persistence_record'
        assert(r.SIZE == 164 and r.COUNT_OFFSET == 160)
        local out = assert(io.open(os.getenv('REC_PATH'), 'wb'))
        out:write(r.encode({ initialised_text = os.getenv('REC_TEXT'),
          last_accessed_text = 'Fri Nov  6 08:38:52 2026\\n', accessed_count = 0x89abcdef }))
        out:close()
        """,
      ], env: ["BARLUA_PATH": Self.libDir, "REC_PATH": f, "REC_TEXT": long])
    XCTAssertEqual(lua.status, 0, lua.err)
    XCTAssertEqual(contents(f).count, 164)
    XCTAssertEqual(
      try readRecord(f), [String(repeating: "x", count: 119), "Fri Nov  6 08:38:52 2026\n", "\(0x89ab_cdef)"])
    try writeRecord(f, initialised: "This is BAR five memory initialised at X\n", last: "L\n", count: 7)
    let back = try Barlua.run(
      [
        "-e",
        """
        local r = require 'persistence_record'
        local rec = r.decode(assert(io.open(os.getenv('REC_PATH'), 'rb')):read('a'))
        io.write(rec.initialised_text, rec.last_accessed_text, rec.accessed_count, ' ',
          tostring(r.is_initialised(rec, 5)), ' ', tostring(r.is_initialised(rec, 4)))
        """,
      ], env: ["BARLUA_PATH": Self.libDir, "REC_PATH": f])
    XCTAssertEqual(back.status, 0, back.err)
    XCTAssertEqual(back.out, "This is BAR five memory initialised at X\nL\n7 true false")
  }

  private static var libDir: String {
    URL(fileURLWithPath: script).deletingLastPathComponent().appendingPathComponent("lib").path
  }
}
