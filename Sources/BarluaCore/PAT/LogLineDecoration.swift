/// Takes the decoration that log tools put around a kernel message off one saved line:
/// - `dmesg`: `[ 4121.624625] MSG` (time kept), `dmesg -T`: `[Thu Nov 26 08:38:52 2026] MSG`,
///   `dmesg -x`: `kern  :info  : [...] MSG`, `dmesg -r`: `<6>[...] MSG`,
///   `dmesg --time-format=iso`: `2026-11-26T08:38:52,123456+00:00 MSG`;
/// - journal / syslog: `Nov 26 08:38:52 host kernel: MSG` (also `short-precise`, `short-iso`,
///   `short-full`), `journalctl -o short-monotonic`: `[ 4121.624625] host kernel: MSG`,
///   and syslog files that keep the dmesg time: `Nov 26 08:38:52 host kernel: [ 4121.6] MSG`;
/// - a raw `/dev/kmsg` record: `6,1234,4121624625,-;MSG` (sequence number and time kept).
/// A line without decoration is the message itself. Works on UTF-8 bytes.
enum LogLineDecoration {
  struct Stripped {
    var message: ArraySlice<UInt8>
    var time: Double?
    var seq: UInt64?
  }

  static func strip(_ line: ArraySlice<UInt8>) -> Stripped {
    if let record = KernelRecord(bytes: line) {
      return Stripped(message: Array(record.message.utf8)[...], time: record.time, seq: record.seq)
    }
    var rest = line.drop { $0 == ASCII.space || $0 == ASCII.tab }
    var time: Double?
    var afterTimestamp = false
    for _ in 0..<4 {
      var changed = false
      if let shorter = dropSyslogPriority(rest) {
        rest = shorter
        changed = true
      }
      if let shorter = dropFacilityLevel(rest) {
        rest = shorter
        changed = true
      }
      if let (shorter, seconds) = dropBracketTimestamp(rest) {
        rest = shorter
        time = seconds ?? time
        afterTimestamp = true
        changed = true
      }
      if let shorter = dropJournalPrefix(rest, afterTimestamp: afterTimestamp) {
        rest = shorter
        afterTimestamp = false
        changed = true
      } else if let shorter = dropISOTimestamp(rest) {
        rest = shorter
        changed = true
      }
      if !changed { break }
    }
    return Stripped(message: rest, time: time, seq: nil)
  }

  /// `<6>` as `dmesg -r` and syslog print it.
  private static func dropSyslogPriority(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
    guard text.first == UInt8(ascii: "<"),
      let close = text.prefix(6).firstIndex(of: UInt8(ascii: ">"))
    else { return nil }
    let digits = text[(text.startIndex + 1)..<close]
    guard !digits.isEmpty, digits.allSatisfy(ASCII.isDigit) else { return nil }
    return text[(close + 1)...]
  }

  private static let facilities: [[UInt8]] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
  ].map { Array($0.utf8) }

  /// `kern  :info  : ` as `dmesg -x` prints it.
  private static func dropFacilityLevel(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
    guard let first = text.first, ASCII.isLower(first),
      let colon = text.prefix(12).firstIndex(of: UInt8(ascii: ":")),
      let level = text[(colon + 1)...].prefix(12).firstIndex(of: UInt8(ascii: ":")),
      level + 1 < text.endIndex, text[level + 1] == ASCII.space
    else { return nil }
    let facility = text[..<colon].filter { $0 != ASCII.space }
    let levelName = text[(colon + 1)..<level].filter { $0 != ASCII.space }
    guard facilities.contains(facility), !levelName.isEmpty, levelName.allSatisfy(ASCII.isLower)
    else { return nil }
    return text[(level + 2)...]
  }

  /// `[ 4121.624625] ` (seconds since boot) or a wall-clock / relative form such as
  /// `[Thu Nov 26 08:38:52 2026] `, `[Nov26 08:38] `, `[  +0.000123] ` (no boot time).
  private static func dropBracketTimestamp(
    _ text: ArraySlice<UInt8>
  ) -> (ArraySlice<UInt8>, Double?)? {
    guard text.first == UInt8(ascii: "["),
      let close = text.prefix(48).firstIndex(of: UInt8(ascii: "]"))
    else { return nil }
    let content = text[(text.startIndex + 1)..<close].filter { $0 != ASCII.space }[...]
    var rest = text[(close + 1)...]
    if rest.first == ASCII.space { rest = rest.dropFirst() }
    let dot = UInt8(ascii: ".")
    if !content.isEmpty, content.allSatisfy({ ASCII.isDigit($0) || $0 == dot }),
      content.filter({ $0 == dot }).count <= 1,
      let seconds = Double(String(decoding: content, as: UTF8.self))
    {
      return (rest, seconds)
    }
    if hasClockTime(content) { return (rest, nil) }
    if let sign = content.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "<") {
      let number = content.dropFirst()
      if number.contains(where: ASCII.isDigit),
        number.allSatisfy({ ASCII.isDigit($0) || $0 == dot || $0 == UInt8(ascii: ">") })
      {
        return (rest, nil)
      }
    }
    return nil
  }

  private static let kernelTag = Array(" kernel: ".utf8)

  /// `DATE TIME host kernel: ` (any journal/syslog date form that has a clock time), or just
  /// `host kernel: ` right after a bracketed time (`journalctl -o short-monotonic`).
  private static func dropJournalPrefix(
    _ text: ArraySlice<UInt8>, afterTimestamp: Bool
  ) -> ArraySlice<UInt8>? {
    guard let marker = ASCII.firstRange(of: kernelTag, in: text.prefix(96)) else { return nil }
    let before = text[..<marker.lowerBound]
    guard hasClockTime(before) || (afterTimestamp && !before.contains(ASCII.space)) else {
      return nil
    }
    return text[marker.upperBound...]
  }

  /// `2026-11-26T08:38:52,123456+00:00 ` as `dmesg --time-format=iso` prints it.
  private static func dropISOTimestamp(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
    guard let first = text.first, ASCII.isDigit(first),
      let space = text.prefix(48).firstIndex(of: ASCII.space)
    else { return nil }
    let token = text[..<space]
    let start = token.startIndex
    guard token.count >= 11, token[start + 4] == UInt8(ascii: "-"),
      token[start + 7] == UInt8(ascii: "-"), token[start + 10] == UInt8(ascii: "T"),
      hasClockTime(token)
    else { return nil }
    return text[(space + 1)...]
  }

  /// True when the bytes hold `H:MM` (a wall-clock time).
  private static func hasClockTime(_ text: ArraySlice<UInt8>) -> Bool {
    guard text.count >= 4 else { return false }
    for index in (text.startIndex + 1)..<(text.endIndex - 2) where text[index] == UInt8(ascii: ":") {
      if ASCII.isDigit(text[index - 1]), ASCII.isDigit(text[index + 1]),
        ASCII.isDigit(text[index + 2])
      {
        return true
      }
    }
    return false
  }
}
