/// Advanced Error Reporting: the kernel's counters (sysfs `aer_dev_*`) and the AER capability's
/// status, mask and severity registers; the Device Serial Number capability.
public enum PCIAER {
  /// Error bits by the names the kernel's counters use (drivers/pci/pcie/aer.c,
  /// `aer_correctable_error_string` / `aer_uncorrectable_error_string`).
  public static let correctableNames: [Int: String] = [
    0: "RxErr", 6: "BadTLP", 7: "BadDLLP", 8: "Rollover", 12: "Timeout", 13: "NonFatalErr",
    14: "CorrIntErr", 15: "HeaderOF",
  ]
  public static let uncorrectableNames: [Int: String] = [
    0: "Undefined", 4: "DLP", 5: "SDES", 12: "TLP", 13: "FCP", 14: "CmpltTO", 15: "CmpltAbrt",
    16: "UnxCmplt", 17: "RxOF", 18: "MalfTLP", 19: "ECRC", 20: "UnsupReq", 21: "ACSViol",
    22: "UncorrIntErr", 23: "BlockedTLP", 24: "AtomicOpBlocked", 25: "TLPBlockedErr",
    26: "PoisonTLPBlocked", 27: "DMWrReqBlocked",
  ]

  /// The names of the bits set in `value` (unnamed bits as `bitN`), lowest bit first.
  public static func names(_ value: UInt32, uncorrectable: Bool) -> [String] {
    let table = uncorrectable ? uncorrectableNames : correctableNames
    return (0..<32).filter { value & (1 << $0) != 0 }.map { table[$0] ?? "bit\($0)" }
  }

  /// One sysfs counter file: `NAME count` lines (the last `TOTAL_ERR_*`).
  public struct Counters: Equatable, Sendable {
    public var counts: [(name: String, count: Int64)] = []
    /// Lines that are not `NAME count`, quoted (the good lines are still counted).
    public var problems: [String] = []

    public static func == (a: Counters, b: Counters) -> Bool {
      a.problems == b.problems && a.counts.map(\.name) == b.counts.map(\.name)
        && a.counts.map(\.count) == b.counts.map(\.count)
    }

    /// Control characters and non-ASCII bytes of hostile text as `?`.
    static func printable(_ text: Substring) -> String {
      String(
        String.UnicodeScalarView(
          text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? $0 : "?" }))
    }

    /// Parses the text of `path`; at most 256 lines are taken.
    public init(text: String, path: String) {
      for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
        if n >= 256 {
          problems.append("\(path): more than 256 lines; the rest was not read")
          break
        }
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let count = Int64(parts[1]), count >= 0,
          parts[0].utf8.count <= 64, parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
        else {
          problems.append("\(path) line \(n + 1): '\(Self.printable(line.prefix(80)))' is not 'NAME count'")
          continue
        }
        counts.append((String(parts[0]), count))
      }
    }
  }

  /// The AER capability's registers.
  public struct Registers: Equatable, Sendable {
    public let uncorrectableStatus: UInt32
    public let uncorrectableMask: UInt32
    public let uncorrectableSeverity: UInt32
    public let correctableStatus: UInt32
    public let correctableMask: UInt32
  }

  /// Register offsets inside the AER capability.
  static let uncorrectableStatus = 0x04
  static let uncorrectableMask = 0x08
  static let uncorrectableSeverity = 0x0C
  static let correctableStatus = 0x10
  static let correctableMask = 0x14
}

extension PCIConfigSpace {
  /// The AER registers, or nil when the device has no AER capability.
  public func aerRegisters() throws -> PCIAER.Registers? {
    guard let cap = try find(0x01, extended: true) else { return nil }
    return PCIAER.Registers(
      uncorrectableStatus: try read32(cap + PCIAER.uncorrectableStatus),
      uncorrectableMask: try read32(cap + PCIAER.uncorrectableMask),
      uncorrectableSeverity: try read32(cap + PCIAER.uncorrectableSeverity),
      correctableStatus: try read32(cap + PCIAER.correctableStatus),
      correctableMask: try read32(cap + PCIAER.correctableMask))
  }

  /// Writes the masks given (nil: left as it is); returns both masks as they were and as they
  /// read back now (bits a device does not implement stay 0; some emulations, e.g. QEMU before
  /// 8.0, keep the whole uncorrectable mask read-only).
  public func setAERMasks(uncorrectable: UInt32?, correctable: UInt32?) throws
    -> (before: (uncorrectable: UInt32, correctable: UInt32), now: (uncorrectable: UInt32, correctable: UInt32))
  {
    guard let cap = try find(0x01, extended: true) else {
      throw PCIConfigError.noCapability(name: "AER (Advanced Error Reporting)", path: path)
    }
    let before = (try read32(cap + PCIAER.uncorrectableMask), try read32(cap + PCIAER.correctableMask))
    if let uncorrectable { try write(cap + PCIAER.uncorrectableMask, width: 4, value: uncorrectable) }
    if let correctable { try write(cap + PCIAER.correctableMask, width: 4, value: correctable) }
    return (before, (try read32(cap + PCIAER.uncorrectableMask), try read32(cap + PCIAER.correctableMask)))
  }

  /// The Device Serial Number as 16 hex digits (upper dword first, as lspci prints its
  /// bytes), or nil when the device has none.
  public func serialNumber() throws -> String? {
    guard let cap = try find(0x03, extended: true) else { return nil }
    let lower = try read32(cap + 4)
    let upper = try read32(cap + 8)
    return hex(upper, width: 8) + hex(lower, width: 8)
  }
}

extension PCISysfs {
  /// The kernel's AER counters of `addr` (`aer_dev_correctable`, `aer_dev_nonfatal`,
  /// `aer_dev_fatal`); a file the kernel did not create (no AER, or AER not enabled) is nil.
  public func aerCounters(_ addr: PCIAddress) throws -> (
    correctable: PCIAER.Counters?, nonfatal: PCIAER.Counters?, fatal: PCIAER.Counters?
  ) {
    guard try exists(addr) else { throw PCIError.noDevice(addr, root: root) }
    func read(_ name: String) throws -> PCIAER.Counters? {
      let file = "\(path(addr))/\(name)"
      return try SysfsFiles.readTextIfPresent(file).map { PCIAER.Counters(text: $0, path: file) }
    }
    return (try read("aer_dev_correctable"), try read("aer_dev_nonfatal"), try read("aer_dev_fatal"))
  }
}
