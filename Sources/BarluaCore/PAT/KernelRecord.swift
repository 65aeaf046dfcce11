/// One record of the kernel log as `/dev/kmsg` gives it:
/// `PRIO,SEQ,USEC,FLAGS[,...];MESSAGE` then optional ` KEY=value` dictionary lines.
///
/// The kernel escapes every byte below 0x20, from 0x7f up, and the backslash as `\xHH`, so a
/// record is plain ASCII; `message` holds the bytes unescaped again (a multi-line message
/// gets its newlines back).
public struct KernelRecord: Equatable, Sendable {
  public var seq: UInt64
  /// Seconds since boot (the record carries microseconds).
  public var time: Double
  /// `PRIO >> 3`: 0 = kernel, 1 = user (e.g. written to /dev/kmsg by a program), ...
  public var facility: Int
  /// `PRIO & 7`: 0 = emerg ... 6 = info, 7 = debug.
  public var level: Int
  public var message: String

  public init(seq: UInt64, time: Double, facility: Int, level: Int, message: String) {
    self.seq = seq
    self.time = time
    self.facility = facility
    self.level = level
    self.message = message
  }

  /// Parses the first line of one record; nil when it is not a kmsg record header.
  /// Dictionary lines (` KEY=value`) after the first line are ignored.
  public init?(_ text: Substring) {
    self.init(bytes: Array(text.utf8)[...])
  }

  init?(bytes: ArraySlice<UInt8>) {
    guard let header = Self.header(bytes), let prio = ASCII.decimal(header.fields[0]),
      prio <= UInt64(Int32.max), let seq = ASCII.decimal(header.fields[1]),
      let usec = ASCII.decimal(header.fields[2])
    else { return nil }
    self.seq = seq
    self.time = Double(usec) / 1_000_000
    self.facility = Int(prio) >> 3
    self.level = Int(prio) & 7
    self.message = Self.unescape(header.message)
  }

  /// The sequence number in a record's header, nil when the bytes are not a record.
  static func sequenceNumber(_ bytes: ArraySlice<UInt8>) -> UInt64? {
    guard let header = header(bytes) else { return nil }
    return ASCII.decimal(header.fields[1])
  }

  /// The header fields (at least four, the first three checked later) and the message bytes.
  private static func header(
    _ bytes: ArraySlice<UInt8>
  ) -> (fields: [ArraySlice<UInt8>], message: ArraySlice<UInt8>)? {
    guard let first = bytes.first, ASCII.isDigit(first) else { return nil }
    let lineEnd = bytes.firstIndex(of: ASCII.newline) ?? bytes.endIndex
    guard let semicolon = bytes[..<lineEnd].firstIndex(of: UInt8(ascii: ";")) else { return nil }
    let fields = bytes[..<semicolon].split(
      separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
    guard fields.count >= 4 else { return nil }
    return (fields, bytes[(semicolon + 1)..<lineEnd])
  }

  /// Turns the kernel's `\xHH` escapes back into bytes; other text is kept as it is.
  public static func unescape(_ text: Substring) -> String {
    unescape(Array(text.utf8)[...])
  }

  static func unescape(_ bytes: ArraySlice<UInt8>) -> String {
    guard bytes.contains(UInt8(ascii: "\\")) else { return String(decoding: bytes, as: UTF8.self) }
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = bytes.startIndex
    while index < bytes.endIndex {
      if bytes[index] == UInt8(ascii: "\\"), index + 3 < bytes.endIndex,
        bytes[index + 1] == UInt8(ascii: "x"),
        let high = ASCII.hexValue(bytes[index + 2]), let low = ASCII.hexValue(bytes[index + 3])
      {
        out.append(high << 4 | low)
        index += 4
      } else {
        out.append(bytes[index])
        index += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// True for the ` KEY=value` dictionary lines that follow a record.
  static func isDictionaryLine(_ line: Substring) -> Bool {
    isDictionaryLine(Array(line.utf8)[...])
  }

  static func isDictionaryLine(_ line: ArraySlice<UInt8>) -> Bool {
    guard line.first == ASCII.space else { return false }
    let body = line.dropFirst()
    guard let equals = body.firstIndex(of: UInt8(ascii: "=")), equals > body.startIndex else {
      return false
    }
    return body[..<equals].allSatisfy {
      ASCII.isUpper($0) || ASCII.isDigit($0) || $0 == UInt8(ascii: "_")
    }
  }
}
