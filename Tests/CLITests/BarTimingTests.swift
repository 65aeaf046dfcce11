import Foundation
import XCTest

/// scripts/bar_timing.lua on a file mapping (this host has no device): the text report, CSV,
/// JSON and SVG are complete and well-formed, corruption fails the run, bad options explain
/// themselves. CSV, JSON and SVG are parsed by Python's csv, json and xml.etree, as a user's
/// tooling would.
final class BarTimingTests: XCTestCase {
  static var script: String {
    var url = URL(fileURLWithPath: "\(#filePath)")
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("scripts/bar_timing.lua").path
  }

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
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    p.arguments = ["-c", code] + args
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    XCTAssertEqual(p.terminationStatus, 0, "python3 failed")
    return String(decoding: data, as: UTF8.self)
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
    Thread.sleep(forTimeInterval: 0.2)
    let r = try timing(["--file", file, "--methods", "file", "--count", "5", "--write"])
    XCTAssertEqual(r.status, 1, r.out + r.err)
    XCTAssertTrue(r.out.contains("CORRUPT: pass "), r.out)
    XCTAssertTrue(
      r.out.contains("FAILED: a method corrupted data (see integrity); its speed does not count."),
      r.out)
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
    XCTAssertTrue(r.err.contains("no method could map the BAR"), r.err)
    // This host has no sysfs resource files: the sysfs methods say so; VFIO says why not.
    let d = try timing(["--device", "0000:00:03.0", "--bar", "0", "--count", "1"])
    XCTAssertEqual(d.status, 1)
    XCTAssertTrue(d.out.contains("resource0 does not exist: this kernel exposes no sysfs"), d.out)
  }
}
