/// Which driver a filter asks for.
public enum PCIDriverFilter: Equatable, Sendable {
  /// Bound to the driver with this name (e.g. `"vfio-pci"`).
  case name(String)
  /// No driver bound (Lua's `driver = false`). Not called `.none`, which would be ambiguous
  /// with `Optional.none` in a `PCIDriverFilter?`.
  case unbound
}

/// Selects devices. Every key is optional; the keys given must all match (AND).
public struct PCIFilter: Equatable, Sendable {
  public var addr: PCIAddress?
  public var vendor: UInt16?
  public var device: UInt16?
  public var subvendor: UInt16?
  public var subdevice: UInt16?
  /// A 24-bit class code, or (when ≤ 0xFFFF) a 16-bit base class + subclass matched against
  /// `class >> 8`: `0x0200` selects every Ethernet controller whatever its programming
  /// interface.
  public var `class`: UInt32?
  public var driver: PCIDriverFilter?

}

extension PCIFilter {
  /// A filter that matches every device: start from it and set the keys wanted.
  public static let any = PCIFilter()

  /// True when every key given matches `info`.
  public func matches(_ info: PCIDeviceInfo) -> Bool {
    if let addr, addr != info.addr { return false }
    if let vendor, vendor != info.vendor { return false }
    if let device, device != info.device { return false }
    if let subvendor, subvendor != info.subvendor { return false }
    if let subdevice, subdevice != info.subdevice { return false }
    if let classCode = self.class {
      let actual = classCode <= 0xFFFF ? info.class >> 8 : info.class
      if actual != classCode { return false }
    }
    switch driver {
    case nil: break
    case .unbound?: if info.driver != nil { return false }
    case .name(let name)?: if info.driver != name { return false }
    }
    return true
  }

  /// False only when a field that could be read of an unreadable device rules it out; fields
  /// that could not be read never exclude it (a broken device must not vanish from a listing).
  public func mightMatch(_ bad: PCIUnreadableDevice) -> Bool {
    if let addr, addr != bad.addr { return false }
    if let vendor, let known = bad.vendor, vendor != known { return false }
    if let device, let known = bad.device, device != known { return false }
    if let classCode = self.class, let known = bad.class {
      if (classCode <= 0xFFFF ? known >> 8 : known) != classCode { return false }
    }
    switch driver {
    case nil: break
    case .unbound?: if bad.driver != nil { return false }
    case .name(let name)?: if bad.driver != name { return false }
    }
    return true
  }

  /// Parses a command-line device selector, as the seed's dump_info takes them:
  /// `dom:bus:dev.func` or `bus:dev.func` (an address), `vendor:device`, or `vendor`, in hex
  /// (an optional `0x` prefix on ids is accepted).
  public init(parsing text: String) throws {
    self.init()
    let expected = "expected dom:bus:dev.func, bus:dev.func, vendor:device or vendor (hex)"
    if text.contains(".") {
      do {
        addr = try PCIAddress(text)
      } catch let error as PCIError {
        if case .badAddress(_, let reason?) = error {
          throw PCIError.badFilter(text: text, reason: "\(expected); \(reason)")
        }
        throw PCIError.badFilter(text: text, reason: expected)
      }
      return
    }
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count <= 2 else { throw PCIError.badFilter(text: text, reason: expected) }
    guard let vendor = PCIFilter.id(parts[0]) else {
      throw PCIError.badFilter(text: text, reason: expected)
    }
    self.vendor = vendor
    if parts.count == 2 {
      guard let device = PCIFilter.id(parts[1]) else {
        throw PCIError.badFilter(text: text, reason: expected)
      }
      self.device = device
    }
  }

  /// A 16-bit hex id of 1–4 digits, optionally with `0x`.
  static func id(_ text: Substring) -> UInt16? {
    let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? text.dropFirst(2) : text
    return PCIAddress.parseHex(digits, maxDigits: 4).map { UInt16($0) }
  }
}
