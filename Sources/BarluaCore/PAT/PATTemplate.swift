/// A kernel `printk` format turned into a matcher: literal text with named holes.
///
/// Written as `"memtype_free request [mem {first}-{last}]"`. Holes:
/// - `{first}` `{last}`: a hex number, with or without `0x`, at most 64 bits.
/// - `{track}` `{req}` `{ret}` `{expected}` `{got}`: a memory type token (letters, digits, `-`).
/// - `{comm}`: a task name (any text, found by backtracking), `{pid}`: decimal digits.
/// - `{rest}`: anything up to the end of the message (config cells).
/// Everything else must match byte for byte, and the whole message must be consumed.
struct PATTemplate: Sendable {
  enum Hole: String, CaseIterable, Sendable {
    case first, last, track, req, ret, expected, got, comm, pid, rest

    var slot: Int {
      switch self {
      case .first: 0
      case .last: 1
      case .track: 2
      case .req: 3
      case .ret: 4
      case .expected: 5
      case .got: 6
      case .comm: 7
      case .pid: 8
      case .rest: 9
      }
    }
  }

  enum Piece: Sendable {
    case literal([UInt8])
    case hole(Hole)
  }

  let pieces: [Piece]

  /// True for the `reserve_ram_pages_type failed ...` formats.
  var startsWithRAMPages: Bool {
    if case .literal(let head) = pieces.first { return head.starts(with: Array("reserve_ram_pages_type".utf8)) }
    return false
  }

  init(_ format: String) {
    var pieces: [Piece] = []
    var literal: [UInt8] = []
    var rest = Substring(format)
    while let open = rest.firstIndex(of: "{") {
      guard let close = rest[open...].firstIndex(of: "}"),
        let hole = Hole(rawValue: String(rest[rest.index(after: open)..<close]))
      else {
        literal += Array(rest[...open].utf8)
        rest = rest[rest.index(after: open)...]
        continue
      }
      literal += Array(rest[..<open].utf8)
      if !literal.isEmpty { pieces.append(.literal(literal)) }
      literal = []
      pieces.append(.hole(hole))
      rest = rest[rest.index(after: close)...]
    }
    literal += Array(rest.utf8)
    if !literal.isEmpty { pieces.append(.literal(literal)) }
    self.pieces = pieces
  }

  /// What each hole matched in one message.
  struct Captures {
    fileprivate let bytes: [UInt8]
    fileprivate var ranges: [Range<Int>?]

    subscript(hole: Hole) -> Substring? {
      ranges[hole.slot].map { Substring(decoding: bytes[$0], as: UTF8.self) }
    }
  }

  /// The text each hole matched, or nil when the message does not have this format.
  func match(_ message: [UInt8]) -> Captures? {
    if case .literal(let head) = pieces.first, !message.starts(with: head) { return nil }
    var captures = [Range<Int>?](repeating: nil, count: Hole.allCases.count)
    guard matchPiece(0, at: 0, in: message, captures: &captures) else { return nil }
    return Captures(bytes: message, ranges: captures)
  }

  private func matchPiece(
    _ index: Int, at position: Int, in bytes: [UInt8], captures: inout [Range<Int>?]
  ) -> Bool {
    guard index < pieces.count else { return position == bytes.count }
    switch pieces[index] {
    case .literal(let literal):
      guard bytes.count - position >= literal.count,
        bytes[position..<(position + literal.count)].elementsEqual(literal)
      else { return false }
      return matchPiece(index + 1, at: position + literal.count, in: bytes, captures: &captures)
    case .hole(.comm):
      // A task name may hold spaces and colons ("kworker/0:1"): try every length that the
      // next literal could follow.
      var nextByte: UInt8?
      if index + 1 < pieces.count, case .literal(let next) = pieces[index + 1] {
        nextByte = next.first
      }
      for end in position...bytes.count {
        if let nextByte, end < bytes.count, bytes[end] != nextByte { continue }
        captures[Hole.comm.slot] = position..<end
        if matchPiece(index + 1, at: end, in: bytes, captures: &captures) { return true }
      }
      captures[Hole.comm.slot] = nil
      return false
    case .hole(.rest):
      captures[Hole.rest.slot] = position..<bytes.count
      return matchPiece(index + 1, at: bytes.count, in: bytes, captures: &captures)
    case .hole(let hole):
      guard let end = Self.tokenEnd(of: hole, in: bytes, from: position) else { return false }
      captures[hole.slot] = position..<end
      return matchPiece(index + 1, at: end, in: bytes, captures: &captures)
    }
  }

  /// Where the longest token of the hole's kind starting at `start` ends; nil when empty.
  private static func tokenEnd(of hole: Hole, in bytes: [UInt8], from start: Int) -> Int? {
    var end = start
    switch hole {
    case .first, .last:
      if bytes.count - start >= 2, bytes[start] == UInt8(ascii: "0"),
        bytes[start + 1] | 0x20 == UInt8(ascii: "x")
      {
        end += 2
      }
      let digits = end
      while end < bytes.count, ASCII.hexValue(bytes[end]) != nil { end += 1 }
      return end > digits ? end : nil
    case .pid:
      while end < bytes.count, ASCII.isDigit(bytes[end]) { end += 1 }
    default:
      while end < bytes.count, ASCII.isWord(bytes[end]) || bytes[end] == UInt8(ascii: "-") {
        end += 1
      }
    }
    return end > start ? end : nil
  }
}
