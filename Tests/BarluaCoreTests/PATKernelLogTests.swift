import Foundation
import XCTest

@testable import BarluaCore

/// /dev/kmsg records: parsing, the read loop (EPIPE, dictionary lines, the mark), the errors,
/// and a real round trip through this machine's kernel log.
final class PATKernelLogTests: XCTestCase {
  func testRealRecordsOfThisVM() throws {
    let lines = try PATFixtures.text("kmsg-records-6.18.txt").split(separator: "\n")
    let records = lines.filter { !KernelRecord.isDictionaryLine($0) }.compactMap {
      KernelRecord($0)
    }
    XCTAssertEqual(records.count, lines.filter { !$0.hasPrefix(" ") }.count, "every record parses")
    XCTAssertEqual(lines.filter { KernelRecord.isDictionaryLine($0) }.count, 10)
    let config = try XCTUnwrap(records.first { $0.seq == 22 })
    XCTAssertEqual(config.facility, 0, "kern")
    XCTAssertEqual(config.level, 6, "info")
    XCTAssertEqual(config.time, 0.000576)
    let escaped = try XCTUnwrap(records.first { $0.seq == 347 })
    XCTAssertEqual(escaped.message, "barlua\tfixture back\\slash café")
    XCTAssertEqual(escaped.facility, 1, "written by a program: user")
    XCTAssertEqual(escaped.level, 4)
    XCTAssertEqual(escaped.time, 575.227321)
    XCTAssertNil(KernelRecord(" SUBSYSTEM=acpi"))
    XCTAssertNil(KernelRecord("[ 4121.624625] x86/PAT: Overlap at 0x1-0x2"))
    XCTAssertNil(KernelRecord("6,x,1,-;message"))
    XCTAssertNil(KernelRecord("6,1,99999999999999999999999,-;message"))
  }

  func testUnescapeLeavesOtherBackslashesAlone() {
    XCTAssertEqual(KernelRecord.unescape("a\\x0ab\\x5c\\x\\xzz\\x4"), "a\nb\\\\x\\xzz\\x4")
  }

  func testReadLoopSkipsDictionaryLinesAndCountsLostRecords() throws {
    var outcomes: [KernelLog.ReadOutcome] = [
      .chunk(Array("6,10,100,-;first\n SUBSYSTEM=pci\n DEVICE=+pci:0000:00:01.0\n".utf8)),
      .chunk(Array("6,11,2000000,-;x86/PAT: Overlap at 0x1000-0x2000\n".utf8)),
      .overwritten,
      .chunk(Array("6,15,3000000,-;after the overrun\n".utf8)),
      .end,
    ]
    func reader() -> () -> KernelLog.ReadOutcome {
      var queue = outcomes
      return { queue.isEmpty ? .end : queue.removeFirst() }
    }
    let all = try KernelLog.collect(since: nil, path: "test", next: reader())
    XCTAssertEqual(all.records.map(\.seq), [10, 11, 15])
    XCTAssertEqual(
      all.records.map(\.message),
      ["first", "x86/PAT: Overlap at 0x1000-0x2000", "after the overrun"])
    XCTAssertEqual(all.overwritten, 1)
    XCTAssertEqual(all.missed, 3, "12, 13 and 14 were overwritten")

    let newer = try KernelLog.collect(since: 10, path: "test", next: reader())
    XCTAssertEqual(newer.records.map(\.seq), [11, 15])
    XCTAssertEqual(newer.missed, 3)

    let fromOldMark = try KernelLog.collect(since: 5, path: "test", next: reader())
    XCTAssertEqual(fromOldMark.records.map(\.seq), [10, 11, 15])
    XCTAssertEqual(fromOldMark.missed, 7, "6-9 were gone before reading, 12-14 during")

    outcomes = [.chunk(Array("6,20,1,-;par".utf8)), .chunk(Array("t\n 6,21,1,-;no\n".utf8)), .end]
    let split = try KernelLog.collect(since: nil, path: "test", next: reader())
    XCTAssertEqual(split.records.map(\.message), ["part"], "a record split over reads is joined")

    let events = KernelLog.events(in: all.records)
    XCTAssertEqual(events.map(\.kind), [.overlap])
    XCTAssertEqual(events.first?.seq, 11)
    XCTAssertEqual(events.first?.time, 2)
  }

  func testReadLoopErrors() {
    XCTAssertThrowsError(try KernelLog.collect(since: nil, path: "/dev/kmsg") { .failed(EIO) }) {
      XCTAssertEqual($0 as? SystemError, SystemError("read", path: "/dev/kmsg", errno: EIO))
    }
    var once = true
    XCTAssertThrowsError(
      try KernelLog.collect(since: nil, path: "/tmp/x") {
        defer { once = false }
        return once ? .chunk(Array("hello\n".utf8)) : .end
      }
    ) {
      XCTAssertEqual(
        ($0 as? SystemError)?.description,
        "unexpected contents in /tmp/x: 'hello' (expected a kernel log record)")
    }
  }

  func testMultiLineRecordGivesOneEventPerLine() {
    let record = KernelRecord(
      seq: 9, time: 1.25, facility: 0, level: 6,
      message:
        "x86/PAT: Overlap at 0x1000-0x2000\nx86/PAT: memtype_free request [mem 0x1000-0x1fff]")
    let events = KernelLog.events(in: [record])
    XCTAssertEqual(events.map(\.kind), [.overlap, .free])
    XCTAssertEqual(events.map(\.seq), [9, 9])
    XCTAssertEqual(events.map(\.last), [0x1fff, 0x1fff])
  }

