/// Takes the decoration that log tools put around a kernel message off one saved line:
/// - `dmesg`: `[ 4121.624625] MSG` (time kept), `dmesg -T`: `[Thu Nov 26 08:38:52 2026] MSG`,
///   `dmesg -x`: `kern  :info  : [...] MSG`, `dmesg -r`: `<6>[...] MSG`,
///   `dmesg --time-format=iso`: `2026-11-26T08:38:52,123456+00:00 MSG`;
/// - console logs of test suites: `<4> [163.684947] MSG` (a level, a space, the time);
/// - `CONFIG_PRINTK_CALLER` caller ids after the time: `[    0.006958][    T0] MSG`,
///   `[  12.5] [  C1] MSG`;
/// - journal / syslog: `Nov 26 08:38:52 host kernel: MSG` (also `short-precise`, `short-iso`,
///   `short-full`), `journalctl -o short-monotonic`: `[ 4121.624625] host kernel: MSG`,
///   syslog files that keep the dmesg time: `Nov 26 08:38:52 host kernel: [ 4121.6] MSG`, and
///   the bare tag of log excerpts: `kernel: [ 306.547838] MSG`;
/// - a raw `/dev/kmsg` record: `6,1234,4121624625,-;MSG` (sequence number and time kept).
/// A line without decoration is the message itself. Works on UTF-8 bytes.
///
/// `time` is the kernel's own timestamp (seconds since boot) when the line carries one;
/// `wallclock` is the wall-clock time text when the line carries one (`dmesg -T`, `--time-format
/// iso`, journal and syslog dates), as printed.
enum LogLineDecoration {
  struct Stripped {
    var message: ArraySlice<UInt8>
    var time: Double?
    var seq: UInt64?
    var wallclock: ArraySlice<UInt8>?
  }

  static func strip(_ line: ArraySlice<UInt8>) -> Stripped {
    if let record = KernelRecord(bytes: line) {
      return Stripped(
        message: Array(record.message.utf8)[...], time: record.time, seq: record.seq, wallclock: nil)
    }
    var rest = line.drop { $0 == ASCII.space || $0 == ASCII.tab }
    var time: Double?
    var wallclock: ArraySlice<UInt8>?
    var afterTimestamp = false
    for _ in 0..<6 {
      var changed = false
      if let shorter = dropSyslogPriority(rest) {
        rest = shorter
        changed = true
      }
      if let shorter = dropFacilityLevel(rest) {
        rest = shorter
        changed = true
      }
      if let (shorter, seconds, clock) = dropBracketTimestamp(rest) {
        rest = shorter
        time = seconds ?? time
        wallclock = clock ?? wallclock
        afterTimestamp = true
        changed = true
        if seconds != nil, let shorter = dropCallerID(rest) { rest = shorter }
      }
      if let (shorter, clock) = dropJournalPrefix(rest, afterTimestamp: afterTimestamp) {
        rest = shorter
        wallclock = clock ?? wallclock
        afterTimestamp = false
        changed = true
      } else if let (shorter, clock) = dropISOTimestamp(rest) {
        rest = shorter
        wallclock = clock
        changed = true
      }
      if !changed { break }
    }
    return Stripped(message: rest, time: time, seq: nil, wallclock: wallclock)
  }

  private static func droppingSpaces(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    text.drop { $0 == ASCII.space || $0 == ASCII.tab }
  }

  /// `<6>` as `dmesg -r` and syslog print it, and `<4> ` (with spaces) as test-suite console
  /// logs do.
  private static func dropSyslogPriority(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
    guard text.first == UInt8(ascii: "<"),
      let close = text.prefix(6).firstIndex(of: UInt8(ascii: ">"))
    else { return nil }
    let digits = text[(text.startIndex + 1)..<close]
    guard !digits.isEmpty, digits.allSatisfy(ASCII.isDigit) else { return nil }
    return droppingSpaces(text[(close + 1)...])
  }

