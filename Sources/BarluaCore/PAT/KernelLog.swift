#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Reads the kernel log from `/dev/kmsg` without blocking: one record per `read()`, oldest
/// record still in the ring buffer first, until `EAGAIN`.
///
/// A record becomes readable once it is finished: a message that does not end in a newline
/// (e.g. written to /dev/kmsg without one) stays open for a continuation until the next
/// record arrives.
public struct KernelLog: Sendable {
  public static let defaultPath = "/dev/kmsg"

  /// The device to read; tests point it elsewhere to check the errors.
  public var path: String
  /// Where to read `kernel.dmesg_restrict` for the permission hint.
  public var dmesgRestrictPath: String

  public init(
    path: String = KernelLog.defaultPath,
    dmesgRestrictPath: String = "/proc/sys/kernel/dmesg_restrict"
  ) {
    self.path = path
    self.dmesgRestrictPath = dmesgRestrictPath
  }

  /// What one pass over the log gave.
  public struct Reading: Sendable {
    /// Records after the mark (all records without one), oldest first.
    public var records: [KernelRecord]
    /// How often `read()` said `EPIPE`: the reader fell behind and records it had not read yet
    /// were overwritten in the ring buffer (reading then goes on from the oldest one left).
    public var overwritten: Int
    /// How many records after the mark are gone (gaps in the sequence numbers).
    public var missed: UInt64
    /// The sequence number of the newest record read (nil for an empty log).
    public var newest: UInt64?
  }

  /// The sequence number of the newest record now (0 for an empty log).
  ///
  /// `/dev/kmsg` has no call that tells a position's sequence number: `lseek(SEEK_END)` puts
  /// the reader after the newest record, where `read()` only says `EAGAIN`. So this reads every
  /// record still in the ring buffer (a few thousand; about a millisecond) and keeps the last
  /// sequence number. Later reads with `since:` this mark give exactly the newer records.
  public func mark() throws(SystemError) -> UInt64 {
    try read(since: nil, keepRecords: false).newest ?? 0
  }

  /// Every record after `since` (all when nil), without blocking.
  public func read(since: UInt64?) throws(SystemError) -> Reading {
    try read(since: since, keepRecords: true)
  }

  private func read(since: UInt64?, keepRecords: Bool) throws(SystemError) -> Reading {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      let code = errno
      throw SystemError("open", path: path, errno: code, cause: openCause(errno: code))
    }
    defer { close(fd) }
    var status = stat()
    guard fstat(fd, &status) == 0 else {
      throw SystemError.current("fstat", path: path)
    }
    guard status.st_mode & S_IFMT == S_IFCHR else {
      throw SystemError(
        "open", path: path, notA: "character device", hint: "the kernel log is read from /dev/kmsg")
    }
    // CONSOLE_EXT_LOG_MAX is 8192: a smaller buffer makes read() fail with EINVAL.
    var buffer = [UInt8](repeating: 0, count: 16384)
    return try Self.collect(since: since, keepRecords: keepRecords, path: path) {
      while true {
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count > 0 { return .chunk(Array(buffer[0..<count])) }
        if count == 0 { return .end }
        switch errno {
        case EINTR: continue
        case EAGAIN: return .end
        case EPIPE: return .overwritten
        case let code: return .failed(code)
        }
      }
    }
  }

  /// The records after `since` (all when nil), oldest first.
  public func records(since: UInt64?) throws(SystemError) -> [KernelRecord] {
    try read(since: since).records
  }

  /// The PAT events in the records after `since` (all when nil), oldest first.
  public func events(since: UInt64?) throws(SystemError) -> [PATEvent] {
    Self.events(in: try records(since: since))
  }

  public static func mark() throws(SystemError) -> UInt64 { try KernelLog().mark() }

  public static func records(since: UInt64?) throws(SystemError) -> [KernelRecord] {
    try KernelLog().records(since: since)
  }

  public static func events(since: UInt64?) throws(SystemError) -> [PATEvent] {
    try KernelLog().events(since: since)
  }

  /// The PAT events of some records; a multi-line message gives one event per PAT line.
  public static func events(in records: [KernelRecord]) -> [PATEvent] {
    records.flatMap { record in
      Array(record.message.utf8).split(separator: ASCII.newline).compactMap {
        PATParser.parse(message: $0, time: record.time, seq: record.seq)
      }
    }
  }

  /// What one `read()` of the device gave.
  enum ReadOutcome {
    case chunk([UInt8])
    /// `EAGAIN` (no newer record) or end of file.
    case end
    /// `EPIPE`: records were overwritten; the next read resyncs to the oldest one left.
    case overwritten
    case failed(Int32)
  }

  /// Splits what `next` reads into records (a read gives one record and its ` KEY=value`
  /// dictionary lines), keeps those after `since` and counts what was lost.
  static func collect(
    since: UInt64?, keepRecords: Bool = true, path: String, next: () -> ReadOutcome
  ) throws(SystemError) -> Reading {
    var reading = Reading(records: [], overwritten: 0, missed: 0, newest: nil)
    var expected = since.map { $0 &+ 1 }
    var pending: [UInt8] = []

    func take(_ line: ArraySlice<UInt8>) throws(SystemError) {
      // Lines after a record's first line start with a space: ` KEY=value` dictionary lines.
      if line.isEmpty || line.first == ASCII.space { return }
      var notARecord: SystemError {
        let text = String(decoding: line.prefix(80), as: UTF8.self)
        return SystemError(content: path, text: text, expected: "a kernel log record")
      }
      // The header alone for records that are not kept (older than the mark, or for mark()).
      guard let seq = KernelRecord.sequenceNumber(line) else { throw notARecord }
      reading.newest = seq
      guard keepRecords, since.map({ seq > $0 }) ?? true else { return }
      guard let record = KernelRecord(bytes: line) else { throw notARecord }
      if let want = expected, record.seq > want { reading.missed += record.seq - want }
      expected = record.seq &+ 1
      reading.records.append(record)
    }

    while true {
      switch next() {
      case .chunk(let bytes):
        pending += bytes
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
          try take(pending[..<newline])
          pending.removeSubrange(...newline)
        }
      case .overwritten:
        reading.overwritten += 1
      case .end:
        try take(pending[...])
        return reading
      case .failed(let code):
        throw SystemError("read", path: path, errno: code)
      }
    }
  }

  /// Why opening the log failed with `code`, where that is known.
  func openCause(errno code: Int32) -> SystemCause? {
    let restrict = try? SystemFile.readText(dmesgRestrictPath)
    return Self.openCause(
      errno: code,
      dmesgRestrict: restrict?.trimmingPrefix(" ").split(separator: "\n").first.map(String.init))
  }

  /// The cause of an `open` failure, given the value of `kernel.dmesg_restrict` (nil: unknown).
  static func openCause(errno code: Int32, dmesgRestrict: String?) -> SystemCause? {
    switch code {
    case EPERM, EACCES: dmesgRestrict == "0" ? .kernelLogDenied : .dmesgRestricted
    case ENOENT: .noKernelLogDevice
    case ENXIO, ENODEV: .noPrintk
    default: nil
    }
  }
}