  func testPermissionErrorsExplainDmesgRestrict() throws {
    for code in [EPERM, EACCES] {
      let error = SystemError(
        "open", path: "/dev/kmsg", errno: code,
        cause: KernelLog.openCause(errno: code, dmesgRestrict: "1"))
      XCTAssertEqual(
        error.description,
        "open /dev/kmsg: \(String(cString: strerror(code))) (errno \(code)): kernel.dmesg_restrict=1"
          + " hides the kernel log from non-root users: run `sudo sysctl kernel.dmesg_restrict=0`,"
          + " or run as root / with CAP_SYSLOG")
      XCTAssertEqual(KernelLog.openCause(errno: code, dmesgRestrict: nil), .dmesgRestricted)
      XCTAssertEqual(KernelLog.openCause(errno: code, dmesgRestrict: "0"), .kernelLogDenied)
      XCTAssertTrue(
        SystemCause.kernelLogDenied.description.hasPrefix(
          "kernel.dmesg_restrict is 0, so the device node's permissions"))
    }
    XCTAssertTrue(
      SystemError("open", path: "/dev/kmsg", errno: EACCES).description.hasPrefix(
        "open /dev/kmsg: Permission denied (errno 13)"))
    // The hint reads kernel.dmesg_restrict from the injected path.
    let folder = try temporaryFolder()
    let restrict = folder + "/dmesg_restrict"
    try "0\n".write(toFile: restrict, atomically: true, encoding: .utf8)
    XCTAssertEqual(
      KernelLog(path: "/dev/kmsg", dmesgRestrictPath: restrict).openCause(errno: EPERM),
      .kernelLogDenied)
  }

  func testMissingDevice() throws {
    let path = try temporaryFolder() + "/kmsg"
    XCTAssertThrowsError(try KernelLog(path: path).mark()) { error in
      let error = error as? SystemError
      XCTAssertEqual(error?.call, "open")
      XCTAssertEqual(error?.path, path)
      XCTAssertEqual(error?.errno, ENOENT)
      XCTAssertTrue(
        error?.description.hasPrefix(
          "open \(path): No such file or directory (errno 2): no kernel log device") ?? false,
        error?.description ?? "")
    }
  }

  func testRegularFileAndFIFOAreNotTheKernelLog() throws {
    let folder = try temporaryFolder()
    let file = folder + "/file"
    try "6,1,1,-;x86/PAT: Overlap at 0x1000-0x2000\n".write(
      toFile: file, atomically: true, encoding: .utf8)
    let fifo = folder + "/fifo"
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    for path in [file, fifo, folder] {
      XCTAssertThrowsError(try KernelLog(path: path).events(since: nil)) {
        XCTAssertEqual(
          ($0 as? SystemError)?.description,
          "open \(path): not a character device: the kernel log is read from /dev/kmsg")
      }
    }
  }

  /// Writes a PAT line into this machine's kernel log and reads it back after a mark.
  func testRoundTripThroughThisMachinesKernelLog() throws {
    guard getuid() == 0 else { throw XCTSkip("writing to /dev/kmsg needs root") }
    let started = Date()
    let mark = try KernelLog.mark()
    let markSeconds = Date().timeIntervalSince(started)
    let line =
      "x86/PAT: memtype_reserve added [mem 0xfea00000-0xfeafffff], track uncached-minus,"
      + " req uncached-minus, ret uncached-minus"
    let fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC)
    XCTAssertGreaterThanOrEqual(fd, 0, "open /dev/kmsg for writing: errno \(errno)")
    // The newline ends the record: without it the kernel keeps the record open for a
    // continuation and readers see it only when the next record arrives.
    let written = (line + "\n").withCString { write(fd, $0, strlen($0)) }
    close(fd)
    XCTAssertEqual(written, line.utf8.count + 1)

    let events = try KernelLog.events(since: mark)
    XCTAssertEqual(events.count, 1, "exactly the line written: \(events.map(\.text))")
    let event = try XCTUnwrap(events.first)
    assertEvent(
      event,
      PATEvent(
        kind: .reserve, first: 0xfea0_0000, last: 0xfeaf_ffff, track: "uncached-minus",
        req: "uncached-minus", ret: "uncached-minus", time: event.time, seq: event.seq, text: line),
      "round trip")
    XCTAssertGreaterThan(try XCTUnwrap(event.seq), mark)
    XCTAssertGreaterThan(try XCTUnwrap(event.time), 0)
    XCTAssertEqual(try KernelLog.records(since: mark).map(\.seq), [try XCTUnwrap(event.seq)])
    XCTAssertEqual(try KernelLog.mark(), event.seq, "the new mark is the written record")
    XCTAssertEqual(try KernelLog.events(since: try KernelLog.mark()), [])
    XCTAssertLessThan(markSeconds, 1, "mark() reads the whole ring buffer quickly")
    print("KernelLog.mark() took \(Int(markSeconds * 1_000_000)) µs (seq \(mark))")
  }

  private func temporaryFolder() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "barlua-pat-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
  }
}
