/// Takes the decoration that log tools put around a kernel message off one saved line:
/// - `dmesg`: `[ 4121.624625] MSG` (time kept), `dmesg -T`: `[Thu Nov 26 08:38:52 2026] MSG`,
///   `dmesg -x`: `kern  :info  : [...] MSG`, `dmesg -r`: `<6>[...] MSG`,
///   `dmesg --time-format=iso`: `2026-11-26T08:38:52,123456+00:00 MSG`;
/// - journal / syslog: `Nov 26 08:38:52 host kernel: MSG` (also `short-precise`, `short-iso`,
///   `short-full`), `journalctl -o short-monotonic`: `[ 4121.624625] host kernel: MSG`,
///   and syslog files that keep the dmesg time: `Nov 26 08:38:52 host kernel: [ 4121.6] MSG`;
/// - a raw `/dev/kmsg` record: `6,1234,4121624625,-;MSG` (sequence number and time kept).
/// A line without decoration is the message itself.
enum LogLineDecoration {
  struct Stripped {
    var message: Substring
    var time: Double?
    var seq: UInt64?
  }

  static func strip(_ line: Substring) -> Stripped {
    if let record = KernelRecord(line) {
      return Stripped(message: Substring(record.message), time: record.time, seq: record.seq)
    }
    var rest = line.drop { $0 == " " || $0 == "\t" }
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
  private static func dropSyslogPriority(_ text: Substring) -> Substring? {
    guard text.first == "<", let close = text.prefix(6).firstIndex(of: ">") else { return nil }
    let digits = text[text.index(after: text.startIndex)..<close]
    guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { return nil }
    return text[text.index(after: close)...]
  }

  /// `kern  :info  : ` as `dmesg -x` prints it.
  private static func dropFacilityLevel(_ text: Substring) -> Substring? {
    let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3, parts[2].first == " " else { return nil }
    for part in parts[0...1] {
      let word = part.drop { $0 == " " }.reversed().drop { $0 == " " }
      guard !word.isEmpty, word.allSatisfy({ $0.isASCII && $0.isLowercase }) else { return nil }
    }
    guard
      ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news"].contains(
        String(parts[0].filter { $0 != " " }))
    else { return nil }
    return parts[2].dropFirst()
  }

  /// `[ 4121.624625] ` (seconds since boot) or a wall-clock / relative form such as
  /// `[Thu Nov 26 08:38:52 2026] `, `[Nov26 08:38] `, `[  +0.000123] ` (no boot time).
  private static func dropBracketTimestamp(_ text: Substring) -> (Substring, Double?)? {
    guard text.first == "[", let close = text.prefix(48).firstIndex(of: "]") else { return nil }
    let content = text[text.index(after: text.startIndex)..<close].filter { $0 != " " }
    var rest = text[text.index(after: close)...]
    if rest.first == " " { rest = rest.dropFirst() }
    if !content.isEmpty, content.allSatisfy({ $0.isASCIIDigit || $0 == "." }),
      content.filter({ $0 == "." }).count <= 1, let seconds = Double(content)
    {
      return (rest, seconds)
    }
    if hasClockTime(content) { return (rest, nil) }
    if content.first == "+" || content.first == "<",
      content.dropFirst().contains(where: \.isASCIIDigit),
      content.dropFirst().allSatisfy({ $0.isASCIIDigit || $0 == "." || $0 == ">" })
    {
      return (rest, nil)
    }
    return nil
  }

  /// `DATE TIME host kernel: ` (any journal/syslog date form that has a clock time), or just
  /// `host kernel: ` right after a bracketed time (`journalctl -o short-monotonic`).
  private static func dropJournalPrefix(_ text: Substring, afterTimestamp: Bool) -> Substring? {
    guard let marker = text.prefix(96).firstRange(of: " kernel: ") else { return nil }
    let before = text[..<marker.lowerBound]
    guard hasClockTime(before) || (afterTimestamp && !before.contains(" ")) else { return nil }
    return text[marker.upperBound...]
  }

  /// `2026-11-26T08:38:52,123456+00:00 ` as `dmesg --time-format=iso` prints it.
  private static func dropISOTimestamp(_ text: Substring) -> Substring? {
    let token = text.prefix { $0 != " " }
    let chars = Array(token.prefix(11))
    guard chars.count == 11, chars[4] == "-", chars[7] == "-", chars[10] == "T",
      hasClockTime(token), token.endIndex < text.endIndex
    else { return nil }
    return text[text.index(after: token.endIndex)...]
  }

  /// True when the text holds `H:MM:SS` or `HH:MM` (a wall-clock time).
  private static func hasClockTime(_ text: some StringProtocol) -> Bool {
    let chars = Array(text)
    guard chars.count >= 4 else { return false }
    for index in 1..<(chars.count - 2) where chars[index] == ":" {
      if chars[index - 1].isASCIIDigit, chars[index + 1].isASCIIDigit,
        chars[index + 2].isASCIIDigit
      {
        return true
      }
    }
    return false
  }
}

extension Character {
  fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
