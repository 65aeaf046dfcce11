import XCTest

@testable import BarluaCore

/// Every format row of pat-formats.md, each wording, bare and in every saved-log shape.
final class PATParserTests: XCTestCase {
  /// A saved-log shape: the line a tool writes for a message, and the time/seq/wall-clock text
  /// it carries.
  struct Decoration: Sendable {
    let name: String
    let line: @Sendable (String) -> String
    let time: Double?
    let seq: UInt64?
    var wallclock: String? = nil
  }

  static let decorations: [Decoration] = [
    Decoration(name: "bare", line: { $0 }, time: nil, seq: nil),
    Decoration(name: "dmesg", line: { "[ 4121.624625] " + $0 }, time: 4121.624625, seq: nil),
    Decoration(name: "dmesg early", line: { "[    0.000576] " + $0 }, time: 0.000576, seq: nil),
    Decoration(
      name: "dmesg -T", line: { "[Thu Nov 26 08:38:52 2026] " + $0 }, time: nil, seq: nil,
      wallclock: "Thu Nov 26 08:38:52 2026"),
    Decoration(
      name: "dmesg -x", line: { "kern  :info  : [ 4121.624625] " + $0 }, time: 4121.624625,
      seq: nil),
    Decoration(
      name: "dmesg -x -T", line: { "kern  :info  : [Thu Nov 26 08:38:52 2026] " + $0 }, time: nil,
      seq: nil, wallclock: "Thu Nov 26 08:38:52 2026"),
    Decoration(name: "dmesg -r", line: { "<6>[ 4121.624625] " + $0 }, time: 4121.624625, seq: nil),
    Decoration(
      name: "dmesg iso", line: { "2026-11-26T08:38:52,123456+00:00 " + $0 }, time: nil, seq: nil,
      wallclock: "2026-11-26T08:38:52,123456+00:00"),
    Decoration(name: "dmesg reltime", line: { "[  +0.000152] " + $0 }, time: nil, seq: nil),
    Decoration(
      name: "dmesg reltime minute", line: { "[Nov26 08:47] " + $0 }, time: nil, seq: nil,
      wallclock: "Nov26 08:47"),
    Decoration(
      name: "console level and a space (test-suite logs)", line: { "<4> [163.684947] " + $0 },
      time: 163.684947, seq: nil),
    Decoration(
      name: "printk caller id (task)", line: { "[    0.006958][    T0] " + $0 }, time: 0.006958,
      seq: nil),
    Decoration(
      name: "printk caller id (CPU), spaced", line: { "[   12.500000] [  C1] " + $0 }, time: 12.5,
      seq: nil),
    Decoration(
      name: "journalctl -k", line: { "Nov 26 08:38:52 host kernel: " + $0 }, time: nil, seq: nil,
      wallclock: "Nov 26 08:38:52"),
    Decoration(
      name: "journalctl -k, one-digit day", line: { "Nov  6 08:38:52 z4-g4 kernel: " + $0 },
      time: nil, seq: nil, wallclock: "Nov  6 08:38:52"),
    Decoration(
      name: "journalctl -o short-precise",
      line: { "Nov 26 08:38:52.123456 host kernel: " + $0 }, time: nil, seq: nil,
      wallclock: "Nov 26 08:38:52.123456"),
    Decoration(
      name: "journalctl -o short-iso", line: { "2026-11-26T08:38:52+0000 host kernel: " + $0 },
      time: nil, seq: nil, wallclock: "2026-11-26T08:38:52+0000"),
    Decoration(
      name: "journalctl -o short-full",
      line: { "Thu 2026-11-26 08:38:52 UTC host kernel: " + $0 }, time: nil, seq: nil,
      wallclock: "Thu 2026-11-26 08:38:52 UTC"),
    Decoration(
      name: "journalctl -o short-monotonic", line: { "[ 4121.624625] host kernel: " + $0 },
      time: 4121.624625, seq: nil),
    Decoration(
      name: "syslog file with dmesg time",
      line: { "Nov 26 08:38:52 host kernel: [ 4121.624625] " + $0 }, time: 4121.624625, seq: nil,
      wallclock: "Nov 26 08:38:52"),
    Decoration(
      name: "syslog file with dmesg time and caller id",
      line: { "Mar  3 10:01:02 build-7 kernel: [    8.207157][  T123] " + $0 }, time: 8.207157,
      seq: nil, wallclock: "Mar  3 10:01:02"),
    Decoration(
      name: "bare kernel: tag before the time (log excerpts)", line: { "kernel: [  306.547838] " + $0 },
      time: 306.547838, seq: nil),
    Decoration(
      name: "kmsg record", line: { "6,1234,4121624625,-;" + kmsgEscape($0) }, time: 4121.624625,
      seq: 1234),
    Decoration(
      name: "kmsg record, more header fields, dictionary",
      line: { "4,18446744073709551615,1000000,c,extra;" + kmsgEscape($0) + "\n SUBSYSTEM=pci" },
      time: 1, seq: .max),
  ]

