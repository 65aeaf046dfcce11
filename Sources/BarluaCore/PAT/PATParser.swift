/// Turns x86 PAT kernel messages into `PATEvent`s. Never traps, whatever the input.
public enum PATParser {
  /// One kernel message (no timestamp decoration) to an event.
  ///
  /// Returns nil when the message is not a PAT message: it matches no known format (with or
  /// without the `x86/PAT: ` prefix that 4.2+ kernels print; runs of spaces count as one), and
  /// does not start with that prefix. A message starting with `x86/PAT: ` that matches no
  /// format becomes an event of kind `other` holding its text. Messages without the prefix
  /// (≤ 4.1 kernels) are taken only in a known format's exact shape with known memory type
  /// names, so `PATA` disk lines and free text that mentions PAT are never events. Trailing
  /// `\n`/`\r` are dropped.
  public static func parseLine(_ message: String, time: Double?, seq: UInt64?) -> PATEvent? {
    parse(message: Array(message.utf8)[...], time: time, seq: seq)
  }

  /// Every PAT event in saved log text: plain `dmesg` (also `-x`, `-r`, `-T`, `--time-format`),
  /// `journalctl -k` (all `short*` forms), syslog files, console logs with `<N>` levels and
  /// printk caller ids, raw `/dev/kmsg` records (with `seq`), or bare messages; oldest first.
  public static func parse(text: String) -> [PATEvent] {
    var events: [PATEvent] = []
    forEachEvent(in: Array(text.utf8)[...]) { events.append($0) }
    return events
  }

  /// The events of saved log text, one at a time, oldest first; nothing is kept between lines
  /// except what `body` keeps.
  public static func forEachEvent(in bytes: ArraySlice<UInt8>, _ body: (PATEvent) -> Void) {
    var start = bytes.startIndex
    while start < bytes.endIndex {
      let end = bytes[start...].firstIndex(of: ASCII.newline) ?? bytes.endIndex
      forEachEvent(inLine: bytes[start..<end], body)
      start = end + 1
    }
  }

  /// The events of one saved line (a kmsg record with escaped newlines may hold several).
  public static func forEachEvent(inLine rawLine: ArraySlice<UInt8>, _ body: (PATEvent) -> Void) {
    let line = ASCII.droppingLineEnd(rawLine)
    if line.isEmpty || KernelRecord.isDictionaryLine(line) { return }
    let stripped = LogLineDecoration.strip(line)
    let wallclock = stripped.wallclock.map { String(decoding: $0, as: UTF8.self) }
    for message in stripped.message.split(separator: ASCII.newline) {
      if var event = parse(message: message, time: stripped.time, seq: stripped.seq) {
        event.wallclock = wallclock
        body(event)
      }
    }
  }

  static func parse(message: ArraySlice<UInt8>, time: Double?, seq: UInt64?) -> PATEvent? {
    let raw = ASCII.droppingLineEnd(message)
    var body = raw.drop(while: ASCII.isSpace)
    while let last = body.last, ASCII.isSpace(last) { body = body.dropLast() }
    lazy var text = String(decoding: raw, as: UTF8.self)
    var prefixed = false
    if body.starts(with: PATFormats.prefixWord) {
      body = body.dropFirst(PATFormats.prefixWord.count).drop(while: ASCII.isSpace)
      prefixed = true
    } else if let at = ASCII.firstRange(of: PATFormats.prefix, in: body),
      let event = match(collapsingSpaces(body[at.upperBound...]), strict: false, text: text, time: time, seq: seq)
    {
      // A decoration this parser does not know, before a known 4.2+ message.
      return event
    }
    if let event = match(collapsingSpaces(body), strict: !prefixed, text: text, time: time, seq: seq) {
      return event
    }
    guard prefixed else { return nil }
    return PATEvent(kind: .other, time: time, seq: seq, text: text)
  }

  /// The message with every run of spaces and tabs as one space (kernels print one).
  private static func collapsingSpaces(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var inSpace = false
    for byte in bytes {
      if byte == ASCII.space || byte == ASCII.tab {
        if !inSpace { out.append(ASCII.space) }
        inSpace = true
      } else {
        out.append(byte)
        inSpace = false
      }
    }
    return out
  }

  /// The first format the body matches; `strict` (no `x86/PAT:` prefix) also needs every
  /// memory type to be a name the kernel prints.
  private static func match(
    _ body: [UInt8], strict: Bool, text: @autoclosure () -> String, time: Double?, seq: UInt64?
  ) -> PATEvent? {
    for format in PATFormats.all {
      guard let fields = format.template.match(body) else { continue }
      guard var event = makeEvent(format, fields, text: "", time: time, seq: seq) else { continue }
      if strict {
        // Every era prints these kinds' addresses with `0x` (`0x%Lx`, `%#010Lx`).
        if [.overlap, .free, .reserve, .reserveFailed].contains(format.kind),
          !(fields[.first]?.hasPrefix("0x") ?? true) || !(fields[.last]?.hasPrefix("0x") ?? true)
        {
          continue
        }
        let types = [event.track, event.req, event.ret, event.expected, event.got].compactMap { $0 }
        let rawNumbers = format.rawTypeNumbers
        guard types.allSatisfy({ PATFormats.typeNames.contains($0) || (rawNumbers && $0.hasPrefix("0x")) })
        else { continue }
      }
      event.text = text()
      return event
    }
    return nil
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
  /// (A hint for readers of saved logs; such a line is an event only in a known shape.)
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
