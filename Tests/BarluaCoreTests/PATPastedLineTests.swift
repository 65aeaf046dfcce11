import BarluaCore
import XCTest

/// Issue 15: lines as users paste them (Fixtures/pat/pasted-lines.txt: real lines from public
/// bug reports and lines built from each era's format strings, each in its log's decoration),
/// and the property that a decoration never changes a recognised line's fields.
final class PATPastedLineTests: XCTestCase {
  struct Want {
    let kind: PATEvent.Kind
    let first: UInt64?
    let last: UInt64?
    var process: String? = nil
    var time: Double? = nil
    var wallclock: String? = nil
  }

  func testPastedLines() throws {
    let events = PATParser.parse(text: try PATFixtures.text("pasted-lines.txt"))
    let wants: [Want] = [
      // real lines
      Want(kind: .conflict, first: 0xca00_0000, last: 0xca7f_ffff, process: "pcimem", time: 158333.439198),
      Want(kind: .mapPfnMismatch, first: 0x4_8148_8000, last: 0x4_8148_8fff, process: "app", time: 56.452386),
      Want(kind: .conflict, first: 0x387f_e000_0000, last: 0x387f_efff_ffff, process: "gdsio", time: 1118.634945),
      Want(kind: .reserveFailed, first: 0x387f_e000_0000, last: 0x387f_efff_ffff, time: 1118.634950),
      Want(
        kind: .mapPfnMismatch, first: 0x1_e7a8_0000, last: 0x1_e7a8_7fff, process: "NDK MediaCodec_", time: 45.846872),
      // 2.6.28-2.6.32, syslog
      Want(kind: .reserve, first: 0xd000_0000, last: 0xd03f_ffff, wallclock: "Jan  5 10:11:12"),
      Want(kind: .overlap, first: 0xd000_0000, last: 0xd03f_ffff, wallclock: "Jan  5 10:11:12"),
      Want(kind: .conflict, first: 0xd000_0000, last: 0xd03f_ffff, process: "Xorg", wallclock: "Jan  5 10:11:13"),
      Want(kind: .reserveFailed, first: 0xd000_0000, last: 0xd03f_ffff, wallclock: "Jan  5 10:11:13"),
      Want(kind: .free, first: 0xd000_0000, last: 0xd03f_ffff, wallclock: "Jan  5 10:11:14"),
      Want(kind: .freeInvalid, first: 0xd000_0000, last: 0xd03f_ffff, process: "Xorg", wallclock: "Jan  5 10:11:14"),
      // 3.10, syslog with the dmesg time: both times kept
      Want(kind: .reserve, first: 0xfea0_0000, last: 0xfeaf_ffff, time: 306.547838, wallclock: "Feb 10 09:00:01"),
      Want(kind: .free, first: 0xfea0_0000, last: 0xfeaf_ffff, time: 306.547901, wallclock: "Feb 10 09:00:01"),
      Want(
        kind: .mapPfnMismatch, first: 0xfea0_0000, last: 0xfeaf_ffff, process: "X", time: 306.6,
        wallclock: "Feb 10 09:00:02"),
      // 4.19, journalctl short-precise
      Want(kind: .reserve, first: 0xfea0_0000, last: 0xfeaf_ffff, wallclock: "Mar 01 12:00:00.123456"),
      Want(kind: .overlap, first: 0xfea0_0000, last: 0xfeaf_ffff, wallclock: "Mar 01 12:00:00.223456"),
      // 6.x: short-monotonic, `<6> `, caller id, runs of spaces
      Want(kind: .reserve, first: 0xfea0_0000, last: 0xfeaf_ffff, time: 4121.624625),
      Want(kind: .free, first: 0xfea0_0000, last: 0xfeaf_ffff, time: 163.684947),
      Want(kind: .config, first: nil, last: nil, time: 0.006958),
      Want(kind: .free, first: 0xfea0_0000, last: 0xfeaf_ffff, time: 306.547838),
    ]
    XCTAssertEqual(events.count, wants.count, events.map(\.text).joined(separator: "\n"))
    for (index, (event, want)) in zip(events, wants).enumerated() {
      let context = "event \(index): \(event.text)"
      XCTAssertEqual(event.kind, want.kind, context)
      XCTAssertEqual(event.first, want.first, context)
      XCTAssertEqual(event.last, want.last, context)
      XCTAssertEqual(event.process, want.process, context)
      XCTAssertEqual(event.time, want.time, context)
      XCTAssertEqual(event.wallclock, want.wallclock, context)
    }
    // The wrapped real line keeps the task name with its space and its types.
    XCTAssertEqual(events[4].req, "write-combining")
    XCTAssertEqual(events[4].got, "write-back")
  }

