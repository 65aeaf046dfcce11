/// Turns x86 PAT kernel messages into `PATEvent`s. Never traps, whatever the input.
public enum PATParser {
  /// One kernel message (no timestamp decoration) to an event.
  ///
  /// Returns nil when the message is not a PAT message at all: it matches no known format and
  /// has no word `PAT` in it (`PATA` does not count). A message with `PAT` in it that matches no
  /// format becomes an event of kind `other` holding its text.
  public static func parseLine(_ message: String, time: Double?, seq: UInt64?) -> PATEvent? {
    parse(message: Substring(message), time: time, seq: seq)
  }

  /// Every PAT event in saved log text: plain `dmesg`, `dmesg -T` (time is nil), `journalctl -k`
  /// (all `short*` forms), raw `/dev/kmsg` records (with `seq`), or bare messages; oldest first.
  public static func parse(text: String) -> [PATEvent] {
    var events: [PATEvent] = []
    for line in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
      if KernelRecord.isDictionaryLine(line) { continue }
      let stripped = LogLineDecoration.strip(line)
      // A kmsg record may carry several lines (escaped newlines): each is a message.
      for message in stripped.message.split(whereSeparator: \.isNewline) {
        if let event = parse(message: message, time: stripped.time, seq: stripped.seq) {
          events.append(event)
        }
      }
    }
    return events
  }

  static func parse(message: Substring, time: Double?, seq: UInt64?) -> PATEvent? {
    let text = String(message.reversed().drop(while: \.isNewline).reversed())
    var bytes = Array(text.utf8)
    while let last = bytes.last, isSpace(last) { bytes.removeLast() }
    let leading = bytes.prefix { isSpace($0) }.count
    if leading > 0 { bytes.removeFirst(leading) }
    if bytes.starts(with: PATFormats.prefix) { bytes.removeFirst(PATFormats.prefix.count) }

    for format in PATFormats.all {
      guard let fields = format.template.match(bytes) else { continue }
      if let event = makeEvent(format, fields, text: text, time: time, seq: seq) {
        return event
      }
    }
    guard mentionsPAT(Array(text.utf8)) else { return nil }
    return PATEvent(kind: .other, time: time, seq: seq, text: text)
  }

  /// Builds the event; nil when a number does not fit (e.g. an address wider than 64 bits).
  private static func makeEvent(
    _ format: PATFormats.Format, _ fields: [PATTemplate.Hole: Substring], text: String,
    time: Double?, seq: UInt64?
  ) -> PATEvent? {
    var event = PATEvent(kind: format.kind, time: time, seq: seq, text: text)
    if let first = fields[.first] {
      guard let value = hexValue(first) else { return nil }
      event.first = value
    }
    if let last = fields[.last] {
      guard let value = hexValue(last) else { return nil }
      event.last = format.endExclusive ? value &- 1 : value
    }
    if let pid = fields[.pid] {
      guard let value = Int(pid) else { return nil }
      event.pid = value
    }
    event.process = fields[.comm].map(String.init)
    event.track = fields[.track].map(String.init)
    event.req = fields[.req].map(String.init)
    event.ret = fields[.ret].map(String.init)
    event.expected = fields[.expected].map(String.init)
    event.got = fields[.got].map(String.init)
    return event
  }

  private static func hexValue(_ text: Substring) -> UInt64? {
    var digits = text
    if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
    return UInt64(digits, radix: 16)
  }

  /// True when `PAT` appears as a word of its own (`x86/PAT:`, `PAT support`), not in `PATA`.
  static func mentionsPAT(_ bytes: [UInt8]) -> Bool {
    guard bytes.count >= 3 else { return false }
    for index in 0...(bytes.count - 3)
    where bytes[index] == UInt8(ascii: "P") && bytes[index + 1] == UInt8(ascii: "A")
      && bytes[index + 2] == UInt8(ascii: "T")
    {
      let before = index > 0 ? bytes[index - 1] : UInt8(ascii: " ")
      let after = index + 3 < bytes.count ? bytes[index + 3] : UInt8(ascii: " ")
      if !isWordByte(before) && !isWordByte(after) { return true }
    }
    return false
  }

  private static func isWordByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
      UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
      return true
    default: return false
    }
  }

  private static func isSpace(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
      || byte == UInt8(ascii: "\r")
  }
}
