import Foundation
import XCTest

@testable import BarluaCore

/// Real logs: the seed note's 4.18 lines, the test bed's 6.1 lines, and this build VM's own
/// output of every dmesg time format and of /dev/kmsg.
final class PATFixtureTests: XCTestCase {
  typealias Step = (kind: PATEvent.Kind, first: UInt64, last: UInt64)

  static let bar0: (UInt64, UInt64) = (0x387f_ffe0_0000, 0x387f_ffef_ffff)
  static let bar2: (UInt64, UInt64) = (0x387f_fff0_0000, 0x387f_fff1_ffff)
  static let bar4: (UInt64, UInt64) = (0x387f_fff2_0000, 0x387f_fff2_ffff)
  static let edu: (UInt64, UInt64) = (0xfea0_0000, 0xfeaf_ffff)

  func assertSteps(
    _ events: [PATEvent], _ steps: [(PATEvent.Kind, (UInt64, UInt64))],
    file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertEqual(events.count, steps.count, "event count", file: file, line: line)
    for (index, (event, step)) in zip(events, steps).enumerated() {
      XCTAssertEqual(event.kind, step.0, "kind of event \(index)", file: file, line: line)
      XCTAssertEqual(event.first, step.1.0, "first of event \(index)", file: file, line: line)
      XCTAssertEqual(event.last, step.1.1, "last of event \(index)", file: file, line: line)
      if event.kind == .reserve {
        XCTAssertEqual(
          [event.track, event.req, event.ret], Array(repeating: "uncached-minus", count: 3),
          "types of event \(index)", file: file, line: line)
      } else {
        XCTAssertEqual(
          [event.track, event.req, event.ret], [nil, nil, nil], "types of event \(index)",
          file: file, line: line)
      }
    }
  }

  func testSeedNoteLines418() throws {
    let events = PATParser.parse(text: try PATFixtures.text("seed-4.18.txt"))
    let (b0, b2, b4) = (Self.bar0, Self.bar2, Self.bar4)
    assertSteps(
      events,
      [
        (.reserve, b0), (.overlap, b0), (.reserve, b0), (.free, b0),
        (.reserve, b2), (.overlap, b2), (.reserve, b2), (.free, b2),
        (.reserve, b4), (.overlap, b4), (.reserve, b4), (.free, b4),
        (.free, b0), (.free, b2), (.free, b4),
        // stepping in the debugger: mmap, first touch, munmap
        (.reserve, b0), (.overlap, b0), (.reserve, b0), (.free, b0),
      ])
    XCTAssertEqual(events.first?.time, 4121.624625)
    XCTAssertEqual(events.last?.time, 7970.377628)
    XCTAssertEqual(events.map(\.seq), Array(repeating: nil, count: events.count))
    XCTAssertEqual(
      events[1].text, "x86/PAT: Overlap at 0x387fffe00000-0x387ffff00000", "text is verbatim")
  }

  func testTestBedLines61() throws {
    let events = PATParser.parse(text: try PATFixtures.text("vm-6.1.txt"))
    let edu = Self.edu
    assertSteps(
      events, [(.reserve, edu), (.overlap, edu), (.reserve, edu), (.free, edu), (.free, edu)])
  }

