/// One implemented Base Address Register, decoded from the sysfs `resource` file.
public struct PCIBar: Equatable, Sendable {
  /// BAR number, 0–5.
  public let index: Int
  /// Physical (CPU) address of the BAR.
  public let base: UInt64
  /// Size in bytes.
  public let size: UInt64
  /// An I/O-port BAR (else memory).
  public let io: Bool
  public let prefetchable: Bool
  /// A 64-bit memory BAR (it occupies this BAR number and the next).
  public let is64: Bool
  /// Sysfs offers `resourceN_wc` for this BAR: the kernel creates that file only where it lets
  /// the BAR be mapped write-combining. Read from the file's presence (`PCISysfs`), never
  /// derived from the flags; false for a BAR decoded from `resource` text alone.
  public var sysfsWC: Bool = false
}

extension PCIBar {

  // Resource flags from include/linux/ioport.h, as `resource` prints them.
  static let ioresourceIO: UInt64 = 0x100
  static let ioresourceMem: UInt64 = 0x200
  static let ioresourcePrefetch: UInt64 = 0x2000
  static let ioresourceMem64: UInt64 = 0x10_0000

  /// Decodes one `resource` line's start, end and flags; nil for an unimplemented BAR and for
  /// a range whose size does not fit 64 bits (`0x0 0xffffffffffffffff`: no BAR is 2^64 bytes;
  /// `parseResource` reports such a line).
  public init?(index: Int, start: UInt64, end: UInt64, flags: UInt64) {
    guard end != 0, end >= start, flags & (PCIBar.ioresourceIO | PCIBar.ioresourceMem) != 0
    else { return nil }
    let (size, overflow) = (end - start).addingReportingOverflow(1)
    guard !overflow else { return nil }
    self.init(
      index: index, base: start, size: size,
      io: flags & PCIBar.ioresourceIO != 0,
      prefetchable: flags & PCIBar.ioresourcePrefetch != 0,
      is64: flags & PCIBar.ioresourceMem64 != 0)
  }

  /// Decodes a sysfs `resource` file: one `0x%016llx 0x%016llx 0x%016llx` (start end flags)
  /// line per resource. Lines 0–5 are the BARs (line 6 is the expansion ROM, later lines are
  /// bridge windows or SR-IOV BARs); all-zero lines are unimplemented BARs and are omitted.
  /// `path` only names the file in errors.
  public static func parseResource(_ text: String, path: String) throws -> [PCIBar] {
    var bars: [PCIBar] = []
    let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
    for (index, line) in lines.prefix(6).enumerated() {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      let numbers = fields.compactMap { field -> UInt64? in
        guard field.hasPrefix("0x") else { return nil }
        return UInt64(field.dropFirst(2), radix: 16)
      }
      guard fields.count == 3, numbers.count == 3 else {
        throw SystemError(content: path, text: String(line), expected: "three hex numbers: start end flags")
      }
      let (start, end) = (numbers[0], numbers[1])
      if end >= start, end - start == UInt64.max {
        throw SystemError(content: path, text: String(line), expected: "a range of at most 2^64-1 bytes")
      }
      if let bar = PCIBar(index: index, start: start, end: end, flags: numbers[2]) {
        bars.append(bar)
      }
    }
    return bars
  }
}
