import BarluaCore
import XCTest

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

  func testTestBedSequence612() throws {
    let events = PATParser.parse(text: try PATFixtures.text("vm-6.12.txt"))
    assertSteps(events, [(.reserve, Self.edu), (.free, Self.edu)])
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
}