  /// Each line: kind, first, last (hex), then track, req, ret (WB, WC, UC-) for reserves, or
  /// expected, got and the process for map_pfn_mismatch.
  static let qemuSequence = """
    config
    reserve 0ffe2000 0ffe2fff WB WB WB
    overlap 0ffe2000 0ffe2fff
    reserve 0ffe0000 0ffe2fff WB WB WB
    reserve fed00000 fed00fff UC- UC- UC-
    reserve b0000000 bfffffff UC- UC- UC-
    overlap fed00000 fed00fff
    reserve fed00000 fed00fff UC- WB UC-
    overlap fed00000 fed00fff
    reserve fed00000 fed00fff UC- UC- UC-
    free fed00000 fed00fff
    reserve fea00000 feafffff UC- UC- UC-
    free fea00000 feafffff
    reserve fe000000 fe3fffff WC WC WC
    free fe000000 fe3fffff
    reserve fe000000 fe3fffff UC- UC- UC-
    overlap fe000000 fe3fffff
    reserve fe000000 fe3fffff UC- WC UC-
    free fe000000 fe3fffff
    free fe000000 fe3fffff
    reserve fe000000 fe3fffff WC WC WC
    overlap fe000000 fe3fffff
    reserve fe000000 fe3fffff WC UC- WC
    free fe000000 fe3fffff
    free fe000000 fe3fffff
    reserve fea00000 feafffff UC- UC- UC-
    overlap fea00000 feafffff
    reserve fea00000 feafffff UC- UC- UC-
    free fea00000 feafffff
    free fea00000 feafffff
    reserve 00001000 00001fff UC- UC- UC-
    free 00001000 00001fff
    overlap 0ffe0000 0ffe2fff
    reserve 0ffe0000 0ffe0fff WB UC- WB
    free 0ffe0000 0ffe0fff
    map_pfn_mismatch 0ffe0000 0ffe0fff UC- WB mapper
    reserve fe000000 fe3fffff WC WC WC
    overlap fe000000 fe3fffff
    reserve fe000000 fe3fffff WC UC- WC
    free fe000000 fe3fffff
    free fe000000 fe3fffff
    overlap fed00000 fed00fff
    reserve fed00000 fed00fff UC- UC- UC-
    free fed00000 fed00fff
    """

  func assertQemuSequence(_ events: [PATEvent], _ context: String) {
    let names = ["WB": "write-back", "WC": "write-combining", "UC-": "uncached-minus"]
    let want = Self.qemuSequence.split(separator: "\n").map { $0.split(separator: " ") }
    XCTAssertEqual(events.count, want.count, context)
    for (index, (event, fields)) in zip(events, want).enumerated() {
      let types = fields.dropFirst(3).map { names[String($0)] }
      XCTAssertEqual(event.kind.rawValue, String(fields[0]), "\(context) event \(index)")
      XCTAssertEqual(
        event.first, fields.count > 1 ? UInt64(fields[1], radix: 16) : nil,
        "\(context) event \(index)")
      XCTAssertEqual(
        event.last, fields.count > 2 ? UInt64(fields[2], radix: 16) : nil,
        "\(context) event \(index)")
      if event.kind == .mapPfnMismatch {
        XCTAssertEqual([event.expected, event.got], Array(types.prefix(2)), "\(context) \(index)")
        XCTAssertEqual(event.process, fields.last.map(String.init), "\(context) \(index)")
        XCTAssertNotNil(event.pid, "\(context) \(index)")
        XCTAssertEqual(
          [event.track, event.req, event.ret], [nil, nil, nil], "\(context) \(index)")
      } else {
        XCTAssertEqual(
          [event.track, event.req, event.ret], types.isEmpty ? [nil, nil, nil] : types,
          "\(context) event \(index): \(event.text)")
        XCTAssertEqual([event.expected, event.got], [nil, nil], "\(context) \(index)")
      }
    }
  }

  /// Debian 6.1 and 6.12 under QEMU: boot, sysfs mappings of edu and ivshmem BARs, then
  /// /dev/mem mappings (one refused: UC- asked over a range the kernel holds write-back).
  func testQemuBootsOf61And612() throws {
    for kernel in ["6.1", "6.12"] {
      let dmesg = PATParser.parse(text: try PATFixtures.text("qemu-\(kernel)-dmesg.txt"))
      assertQemuSequence(dmesg, "\(kernel) dmesg")
      XCTAssertEqual(dmesg.compactMap(\.seq), [])
      let kmsg = PATParser.parse(text: try PATFixtures.text("qemu-\(kernel)-kmsg.txt"))
      assertQemuSequence(kmsg, "\(kernel) kmsg")
      let seqs = kmsg.compactMap(\.seq)
      XCTAssertEqual(seqs.count, kmsg.count)
      XCTAssertEqual(seqs, seqs.sorted())
      XCTAssertEqual(kmsg.map(\.time), dmesg.map(\.time), "the same records, the same times")
      XCTAssertEqual(kmsg.map(\.text), dmesg.map(\.text))
    }
    // 0x%Lx prints no padding: "Overlap at 0xffe2000-0xffe3000" has 7 hex digits.
    let early = PATParser.parse(text: try PATFixtures.text("qemu-6.12-dmesg.txt"))[2]
    XCTAssertEqual(early.text, "x86/PAT: Overlap at 0xffe2000-0xffe3000")
  }

