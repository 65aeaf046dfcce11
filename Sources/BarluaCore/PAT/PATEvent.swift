/// One x86 PAT message from the kernel log, split into the fields the message carries.
///
/// Memory types are kept exactly as the kernel prints them ("uncached-minus", "write-combining",
/// "-" for "no type returned", or raw numbers such as "0x1" in `reserve_ram_pages_type` lines),
/// each in the field named by the label the kernel prints before it.
public struct PATEvent: Equatable, Sendable {
  /// What the message reports.
  public enum Kind: String, CaseIterable, Sendable {
    case reserve
    case overlap
    case free
    case conflict
    case mapPfnMismatch = "map_pfn_mismatch"
    case freeInvalid = "free_invalid"
    case reserveFailed = "reserve_failed"
    case config
    case other
  }

  public var kind: Kind
  /// First byte of the physical range, nil when the message names no range.
  public var first: UInt64?
  /// Last byte of the range, always inclusive (exclusive ends in the message are converted).
  public var last: UInt64?
  public var track: String?
  public var req: String?
  public var ret: String?
  public var expected: String?
  public var got: String?
  /// The task name (`comm`) the kernel printed, e.g. in conflict lines.
  public var process: String?
  public var pid: Int?
  /// Seconds since boot, nil when the log gives no such time (e.g. `dmesg -T`).
  public var time: Double?
  /// The kernel-log sequence number, known only for records read from `/dev/kmsg`.
  public var seq: UInt64?
  /// The wall-clock time the saved line carries, as printed (`dmesg -T`, `--time-format=iso`,
  /// journal and syslog dates: "Thu Nov 26 08:38:52 2026", "Nov 26 08:38:52.123456"); nil when
  /// the line has none. A line may carry both this and `time`.
  public var wallclock: String?
  /// The message as the kernel logged it, without the timestamp or journal decoration.
  public var text: String

  /// True when the event has a range and it shares at least one byte with `first...last`.
  public func overlaps(first otherFirst: UInt64, last otherLast: UInt64) -> Bool {
    guard let first, let last else { return false }
    return first <= otherLast && otherFirst <= last
  }
}
