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
    let firstLine = text.prefix { $0 != "\n" }
    guard let semicolon = firstLine.firstIndex(of: ";") else { return nil }
    let header = firstLine[..<semicolon].split(separator: ",", omittingEmptySubsequences: false)
    guard header.count >= 4, header[0...2].allSatisfy({ Self.isDecimal($0) }),
      let prio = Int(header[0]), let seq = UInt64(header[1]), let usec = UInt64(header[2])
    else { return nil }
    self.seq = seq
    self.time = Double(usec) / 1_000_000
    self.facility = prio >> 3
    self.level = prio & 7
    self.message = Self.unescape(firstLine[firstLine.index(after: semicolon)...])
  }

  /// The sequence number in a record's header, nil when the text is not a record.
  static func sequenceNumber(_ text: Substring) -> UInt64? {
    guard let comma = text.utf8.firstIndex(of: UInt8(ascii: ",")) else { return nil }
    let rest = text[text.index(after: comma)...]
    guard let end = rest.utf8.firstIndex(of: UInt8(ascii: ",")),
      text.prefix(while: { $0 != ";" }).count < text.count
    else { return nil }
    return UInt64(rest[..<end])
  }

  /// Turns the kernel's `\xHH` escapes back into bytes; other text is kept as it is.
  public static func unescape(_ text: Substring) -> String {
    let bytes = Array(text.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = 0
    while index < bytes.count {
      if bytes[index] == UInt8(ascii: "\\"), index + 3 < bytes.count,
        bytes[index + 1] == UInt8(ascii: "x"),
        let high = hexValue(bytes[index + 2]), let low = hexValue(bytes[index + 3])
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
    guard line.first == " " else { return false }
    let body = line.dropFirst()
    guard let equals = body.firstIndex(of: "="), equals > body.startIndex else { return false }
    return body[..<equals].allSatisfy { $0.isUppercase || $0.isNumber || $0 == "_" }
  }

  private static func isDecimal(_ text: Substring) -> Bool {
    !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}