  /// Escapes like the kernel does for /dev/kmsg: control bytes, bytes ≥ 0x7f and `\`.
  static func kmsgEscape(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
      if byte < 0x20 || byte >= 0x7f || byte == UInt8(ascii: "\\") {
        out += "\\x" + String(byte, radix: 16).leftPadded(to: 2)
      } else {
        out.unicodeScalars.append(Unicode.Scalar(byte))
      }
    }
    return out
  }

  /// The message with the 4.2+ `x86/PAT: ` prefix added, or taken away.
  static func prefixToggled(_ message: String) -> String {
    let prefix = "x86/PAT: "
    return message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : prefix + message
  }

  func testEveryFormatRowBareMessage() {
    for format in patFormatCases {
      var want = format.want
      want.text = format.message
      want.time = 1.5
      want.seq = 7
      assertEvent(
        PATParser.parseLine(format.message, time: 1.5, seq: 7), want, "row \(format.row)")
    }
  }

  /// Whether `message` is a PAT event: 4.2+ lines carry the prefix; without it (≤ 4.1) only
  /// the shapes old kernels printed count, so a 4.2+ `other` message stripped of its prefix
  /// ("PAT support disabled via boot option.") is free text.
  static func isEvent(_ message: String, kind: PATEvent.Kind) -> Bool {
    if message.hasPrefix("x86/PAT: ") || kind != .other { return true }
    let oldOther = ["PAT support disabled.", "PAT not supported by CPU.", "secondary CPU", "ioremap", "/dev/mem"]
    return oldOther.contains { message.contains($0) }
  }

  func testEveryFormatRowWithPrefixToggled() {
    for format in patFormatCases {
      let message = Self.prefixToggled(format.message)
      var want = format.want
      want.text = message
      let got = PATParser.parseLine(message, time: nil, seq: nil)
      if Self.isEvent(message, kind: format.want.kind) {
        assertEvent(got, want, "row \(format.row), toggled")
      } else {
        XCTAssertNil(got, "row \(format.row), toggled: free text without the prefix")
      }
    }
  }

  func testEveryFormatRowInEverySavedLogShape() {
    for format in patFormatCases {
      for message in [format.message, Self.prefixToggled(format.message)] {
        for decoration in Self.decorations {
          let events = PATParser.parse(text: decoration.line(message) + "\n")
          let context = "row \(format.row), \(decoration.name): \(decoration.line(message))"
          guard Self.isEvent(message, kind: format.want.kind) else {
            XCTAssertEqual(events.count, 0, context)
            continue
          }
          XCTAssertEqual(events.count, 1, context)
          var want = format.want
          want.text = message
          want.time = decoration.time
          want.seq = decoration.seq
          want.wallclock = decoration.wallclock
          assertEvent(events.first, want, context)
        }
      }
    }
  }

  func testBothWordingsGiveTheSameFields() {
    let pairs = [
      ("memtype_reserve added", "reserve_memtype added"),
      ("memtype_free request", "free_memtype request"),
      ("memtype_reserve failed", "reserve_memtype failed"),
    ]
    for format in patFormatCases {
      for (new, old) in pairs where format.message.contains(new) || format.message.contains(old) {
        let other =
          format.message.contains(new)
          ? format.message.replacingOccurrences(of: new, with: old)
          : format.message.replacingOccurrences(of: old, with: new)
        var want = format.want
        want.text = other
        assertEvent(PATParser.parseLine(other, time: nil, seq: nil), want, "\(format.row) reworded")
      }
    }
  }

  func testLinesThatAreNotPATGiveNothing() {
    let lines = [
      "ata1: PATA max UDMA/100 cmd 0x1f0 ctl 0x3f6 bmdma 0xc000 irq 14",
      "scsi 0:0:0:0: CD-ROM QEMU DVD-ROM PATAPI",
      "pci_bus 0000:00: root bus resource [mem 0xeec00000-0xeecfffff]",
      "ioremap error for 0xfea00000-0xfeb00000, requested 0x2, got 0x0",
      "EXT4-fs (vda): mounted filesystem r/w without journal. Quota mode: none.",
      "",
      "   ",
    ]
    for line in lines {
      XCTAssertNil(PATParser.parseLine(line, time: nil, seq: nil), line)
    }
    XCTAssertEqual(PATParser.parse(text: lines.joined(separator: "\n")), [])
    // "PAT" in free text is not an event (issue 15), even as a word of its own.
    for prose in [
      "Booting with debugpat makes x86/PAT messages appear",
      "PAT: see Documentation/x86/pat.rst",
      "Overlap at 5-6 meters",
      "X:1 conflicting memory types 1000-2000 red<->blue",
      "kernel: PAT support is fine",
    ] {
      XCTAssertNil(PATParser.parseLine(prose, time: nil, seq: nil), prose)
    }
  }

  func testUnknownPATMessagesAreOtherWithTheirText() {
    let lines = [
      "x86/PAT: memtype_reserve added [mem 0xfea00000-0xfeafffff], track uncached-minus",
      "x86/PAT: memtype_reserve added [mem 0x1fea00000000000000-0xfeafffff], track uncached-minus,"
        + " req uncached-minus, ret uncached-minus",
      "x86/PAT: Overlap at 0xfea00000-",
      "x86/PAT: cat:99999999999999999999999 freeing invalid memtype [mem 0xfea00000-0xfeafffff]",
      "x86/PAT: a future message [mem 0x1000-0x1fff]",
    ]
    for line in lines {
      let event = PATParser.parseLine(line, time: 2, seq: nil)
      assertEvent(event, PATEvent(kind: .other, time: 2, text: line), line)
    }
    // Without a PAT word a malformed old-style line is not PAT at all.
    XCTAssertNil(PATParser.parseLine("Overlap at 0x1fea00000000000000-0x1", time: nil, seq: nil))
  }

  func testTextKeepsTheMessageButNotTheLineEnd() {
    let message = "x86/PAT: Configuration [0-7]: WB  WC  UC- UC  WB  WP  UC- WT  "
    XCTAssertEqual(PATParser.parseLine(message + "\r\n", time: nil, seq: nil)?.text, message)
    XCTAssertEqual(PATParser.parse(text: "[    0.000576] " + message + "\r\n").first?.text, message)
  }

  func testLinesFromManyShapesInOneText() {
    let text = """
      [ 4121.624625] x86/PAT: memtype_reserve added [mem 0x387fffe00000-0x387fffefffff], \
      track uncached-minus, req uncached-minus, ret uncached-minus
      [ 4121.624650] vfio-pci 0000:15:00.0: enabling device (0000 -> 0002)
      6,5000,4121624698,-;x86/PAT: Overlap at 0x387fffe00000-0x387ffff00000
       SUBSYSTEM=pci
       DEVICE=+pci:0000:15:00.0
      Nov 26 08:38:52 z4 kernel: x86/PAT: memtype_free request [mem 0x387fffe00000-0x387fffefffff]

      """
    let events = PATParser.parse(text: text)
    XCTAssertEqual(events.map(\.kind), [.reserve, .overlap, .free])
    XCTAssertEqual(events.map(\.time), [4121.624625, 4121.624698, nil])
    XCTAssertEqual(events.map(\.seq), [nil, 5000, nil])
    XCTAssertEqual(events.map(\.last), [0x387f_ffef_ffff, 0x387f_ffef_ffff, 0x387f_ffef_ffff])
  }

  func testOverlapsUsesInclusiveBounds() throws {
    let event = try XCTUnwrap(
      PATParser.parseLine("x86/PAT: Overlap at 0x1000-0x2000", time: nil, seq: nil))
    XCTAssertTrue(event.overlaps(first: 0x1fff, last: 0x1fff))
    XCTAssertFalse(event.overlaps(first: 0x2000, last: 0x3000))
    XCTAssertTrue(event.overlaps(first: 0, last: 0x1000))
    XCTAssertFalse(PATEvent(kind: .config, text: "").overlaps(first: 0, last: .max))
  }

  func testKindRawValuesAreTheLuaNames() {
    XCTAssertEqual(
      PATEvent.Kind.allCases.map(\.rawValue),
      [
        "reserve", "overlap", "free", "conflict", "map_pfn_mismatch", "free_invalid",
        "reserve_failed", "config", "other",
      ])
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    String(repeating: "0", count: max(0, width - count)) + self
  }
}
