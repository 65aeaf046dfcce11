import BarluaCore
import Foundation
import XCTest

/// Shared helpers of the PAT tests: fixture files and field-by-field event comparison.
enum PATFixtures {
  static func url(_ name: String) throws -> URL {
    let folder = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return folder.appendingPathComponent("pat").appendingPathComponent(name)
  }

  static func text(_ name: String) throws -> String {
    try String(contentsOf: url(name), encoding: .utf8)
  }

  static func path(_ name: String) throws -> String {
    try url(name).path
  }
}

/// Asserts every field of `event` equals `want`, naming the field that differs.
func assertEvent(
  _ event: PATEvent?, _ want: PATEvent, _ context: String, file: StaticString = #filePath,
  line: UInt = #line
) {
  guard let event else {
    XCTFail("no event for \(context)", file: file, line: line)
    return
  }
  func check<T: Equatable>(_ name: String, _ got: T, _ expected: T) {
    XCTAssertEqual(got, expected, "\(name) of \(context)", file: file, line: line)
  }
  check("kind", event.kind, want.kind)
  check("first", event.first, want.first)
  check("last", event.last, want.last)
  check("track", event.track, want.track)
  check("req", event.req, want.req)
  check("ret", event.ret, want.ret)
  check("expected", event.expected, want.expected)
  check("got", event.got, want.got)
  check("process", event.process, want.process)
  check("pid", event.pid, want.pid)
  check("time", event.time, want.time)
  check("seq", event.seq, want.seq)
  check("wallclock", event.wallclock, want.wallclock)
  check("text", event.text, want.text)
}

/// A deterministic random source (SplitMix64) so fuzz runs repeat exactly.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
