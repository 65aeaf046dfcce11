/// Turns x86 PAT kernel messages into `PATEvent`s. Never traps, whatever the input.
public enum PATParser {
  /// One kernel message (no timestamp decoration) to an event.
  ///
  /// Returns nil when the message is not a PAT message at all: it matches no known format and
  /// has no word `PAT` in it (`PATA` does not count). A message with `PAT` in it that matches no
  /// format becomes an event of kind `other` holding its text. Trailing `\n`/`\r` are dropped.
  public static func parseLine(_ message: String, time: Double?, seq: UInt64?) -> PATEvent? {
    parse(message: Array(message.utf8)[...], time: time, seq: seq)
  }

  /// Every PAT event in saved log text: plain `dmesg`, `dmesg -T` (time is nil), `journalctl -k`
  /// (all `short*` forms), raw `/dev/kmsg` records (with `seq`), or bare messages; oldest first.
  public static func parse(text: String) -> [PATEvent] {
    var events: [PATEvent] = []
    let bytes = Array(text.utf8)
    for line in bytes.split(separator: ASCII.newline) {
      let line = ASCII.droppingLineEnd(line)
      if line.isEmpty || KernelRecord.isDictionaryLine(line) { continue }
      let stripped = LogLineDecoration.strip(line)
      // A kmsg record may carry several lines (escaped newlines): each is a message.
      for message in stripped.message.split(separator: ASCII.newline) {
        if let event = parse(message: message, time: stripped.time, seq: stripped.seq) {
          events.append(event)
        }
      }
    }
    return events
  }

  static func parse(message: ArraySlice<UInt8>, time: Double?, seq: UInt64?) -> PATEvent? {
    let raw = ASCII.droppingLineEnd(message)
    var body = raw.drop(while: ASCII.isSpace)
    while let last = body.last, ASCII.isSpace(last) { body = body.dropLast() }
    if body.starts(with: PATFormats.prefix) { body = body.dropFirst(PATFormats.prefix.count) }
    let bodyBytes = Array(body)
    lazy var text = String(decoding: raw, as: UTF8.self)

    for format in PATFormats.all {
      guard let fields = format.template.match(bodyBytes) else { continue }
      if let event = makeEvent(format, fields, text: text, time: time, seq: seq) {
        return event
      }
    }
    guard mentionsPAT(raw) else { return nil }
    return PATEvent(kind: .other, time: time, seq: seq, text: text)
  }

  /// Builds the event; nil when a number does not fit (e.g. an address wider than 64 bits).
  private static func makeEvent(
    _ format: PATFormats.Format, _ fields: PATTemplate.Captures, text: String,
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
  static func mentionsPAT(_ bytes: ArraySlice<UInt8>) -> Bool {
    guard bytes.count >= 3 else { return false }
    for index in bytes.startIndex...(bytes.endIndex - 3)
    where bytes[index] == UInt8(ascii: "P") && bytes[index + 1] == UInt8(ascii: "A")
      && bytes[index + 2] == UInt8(ascii: "T")
    {
      let before = index > bytes.startIndex ? bytes[index - 1] : ASCII.space
      let after = index + 3 < bytes.endIndex ? bytes[index + 3] : ASCII.space
      if !ASCII.isWord(before) && !ASCII.isWord(after) { return true }
    }
    return false
  }
}
