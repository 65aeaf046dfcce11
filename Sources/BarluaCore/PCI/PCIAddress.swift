/// A PCI function's address, as sysfs writes it: `DDDD:BB:SS.F` (hex), e.g. `0000:15:00.0`.
/// `BB:SS.F` means domain 0. Sorts by domain, bus, slot, function.
public struct PCIAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
  public let domain: UInt32
  public let bus: UInt8
  public let slot: UInt8
  public let function: UInt8

  /// Short name matching the API's `func` field.
  public var `func`: UInt8 { function }

  public init(domain: UInt32 = 0, bus: UInt8, slot: UInt8, function: UInt8) throws {
    guard slot <= 0x1f, function <= 7 else {
      let text = "\(PCIAddress.format(domain, bus, slot, function))"
      throw PCIError.badAddress(
        text: text, reason: slot > 0x1f ? "slot is above 0x1f" : "function is above 7")
    }
    self.domain = domain
    self.bus = bus
    self.slot = slot
    self.function = function
  }

  /// Parses `DDDD:BB:SS.F` or `BB:SS.F`. The domain takes up to 8 hex digits (VMD domains
  /// have 5), bus and slot up to 2, the function 1.
  public init(_ text: String) throws {
    let bad = { (reason: String?) in PCIError.badAddress(text: text, reason: reason) }
    let dot = text.split(separator: ".", omittingEmptySubsequences: false)
    guard dot.count == 2 else { throw bad(nil) }
    let parts = dot[0].split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2 || parts.count == 3 else { throw bad(nil) }
    let domainText = parts.count == 3 ? parts[0] : "0"
    guard let domain = PCIAddress.parseHex(domainText, maxDigits: 8),
      let bus = PCIAddress.parseHex(parts[parts.count - 2], maxDigits: 2),
      let slot = PCIAddress.parseHex(parts[parts.count - 1], maxDigits: 2),
      let function = PCIAddress.parseHex(dot[1], maxDigits: 1)
    else { throw bad(nil) }
    guard slot <= 0x1f else { throw bad("slot 0x\(hex(slot)) is above 0x1f") }
    guard function <= 7 else { throw bad("function \(function) is above 7") }
    self.domain = UInt32(domain)
    self.bus = UInt8(bus)
    self.slot = UInt8(slot)
    self.function = UInt8(function)
  }

  /// The sysfs form, `0000:15:00.0`.
  public var description: String { PCIAddress.format(domain, bus, slot, function) }

  public static func < (a: PCIAddress, b: PCIAddress) -> Bool {
    (a.domain, a.bus, a.slot, a.function) < (b.domain, b.bus, b.slot, b.function)
  }

  static func parseHex<S: StringProtocol>(_ text: S, maxDigits: Int) -> UInt64? {
    guard !text.isEmpty, text.count <= maxDigits, text.allSatisfy(\.isHexDigit) else {
      return nil
    }
    return UInt64(text, radix: 16)
  }

  static func format(_ domain: UInt32, _ bus: UInt8, _ slot: UInt8, _ function: UInt8) -> String {
    "\(hex(domain, width: 4)):\(hex(bus, width: 2)):\(hex(slot, width: 2))"
      + ".\(hex(function))"
  }
}