  /// Every line any fixture or format row yields, bare: each decoration around it gives the same
  /// fields, with the decoration's own time, seq and wall-clock text.
  func testDecorationsNeverChangeARecognisedLinesFields() throws {
    var messages = patFormatCases.map(\.message)
    for name in [
      "seed-4.18.txt", "vm-6.1.txt", "qemu-6.1-dmesg.txt", "qemu-6.12-dmesg.txt", "qemu-7.2-dmesg.txt",
      "pasted-lines.txt",
    ] {
      messages += PATParser.parse(text: try PATFixtures.text(name)).map(\.text)
    }
    XCTAssertGreaterThan(messages.count, 150)
    var checked = 0
    for message in messages {
      guard let bare = PATParser.parseLine(message, time: nil, seq: nil) else {
        XCTFail("not recognised bare: \(message)")
        continue
      }
      for decoration in PATParserTests.decorations {
        let line = decoration.line(message)
        let events = PATParser.parse(text: line + "\n")
        XCTAssertEqual(events.count, 1, "\(decoration.name): \(line)")
        var want = bare
        want.time = decoration.time
        want.seq = decoration.seq
        want.wallclock = decoration.wallclock
        XCTAssertEqual(events.first, want, "\(decoration.name): \(line)")
        checked += 1
      }
    }
    XCTAssertEqual(checked, messages.count * PATParserTests.decorations.count)
  }

  /// A run of spaces (or a tab) where a format has one space gives the same fields.
  func testRunsOfSpacesCountAsOne() {
    for format in patFormatCases {
      for wide in [
        format.message.replacingOccurrences(of: " ", with: "  "),
        format.message.replacingOccurrences(of: ", ", with: ",\t "),
      ] where wide != format.message {
        guard let event = PATParser.parseLine(wide, time: nil, seq: nil) else {
          XCTFail("row \(format.row): no event for \(wide)")
          continue
        }
        var want = format.want
        want.text = wide
        XCTAssertEqual(event.kind, want.kind, "row \(format.row): \(wide)")
        XCTAssertEqual(event.first, want.first, "row \(format.row): \(wide)")
        XCTAssertEqual(event.last, want.last, "row \(format.row): \(wide)")
        XCTAssertEqual(
          [event.track, event.req, event.ret, event.expected, event.got],
          [want.track, want.req, want.ret, want.expected, want.got], "row \(format.row): \(wide)")
      }
    }
  }

  /// `PATA` lines, `PAT` in free text and noise never become events, in any decoration.
  func testPATAFreeTextAndNoiseAreNeverEvents() {
    let lines = [
      "ata1: PATA max UDMA/100 cmd 0x1f0 ctl 0x3f6 bmdma 0xc000 irq 14",
      "scsi host0: pata_amd", "PATA: cable detected 80c", "Booting with debugpat: PAT lines follow",
      "PAT configuration is described in Documentation/x86/pat.rst", "Overlap at 5-6",
      "X:1 conflicting memory types 1000-2000 red<->blue", "free_memtype request 12-34",
      "reserve_memtype added 0x1-0x2, track red, req green, ret blue", "kernel: x86/PAT is on",
      "", "   ", "[ 1.0]", "<6>", "kernel:", "Nov 26 08:38:52 host kernel: ",
    ]
    for line in lines {
      for decoration in PATParserTests.decorations where !decoration.name.hasPrefix("kmsg") {
        XCTAssertEqual(PATParser.parse(text: decoration.line(line)), [], "\(decoration.name): \(line)")
      }
    }
  }
}
