import BarluaCore
import XCTest

/// Random and mutated input, with a fixed seed: the parser must never trap, every line with the
/// `x86/PAT:` prefix must give an event (`other` with its text when it matches no format), and a
/// line without the prefix is an event only in a known format's shape (issue 15: `PAT` in free
/// text is not an event).
final class PATFuzzTests: XCTestCase {
  /// The word `PAT`, not inside a longer word (`PATA`): written apart from the parser's check.
  static func hasPATWord(_ text: String) -> Bool {
    let scalars = Array(text.unicodeScalars)
    func isWord(_ index: Int) -> Bool {
      guard index >= 0, index < scalars.count else { return false }
      let scalar = scalars[index]
      return scalar.isASCII
        && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_")
    }
    guard scalars.count >= 3 else { return false }
    for index in 0...(scalars.count - 3)
    where scalars[index] == "P" && scalars[index + 1] == "A" && scalars[index + 2] == "T" {
      if !isWord(index - 1) && !isWord(index + 3) { return true }
    }
    return false
  }

  static let rangeKinds: Set<PATEvent.Kind> = [
    .reserve, .overlap, .free, .conflict, .mapPfnMismatch, .freeInvalid, .reserveFailed,
  ]

  /// Checks what must hold for any input line; returns the event.
  @discardableResult
  func check(_ line: String, file: StaticString = #filePath, lineNumber: UInt = #line) -> PATEvent? {
    let event = PATParser.parseLine(line, time: nil, seq: nil)
    var bytes = Array(line.utf8)
    while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") {
      bytes.removeLast()
    }
    let text = String(decoding: bytes, as: UTF8.self)
    let body = text.drop { $0 == " " || $0 == "\t" }
    if body.hasPrefix("x86/PAT:") {
      XCTAssertNotNil(event, "no event for \(line.debugDescription)", file: file, line: lineNumber)
    } else if let event, event.kind == .other {
      // Without the prefix only the old kernels' own `other` messages count (their words).
      let words = ["PAT support disabled.", "PAT not supported by CPU.", "secondary CPU", "ioremap", "/dev/mem"]
      XCTAssertTrue(
        words.contains { body.contains($0) }, "free text became an event: \(line.debugDescription)",
        file: file, line: lineNumber)
    }
    guard let event else { return nil }
    XCTAssertEqual(
      event.text, text, "text of \(line.debugDescription)", file: file, line: lineNumber)
    if Self.rangeKinds.contains(event.kind) {
      XCTAssertNotNil(
        event.first, "first of \(line.debugDescription)", file: file, line: lineNumber)
      XCTAssertNotNil(event.last, "last of \(line.debugDescription)", file: file, line: lineNumber)
    }
    return event
  }

  func testRandomBytes() {
    var rng = SplitMix64(seed: 0xBA12_1CA5)
    let alphabet = Array("0123456789abcdefxX[]-:,.<> \t\\PATx86/memtype_reservedtrackq".utf8)
    var withPAT = 0
    for iteration in 0..<20_000 {
      let length = Int.random(in: 0...120, using: &rng)
      let bytes: [UInt8] = (0..<length).map { _ in
        iteration % 2 == 0
          ? UInt8.random(in: 0...255, using: &rng) : alphabet.randomElement(using: &rng) ?? 0
      }
      var line = String(decoding: bytes, as: UTF8.self)
      if iteration % 3 == 0 { line = "x86/PAT: " + line }
      if check(line) != nil { withPAT += 1 }
    }
    XCTAssertGreaterThan(withPAT, 6_000, "the prefixed third of the lines all give events")
  }

  func testMutatedValidLines() {
    var rng = SplitMix64(seed: 0x0DD_F00D)
    let seeds = patFormatCases.map(\.message)
    var counts: [PATEvent.Kind: Int] = [:]
    for _ in 0..<30_000 {
      guard var chars = seeds.randomElement(using: &rng).map(Array.init) else { continue }
      for _ in 0..<Int.random(in: 1...3, using: &rng) {
        mutate(&chars, using: &rng)
      }
      let line = String(chars)
      if let event = check(line) { counts[event.kind, default: 0] += 1 }
      if line.hasPrefix("x86/PAT: ") {
        XCTAssertNotNil(PATParser.parseLine(line, time: nil, seq: nil), line)
      }
    }
    // Mutations leave many lines valid and make many unknown: both paths are exercised.
    XCTAssertGreaterThan(counts[.other, default: 0], 1_000)
    XCTAssertGreaterThan(counts[.reserve, default: 0], 200)
  }

  func testRandomTextsThroughTheSavedLogReader() {
    var rng = SplitMix64(seed: 42)
    let pieces = [
      "[ 4121.624625] ", "6,1234,4121624625,-;", "Nov 26 08:38:52 host kernel: ", "x86/PAT: ",
      "memtype_reserve added ", "[mem 0x1000-0x1fff]", ", track ", "uncached-minus", "\n", " ",
      " SUBSYSTEM=pci\n", "\\x0a", "[Thu Nov 26 08:38:52 2026] ", "<6>", "kern  :info  : ",
      "Overlap at 0x", "ffffffffffffffffffff", "-", ":", "\r\n", "é", "\u{0}",
    ]
    for _ in 0..<5_000 {
      let text = (0..<Int.random(in: 0...30, using: &rng)).map { _ in
        pieces.randomElement(using: &rng) ?? ""
      }.joined()
      let events = PATParser.parse(text: text)
      XCTAssertLessThanOrEqual(events.count, text.count + 1)
    }
  }

  func testHugeNumbersAreOtherNotTraps() {
    let lines = [
      "x86/PAT: memtype_reserve added [mem 0x" + String(repeating: "f", count: 40)
        + "-0xfeafffff], track uncached-minus, req uncached-minus, ret uncached-minus",
      "x86/PAT: Overlap at 0x10000000000000000-0x0",
      "x86/PAT: a:" + String(repeating: "9", count: 30) + " conflicting memory types 0-1 a<->b",
    ]
    for line in lines {
      XCTAssertEqual(check(line)?.kind, .other, line)
      XCTAssertNil(check(line)?.first, line)
    }
    let widest = check(
      "x86/PAT: Overlap at 0x00000000000000000000ffffffffffffffff-0x0000000000000000000000000")
    XCTAssertEqual(widest?.first, .max, "leading zeros do not overflow")
  }

  private func mutate(_ chars: inout [Character], using rng: inout SplitMix64) {
    guard !chars.isEmpty else { return }
    let at = Int.random(in: 0..<chars.count, using: &rng)
    switch Int.random(in: 0..<6, using: &rng) {
    case 0:  // truncate
      chars.removeSubrange(at...)
    case 1:  // flip one character
      chars[at] = Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7e, using: &rng)))
    case 2:  // make a hex run huge
      let hex = (0..<Int.random(in: 17...40, using: &rng)).map { _ in
        "0123456789abcdef".randomElement(using: &rng) ?? "f"
      }
      chars.insert(contentsOf: hex, at: at)
    case 3:  // drop a field (up to the next space)
      let end = chars[at...].firstIndex(of: " ") ?? chars.count
      chars.removeSubrange(at..<end)
    case 4:  // junk
      chars.insert(contentsOf: ["\u{0}", "\u{FFFD}", "é", "\t"].shuffled(using: &rng), at: at)
    default:  // repeat a piece
      let end = min(chars.count, at + Int.random(in: 1...20, using: &rng))
      chars.insert(contentsOf: chars[at..<end], at: at)
    }
  }
}