  /// `[    T0] ` or `[  C1] ` (a task or CPU number, `CONFIG_PRINTK_CALLER`) right after the
  /// timestamp, with or without a space before it.
  private static func dropCallerID(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
    let open = droppingSpaces(text)
    guard open.first == UInt8(ascii: "["),
      let close = open.prefix(16).firstIndex(of: UInt8(ascii: "]"))
    else { return nil }
    let content = droppingSpaces(open[(open.startIndex + 1)..<close])
    guard let kind = content.first, kind == UInt8(ascii: "T") || kind == UInt8(ascii: "C"),
      content.count >= 2, content.dropFirst().allSatisfy(ASCII.isDigit)
    else { return nil }
    var rest = open[(close + 1)...]
    if rest.first == ASCII.space { rest = rest.dropFirst() }
    return rest
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
  /// Returns the rest, the seconds since boot (or nil) and the wall-clock text (or nil).
  private static func dropBracketTimestamp(
    _ text: ArraySlice<UInt8>
  ) -> (ArraySlice<UInt8>, Double?, ArraySlice<UInt8>?)? {
    guard text.first == UInt8(ascii: "["),
      let close = text.prefix(48).firstIndex(of: UInt8(ascii: "]"))
    else { return nil }
    let inside = text[(text.startIndex + 1)..<close]
    let content = inside.filter { $0 != ASCII.space }[...]
    var rest = text[(close + 1)...]
    if rest.first == ASCII.space { rest = rest.dropFirst() }
    let dot = UInt8(ascii: ".")
    if !content.isEmpty, content.allSatisfy({ ASCII.isDigit($0) || $0 == dot }),
      content.filter({ $0 == dot }).count <= 1,
      let seconds = Double(String(decoding: content, as: UTF8.self))
    {
      return (rest, seconds, nil)
    }
    if hasClockTime(content) { return (rest, nil, inside) }
    if let sign = content.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "<") {
      let number = content.dropFirst()
      if number.contains(where: ASCII.isDigit),
        number.allSatisfy({ ASCII.isDigit($0) || $0 == dot || $0 == UInt8(ascii: ">") })
      {
        return (rest, nil, nil)
      }
    }
    return nil
  }

  private static let kernelTag = Array(" kernel: ".utf8)
  private static let bareKernelTag = Array("kernel: ".utf8)

  /// `DATE TIME host kernel: ` (any journal/syslog date form that has a clock time; the date
  /// is the wall-clock text), just `host kernel: ` right after a bracketed time (`journalctl -o
  /// short-monotonic`), or a bare `kernel: ` tag before a bracketed time (log excerpts).
  private static func dropJournalPrefix(
    _ text: ArraySlice<UInt8>, afterTimestamp: Bool
  ) -> (ArraySlice<UInt8>, ArraySlice<UInt8>?)? {
    if text.starts(with: bareKernelTag) {
      let rest = droppingSpaces(text.dropFirst(bareKernelTag.count))
      return rest.first == UInt8(ascii: "[") ? (rest, nil) : nil
    }
    guard let marker = ASCII.firstRange(of: kernelTag, in: text.prefix(96)) else { return nil }
    let before = text[..<marker.lowerBound]
    if hasClockTime(before) {
      // The last word before `kernel:` is the host name; the rest is the date and time.
      var date = before
      if let space = before.lastIndex(of: ASCII.space) { date = before[..<space] }
      while let last = date.last, last == ASCII.space { date = date.dropLast() }
      return (text[marker.upperBound...], date)
    }
    guard afterTimestamp && !before.contains(ASCII.space) else { return nil }
    return (text[marker.upperBound...], nil)
  }

  /// `2026-11-26T08:38:52,123456+00:00 ` as `dmesg --time-format=iso` prints it.
  private static func dropISOTimestamp(
    _ text: ArraySlice<UInt8>
  ) -> (ArraySlice<UInt8>, ArraySlice<UInt8>)? {
    guard let first = text.first, ASCII.isDigit(first),
      let space = text.prefix(48).firstIndex(of: ASCII.space)
    else { return nil }
    let token = text[..<space]
    let start = token.startIndex
    guard token.count >= 11, token[start + 4] == UInt8(ascii: "-"),
      token[start + 7] == UInt8(ascii: "-"), token[start + 10] == UInt8(ascii: "T"),
      hasClockTime(token)
    else { return nil }
    return (text[(space + 1)...], token)
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