  func testQemuMemtypeLists() throws {
    for kernel in ["6.1", "6.12"] {
      let mapped = try MemtypeList.parse(
        try PATFixtures.text("qemu-\(kernel)-memtype-list-wc.txt"))
      XCTAssertEqual(
        mapped,
        [
          .init(first: 0xffe_0000, last: 0xffe_2fff, type: "write-back"),
          .init(first: 0xffe_2000, last: 0xffe_2fff, type: "write-back"),
          .init(first: 0xb000_0000, last: 0xbfff_ffff, type: "uncached-minus"),
          .init(first: 0xfe00_0000, last: 0xfe3f_ffff, type: "write-combining"),
          .init(first: 0xfed0_0000, last: 0xfed0_0fff, type: "uncached-minus"),
          .init(first: 0xfed0_0000, last: 0xfed0_0fff, type: "uncached-minus"),
        ], kernel)
      // resource2 (UC-) first: resource2_wc then gets UC- too (req write-combining, ret UC-).
      let both = try MemtypeList.parse(
        try PATFixtures.text("qemu-\(kernel)-memtype-list-uc-wc.txt"))
      XCTAssertEqual(
        both.filter { $0.first == 0xfe00_0000 }.map(\.type),
        ["uncached-minus", "uncached-minus"], kernel)
    }
  }

  /// The same kmsg records as printed by each dmesg time format on this VM (kernel 6.18).
  func testEveryDmesgFormatOfThisVM() throws {
    let times: [String: [Double?]] = [
      "plain": [0.000576, 575.227156, 575.227308, 575.227336],
      "x": [0.000576, 575.227156, 575.227308, 575.227336],
      "r": [0.000576, 575.227156, 575.227308, 575.227336],
      "T": [nil, nil, nil, nil],
      "iso": [nil, nil, nil, nil],
      "reltime": [nil, nil, nil, nil],
    ]
    for (format, want) in times.sorted(by: { $0.key < $1.key }) {
      let text = try PATFixtures.text("dmesg-\(format)-6.18.txt")
      let events = PATParser.parse(text: text)
      XCTAssertEqual(events.map(\.kind), [.config, .reserve, .overlap, .free], format)
      XCTAssertEqual(events.map(\.time), want, format)
      XCTAssertEqual(
        events.first?.text, "x86/PAT: Configuration [0-7]: WB  WC  UC- UC  WB  WP  UC- WT  ",
        format)
      XCTAssertEqual(events.dropFirst().map(\.first), [0xfea0_0000, 0xfea0_0000, 0xfea0_0000])
      XCTAssertEqual(events.dropFirst().map(\.last), [0xfeaf_ffff, 0xfeaf_ffff, 0xfeaf_ffff])
    }
  }

  func testRawKmsgRecordsOfThisVM() throws {
    let events = PATParser.parse(text: try PATFixtures.text("kmsg-records-6.18.txt"))
    XCTAssertEqual(events.map(\.kind), [.config, .reserve, .overlap, .free])
    XCTAssertEqual(events.map(\.seq), [22, 345, 346, 348])
    XCTAssertEqual(events.map(\.time), [0.000576, 575.227156, 575.227308, 575.227336])
    assertEvent(
      events[3],
      PATEvent(
        kind: .free, first: 0xfea0_0000, last: 0xfeaf_ffff, time: 575.227336, seq: 348,
        text: "x86/PAT: memtype_free request [mem 0xfea00000-0xfeafffff]"),
      "seq 348")
  }

  /// 20,000 lines (1.5 MB): the same events fifty times over, nothing lost or merged.
  func testLargeLog() throws {
    let one = try PATFixtures.text("qemu-6.12-dmesg.txt")
    let started = Date()
    let events = PATParser.parse(text: String(repeating: one, count: 50))
    let seconds = Date().timeIntervalSince(started)
    let single = PATParser.parse(text: one)
    XCTAssertEqual(events.count, 50 * single.count)
    XCTAssertEqual(Array(events.suffix(single.count)), single)
    print("PATParser.parse: \(one.utf8.count * 50) bytes, \(events.count) events, \(seconds) s")
  }
}
