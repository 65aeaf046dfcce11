import Foundation
import TestSupport
import XCTest

/// scripts/bar_timing.lua on a file mapping (this host has no device): the text report, CSV,
/// JSON and SVG are complete and well-formed, corruption fails the run, bad options explain
/// themselves. CSV, JSON and SVG are parsed by Python's csv, json and xml.etree, as a user's
/// tooling would.
final class BarTimingTests: XCTestCase {
  static var script: String { Barlua.repository + "/scripts/bar_timing.lua" }

  /// A 64 KiB zero-filled file to time.
  func target() -> String {
    let path = "/dev/shm/barlua-timing-\(UUID().uuidString)"
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(count: 65536)))
    addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
  }

  func timing(_ args: [String]) throws -> Barlua.Result {
    try Barlua.run([BarTimingTests.script] + args)
  }

  /// Runs python3 with `code` and arguments; returns stdout.
  func python(_ code: String, _ args: [String]) throws -> String {
    let r = try ChildProcess.run("/usr/bin/python3", ["-c", code] + args, stdin: nil)
    XCTAssertEqual(r.status, 0, "python3 failed: \(r.err)")
    return r.out
  }

  func testTextReportReadsOnlyByDefault() throws {
    let file = target()
    let r = try timing(["--file", file, "--count", "2"])
    XCTAssertEqual(r.status, 0, r.err)
    let lines = r.out.split(separator: "\n").map(String.init)
    XCTAssertEqual(
      lines.first,
      "bar_timing: file \(file), 65536 bytes per transfer, 2 passes, card-to-host only (no --write)")
    XCTAssertTrue(r.out.contains("file (file mapping): bar \(file) file 64 KiB"), r.out)
    XCTAssertTrue(
      r.out.contains(
        "file-flush (file mapping + flushing read): skipped: a flushing read only"
          + " matters for writes (--write)"), r.out)
    for path in ["8-bit", "16-bit", "32-bit", "64-bit", "bulk"] {
      let row = lines.first { $0.hasPrefix("  \(path) ") && $0.contains("card-to-host") }
      XCTAssertNotNil(row, "no \(path) read row in\n\(r.out)")
      XCTAssertTrue(row?.hasSuffix("n/a") ?? false)
    }
    XCTAssertFalse(r.out.contains("host-to-card   "), "no writes without --write")
  }

  /// #13 item 3: the report states the instrument's ceiling — the same C transfers on a RAM
  /// mapping — in the text report and in JSON, so a device figure can be read against it.
  func testReportStatesTheMeasurementCeiling() throws {
    let file = target()
    let r = try timing(["--file", file, "--count", "3", "--size", "32K"])
    XCTAssertEqual(r.status, 0, r.err)
    let line = try XCTUnwrap(
      r.out.split(separator: "\n").map(String.init).first { $0.hasPrefix("measurement ceiling") }, r.out)
    let number = #"([0-9]+\.[0-9])"#
    let paths = ["8-bit", "16-bit", "32-bit", "64-bit", "bulk"].map { "\($0) \(number)/\(number)" }
    let pattern =
      #"^measurement ceiling \(the same C transfers on RAM, /dev/shm, 32768 bytes, best of 3\): "#
      + paths.joined(separator: ", ") + " MB/s host-to-card/card-to-host$"
    let re = try NSRegularExpression(pattern: pattern)
    let m = try XCTUnwrap(re.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)), line)
    for i in 1..<m.numberOfRanges {
      let v = Double(line[Range(m.range(at: i), in: line)!]) ?? 0
      XCTAssertGreaterThan(v, 0, line)
    }
    XCTAssertTrue(r.out.hasSuffix(line + "\n"), "the ceiling closes the report:\n\(r.out)")
    // JSON: every path both ways, with its rates and verified writes; the temporary RAM file
    // is gone afterwards.
    let j = try timing(["--file", file, "--count", "2", "--size", "16K", "--json"])
    XCTAssertEqual(j.status, 0, j.err)
    let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(j.out.utf8)) as? [String: Any])
    let ceiling = try XCTUnwrap(report["ceiling"] as? [String: Any])
    XCTAssertEqual(ceiling["where"] as? String, "/dev/shm")
    XCTAssertEqual(ceiling["bytes"] as? Int, 16384)
    XCTAssertEqual(ceiling["count"] as? Int, 2)
    let rows = try XCTUnwrap(ceiling["results"] as? [[String: Any]])
    XCTAssertEqual(rows.map { "\($0["path"]!) \($0["direction"]!)" }.count, 10)
    for row in rows {
      XCTAssertGreaterThan(row["max_mbps"] as? Double ?? 0, 0, "\(row)")
      XCTAssertEqual(
        row["integrity"] as? String, row["direction"] as? String == "host-to-card" ? "ok" : "n/a",
        "\(row)")
    }
    let left = try FileManager.default.contentsOfDirectory(atPath: "/dev/shm").filter {
      $0.hasPrefix("bar_timing-ceiling-")
    }
    XCTAssertEqual(left, [], "the ceiling's RAM file is removed")
  }

  func testCSVJSONAndSVGAreCompleteAndWellFormed() throws {
    let file = target()
    let dir = Barlua.tempDir()
    let svg = dir + "/chart.svg"
    let csv = try timing(["--file", file, "--count", "3", "--size", "16K", "--write", "--csv"])
    XCTAssertEqual(csv.status, 0, csv.err)
    Barlua.write(csv.out, to: dir + "/out.csv")
    let json = try timing([
      "--file", file, "--count", "3", "--size", "0x4000", "--write", "--json", "--svg", svg,
    ])
    XCTAssertEqual(json.status, 0, json.err)
    Barlua.write(json.out, to: dir + "/out.json")
    // Each format, parsed: one summary line per format.
    let summary = try python(
      """
      import csv, json, sys, xml.etree.ElementTree as ET
      d = sys.argv[1]
      rows = list(csv.DictReader(open(d + "/out.csv")))
      ok = all(r["integrity"] in ("ok", "n/a") and float(r["min_mbps"]) > 0
               and float(r["min_mbps"]) <= float(r["mean_mbps"]) <= float(r["max_mbps"])
               and r["bytes"] == "16384" and r["count"] == "3" for r in rows)
      print("csv", len(rows), sorted({r["method"] for r in rows}), ok)
      j = json.load(open(d + "/out.json"))
      res = [r for m in j["methods"] for r in m["results"]]
      print("json", j["bytes"], j["count"], j["corrupt"], len(res),
            all(len(r["samples_mbps"]) == 3 for r in res),
            sorted({r["integrity"] for r in res}))
      svg = ET.parse(d + "/chart.svg").getroot()
      ns = "{http://www.w3.org/2000/svg}"
      bars = [e for e in svg.iter(ns + "rect") if e.get("class") == "bar"]
      texts = [e.text for e in svg.iter(ns + "text")]
      print("svg", len(bars), sorted({b.get("data-series") for b in bars}),
            all(float(b.get("data-value")) > 0 for b in bars),
            any(t and t.startswith("BAR timing: file") for t in texts),
            any(t and t.startswith("MB/s") for t in texts))
      """, [dir])
    XCTAssertEqual(
      summary,
      """
      csv 15 ['file', 'file-flush'] True
      json 16384 3 False 15 True ['n/a', 'ok']
      svg 15 ['file', 'file-flush'] True True True

      """)
  }

  func testAnotherWriterCorruptingTheMemoryFailsTheRun() throws {
    // A second process keeps overwriting the file with 0xff while bar_timing writes its
    // patterns: the read-back must catch it, and a fast but corrupting method must fail.
    let file = target()
    let writer = Process()
    writer.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    writer.arguments = [
      "-c",
      """
      import mmap, os, sys, time
      fd = os.open(sys.argv[1], os.O_RDWR)
      m = mmap.mmap(fd, 65536)
      end = time.time() + 20
      while time.time() < end:
          m[:] = b"\\xff" * 65536
      """, file,
    ]
    try writer.run()
    defer { writer.terminate() }
    // The writer is running once the zero-filled file reads 0xff.
    let start = Date()
    while FileManager.default.contents(atPath: file)?.first != 0xff, Date().timeIntervalSince(start) < 20 {
      Thread.sleep(forTimeInterval: 0.02)
    }
    // With C transfers a pass takes microseconds: on a loaded machine the writer may not be
    // scheduled at all during one run, so run again (at most 10 times) until it interfered.
    // A run in which it interfered must report the corruption and fail.
    var r = try timing(["--file", file, "--methods", "file", "--count", "500", "--write"])
    for _ in 1..<10 where r.status == 0 && !r.out.contains("CORRUPT") {
      r = try timing(["--file", file, "--methods", "file", "--count", "500", "--write"])
    }
    XCTAssertEqual(r.status, 1, r.out + r.err)
    XCTAssertTrue(r.out.contains("CORRUPT: pass "), r.out)
    XCTAssertTrue(
      r.out.contains("FAILED: a method corrupted data (see integrity); its speed does not count."),
      r.out)
  }

  /// A file of `size` random bytes in /dev/shm.
  func randomTarget(_ size: Int) -> (path: String, bytes: Data) {
    var g = SystemRandomNumberGenerator()
    let bytes = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &g) })
    let path = "/dev/shm/barlua-timing-\(UUID().uuidString)"
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: bytes))
    addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return (path, bytes)
  }

  /// Starts bar_timing with `args`; returns the process and its stdout/stderr pipes.
  func start(_ args: [String]) throws -> (Process, Pipe, Pipe) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Barlua.path)
    p.arguments = [BarTimingTests.script] + args
    p.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    return (p, out, err)
  }

  /// Waits (up to 60 s) until the file no longer holds `bytes`: the first write pass began.
  func waitForChange(_ path: String, from bytes: Data) {
    let deadline = Date().addingTimeInterval(60)
    while FileManager.default.contents(atPath: path) == bytes && Date() < deadline {
      Thread.sleep(forTimeInterval: 0.05)
    }
    XCTAssertNotEqual(FileManager.default.contents(atPath: path), bytes, "nothing was written")
  }

  func finish(_ p: Process, _ out: Pipe, _ err: Pipe) -> Barlua.Result {
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Barlua.Result(
      status: p.terminationStatus, out: String(decoding: o, as: UTF8.self),
      err: String(decoding: e, as: UTF8.self))
  }

  /// #11 item 8: a 163-byte file made --write die after writing its pattern (read32 at 0x9f).
  /// The size is checked before anything is written.
  func testOddSizedTargetIsRefusedBeforeAnythingIsWritten() throws {
    let (file, bytes) = randomTarget(163)
    for extra in [["--write"], [], ["--write", "--methods", "file-flush"]] {
      let r = try timing(["--file", file, "--count", "1"] + extra)
      XCTAssertEqual(r.status, 2, "\(extra): \(r.out)\(r.err)")
      XCTAssertEqual(
        r.err,
        "bar_timing: \(file) is 163 bytes, not a multiple of 8 (the widest access): give --size,"
          + " a multiple of 8 up to 160\n")
      XCTAssertEqual(r.out, "")
      XCTAssertEqual(FileManager.default.contents(atPath: file), bytes)
    }
    let big = try timing(["--file", file, "--write", "--size", "4K"])
    XCTAssertEqual(big.status, 2)
    XCTAssertEqual(big.err, "bar_timing: --size 4096 exceeds the size of \(file) (163 bytes)\n")
    // A size that fits is measured, and the file is left as it was.
    let ok = try timing(["--file", file, "--write", "--size", "160", "--count", "2"])
    XCTAssertEqual(ok.status, 0, ok.err)
    XCTAssertEqual(FileManager.default.contents(atPath: file), bytes)
  }

  /// #11 item 8: Ctrl-C in the middle of the write passes writes the saved contents back.
  func testCtrlCWritesTheSavedContentsBack() throws {
    let (file, bytes) = randomTarget(1 << 20)
    let (p, out, err) = try start(["--file", file, "--write", "--count", "100", "--methods", "file"])
    waitForChange(file, from: bytes)
    kill(p.processIdentifier, SIGINT)
    let r = finish(p, out, err)
    XCTAssertEqual(r.status, 130, r.err)
    XCTAssertEqual(
      r.err,
      "bar_timing: file: stopped (interrupted!): the saved contents of bytes 0x0-0xfffff were"
        + " written back\nbar_timing: interrupted!\n")
    XCTAssertTrue(FileManager.default.contents(atPath: file) == bytes, "the file was not restored")
  }

  /// SIGTERM unwinds like Ctrl-C: the guards write the saved contents back, exit status 143.
  func testSIGTERMWritesTheSavedContentsBack() throws {
    let (file, bytes) = randomTarget(1 << 20)
    let (p, out, err) = try start(["--file", file, "--write", "--count", "100", "--methods", "file"])
    waitForChange(file, from: bytes)
    kill(p.processIdentifier, SIGTERM)
    let r = finish(p, out, err)
    XCTAssertEqual(r.status, 143, r.err)
    XCTAssertEqual(
      r.err,
      "bar_timing: file: stopped (terminated (SIGTERM)): the saved contents of bytes 0x0-0xfffff were"
        + " written back\nbar_timing: terminated (SIGTERM)\n")
    XCTAssertTrue(FileManager.default.contents(atPath: file) == bytes, "the file was not restored")
  }

  /// #11 item 8: when half the target vanishes mid-run (a file truncated to half its size: a
  /// bus error, as a removed device gives), restoring is impossible there: the half that is
  /// still backed is restored, the run names the ranges it cannot read back (they may still
  /// hold the pattern) and says where the saved contents are.
  func testVanishedTargetSaysWhatIsLeftChangedAndKeepsTheContents() throws {
    let (file, bytes) = randomTarget(1 << 20)
    let (p, out, err) = try start(["--file", file, "--write", "--count", "100", "--methods", "file"])
    waitForChange(file, from: bytes)
    XCTAssertEqual(truncate(file, 1 << 19), 0)
    let r = finish(p, out, err)
    XCTAssertEqual(r.status, 1, r.err)
    let lines = r.err.split(separator: "\n").map(String.init)
    let failure = try XCTUnwrap(lines.first { $0.hasPrefix("bar_timing: file: could not restore ") }, r.err)
    XCTAssertTrue(failure.contains(" cannot be read back (bar:read: bus error at offset 0x"), failure)
    XCTAssertTrue(failure.contains("the device or file stopped backing this mapping"), failure)
    XCTAssertTrue(failure.contains(" bytes, cannot be read back: may still hold the test pattern)"), failure)
    XCTAssertFalse(failure.contains("0x0-"), "the first half was written back:\n\(failure)")
    XCTAssertTrue(FileManager.default.contents(atPath: file) == bytes.prefix(1 << 19), "first half not restored")
    let saved = try XCTUnwrap(
      failure.range(of: #"the saved contents are in (\S+) \(1048576 bytes"#, options: .regularExpression))
    let path = String(failure[saved].dropFirst("the saved contents are in ".count).prefix { $0 != " " })
    defer { try? FileManager.default.removeItem(atPath: path) }
    XCTAssertTrue(FileManager.default.contents(atPath: path) == bytes, "the saved copy differs")
    // The run stops on the bus error that the truncation caused, in whichever pass it was.
    XCTAssertTrue(
      lines.contains { $0.hasPrefix("bar_timing: bar:") && $0.contains(": bus error at offset 0x") }, r.err)
  }

  func testBadOptionsAreExplained() throws {
    let cases: [([String], String)] = [
      ([], "bar_timing: name what to time: --device ADDR --bar N, or --file PATH (see --help)\n"),
      (["--device", "0000:00:03.0"], "bar_timing: --device needs --bar N (0-5)\n"),
      (["--file", "/x", "--device", "0000:00:03.0"], "bar_timing: give either --file or --device/--bar, not both\n"),
      (
        ["--file", "/x", "--size", "12"],
        "bar_timing: --size must be a positive multiple of 8 bytes (the widest access), got 12\n"
      ),
      (["--file", "/x", "--size", "lots"], "bar_timing: --size lots: not a size (use e.g. 65536, 0x10000, 64K, 1M)\n"),
      (["--file", "/x", "--methods", "dma"], "bar_timing: --methods: unknown method dma (see --help)\n"),
      (["--file", "/x", "--csv", "--json"], "bar_timing: choose one of --csv and --json\n"),
      (["--device", "0000:00:03.0", "--bar", "7"], "bar_timing: --bar must be 0..5, got 7\n"),
      // argparse takes "-1" for an option: the value is what is wrong (#11, unclear errors).
      (["--file", "/x", "--count", "-1"], "bar_timing: --count must be a positive integer, got -1\n"),
      (["--file", "/x", "--count=0"], "bar_timing: --count must be a positive integer, got 0\n"),
      (["--file", "/x", "--count", "ten"], "bar_timing: --count must be a positive integer, got ten\n"),
      (
        ["--file", "/x", "--size", "-4K"],
        "bar_timing: --size must be a positive multiple of 8 bytes (the widest access), got -4K\n"
      ),
      (["--device", "0000:00:03.0", "--bar", "-1"], "bar_timing: --bar must be 0..5, got -1\n"),
      (
        ["--file", "/x", "--methods", "vfio"],
        "bar_timing: --methods: vfio is a method for devices (--device/--bar); with --file the"
          + " methods are file, file-flush\n"
      ),
      (
        ["--device", "0000:00:03.0", "--bar", "0", "--methods", "file"],
        "bar_timing: --methods: file is a method for --file; with --device the methods are vfio,"
          + " vfio-wc, sysfs, sysfs-wc, sysfs-wc-flush\n"
      ),
      (
        ["--file", "/x", "--svg", "/nonexistent/x.svg"],
        "bar_timing: --svg: cannot write /nonexistent/x.svg: /nonexistent/x.svg: No such file or"
          + " directory\n"
      ),
    ]
    for (args, message) in cases {
      let r = try timing(args)
      XCTAssertEqual(r.status, 2, "\(args)")
      XCTAssertEqual(r.err, message, "\(args)")
    }
    // A file that cannot be mapped: reported per method, and nothing measured is a failure.
    let r = try timing(["--file", "/nonexistent/bar"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.out.contains("file (file mapping): skipped: "), r.out)
    XCTAssertTrue(r.out.contains("stat /nonexistent/bar: No such file or directory"), r.out)
    XCTAssertTrue(
      r.err.contains("no method could map the BAR:\n  file: mmio.map: stat /nonexistent/bar:"), r.err)
    // A repeated option is an error, not "the last one wins".
    let twice = try timing(["--file", "/x", "--file", "/y"])
    XCTAssertEqual(twice.status, 2)
    XCTAssertTrue(twice.err.hasSuffix("bar_timing: option '--file' must be used at most 1 time\n"), twice.err)
    // This host has no sysfs resource files: the sysfs methods say so; VFIO says why not.
    let d = try timing(["--device", "0000:00:03.0", "--bar", "0", "--count", "1"])
    XCTAssertEqual(d.status, 1)
    XCTAssertTrue(d.out.contains("resource0 does not exist: this kernel exposes no sysfs"), d.out)
  }
}
