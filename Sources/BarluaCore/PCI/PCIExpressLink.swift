import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// The PCI Express capability's Device/Port Type (Capabilities register bits 7:4).
public struct PCIExpressPortType: Equatable, Sendable, CustomStringConvertible {
  public let code: Int

  public init(code: Int) { self.code = code }

  public static let rootPort = PCIExpressPortType(code: 4)
  public static let downstreamPort = PCIExpressPortType(code: 6)

  /// Root and switch downstream ports (and PCI-to-PCIe bridges) own the link below them:
  /// Link Disable, Retrain Link and the target speed are theirs.
  public var isDownstreamPort: Bool { code == 4 || code == 6 || code == 8 }

  /// Root Complex integrated endpoints and event collectors have no link.
  public var hasLink: Bool { code != 9 && code != 10 }

  public var description: String {
    switch code {
    case 0: "PCI Express endpoint"
    case 1: "legacy PCI Express endpoint"
    case 4: "root port"
    case 5: "switch upstream port"
    case 6: "switch downstream port"
    case 7: "PCI Express to PCI/PCI-X bridge"
    case 8: "PCI/PCI-X to PCI Express bridge"
    case 9: "Root Complex integrated endpoint"
    case 10: "Root Complex event collector"
    default: "device of PCI Express port type \(code)"
    }
  }
}

/// A link as the PCI Express capability shows it (Link Capabilities, Link Status).
public struct PCIExpressLink: Equatable, Sendable {
  /// Current speed in GT/s (nil for a code the specification does not define, e.g. 0 while
  /// the link is down).
  public let speed: Double?
  public let width: Int
  public let maxSpeed: Double?
  public let maxWidth: Int
  /// Link Status bit 11: the link is training.
  public let training: Bool
  /// Link Status bit 13: Data Link Layer Link Active (meaningful where Link Capabilities bit
  /// 20 says the port reports it).
  public let dllActive: Bool
  /// Link Capabilities bit 20.
  public let dllActiveReporting: Bool
  /// Link Control bit 4.
  public let disabled: Bool
  /// The device's Device/Port Type.
  public let portType: PCIExpressPortType
  /// Running below this device's maximum speed or width. Never for a downstream port: its
  /// maximum is the port's, and the device below may support less (lspci's "downgraded" rule).
  public var degraded: Bool {
    !portType.isDownstreamPort && (width < maxWidth || (speed ?? 0) < (maxSpeed ?? 0))
  }

  /// The speed codes of Link Status / Link Capabilities (1-6).
  public static func speed(code: Int) -> Double? {
    switch code {
    case 1: 2.5
    case 2: 5
    case 3: 8
    case 4: 16
    case 5: 32
    case 6: 64
    default: nil
    }
  }

  public static func code(speed: Double) -> Int? {
    (1...6).first { Self.speed(code: $0) == speed }
  }

  /// `2.5`, `8`: as lspci prints GT/s.
  public static func speedText(_ speed: Double) -> String {
    speed == speed.rounded() ? String(Int(speed)) : String(speed)
  }

  /// Decodes the three registers.
  public init(capabilities: UInt32, control: UInt16, status: UInt16, portType: PCIExpressPortType) {
    self.portType = portType
    speed = Self.speed(code: Int(status & 0xF))
    width = Int((status >> 4) & 0x3F)
    maxSpeed = Self.speed(code: Int(capabilities & 0xF))
    maxWidth = Int((capabilities >> 4) & 0x3F)
    training = status & (1 << 11) != 0
    dllActive = status & (1 << 13) != 0
    dllActiveReporting = capabilities & (1 << 20) != 0
    disabled = control & (1 << 4) != 0
  }
}

/// Register offsets inside the PCI Express capability.
enum PCIExpressRegister {
  static let capabilities = 0x02
  static let linkCapabilities = 0x0C
  static let linkControl = 0x10
  static let linkStatus = 0x12
  static let linkCapabilities2 = 0x2C
  static let linkControl2 = 0x30
}

/// What `retrain` ended with.
public enum PCIExpressRetrain: Equatable, Sendable {
  case trained(PCIExpressLink)
  /// Link Training was still set at the deadline.
  case timeout(PCIExpressLink)
  /// Ctrl-C or SIGTERM arrived (barlua_interrupt_pending says which).
  case interrupted
}

extension PCIConfigSpace {
  /// The PCI Express capability's offset, or nil for a conventional PCI device.
  public func expressCapability() throws -> Int? { try find(0x10, extended: false) }

  public func portType(at cap: Int) throws -> PCIExpressPortType {
    PCIExpressPortType(code: Int((try read16(cap + PCIExpressRegister.capabilities) >> 4) & 0xF))
  }

  /// The link, or nil when the device is not PCI Express or has no link (Root Complex
  /// integrated endpoints and event collectors).
  public func link() throws -> PCIExpressLink? {
    guard let cap = try expressCapability(), try portType(at: cap).hasLink else { return nil }
    return try link(at: cap)
  }

  func link(at cap: Int) throws -> PCIExpressLink {
    PCIExpressLink(
      capabilities: try read32(cap + PCIExpressRegister.linkCapabilities),
      control: try read16(cap + PCIExpressRegister.linkControl),
      status: try read16(cap + PCIExpressRegister.linkStatus), portType: try portType(at: cap))
  }

  /// The PCI Express capability of a downstream port, or why link control is not possible.
  func downstreamPort(upstream: @autoclosure () -> PCIAddress?) throws -> Int {
    guard let cap = try expressCapability() else { throw PCIConfigError.notPCIExpress(path: path) }
    let type = try portType(at: cap)
    guard type.isDownstreamPort else {
      throw PCIConfigError.notADownstreamPort(portType: type, upstream: upstream(), path: path)
    }
    return cap
  }

  /// The speeds (GT/s) the port supports: Link Capabilities 2's vector, or every speed up to
  /// the maximum where that register is zero (before PCIe 3.0).
  func supportedSpeeds(at cap: Int) throws -> [Double] {
    let vector = try read32(cap + PCIExpressRegister.linkCapabilities2) >> 1
    if vector & 0x7F != 0 {
      return (1...6).filter { vector & (1 << ($0 - 1)) != 0 }.compactMap { PCIExpressLink.speed(code: $0) }
    }
    let maxCode = Int(try read32(cap + PCIExpressRegister.linkCapabilities) & 0xF)
    return (1...max(1, min(maxCode, 6))).compactMap { PCIExpressLink.speed(code: $0) }
  }

  /// Retrains the link below a downstream port: with `speed`, Link Control 2's Target Link
  /// Speed first; then Retrain Link, then waits (1 ms polls, interruptible) until Link
  /// Training clears or `timeoutNs` passes. Throws when the device is not such a port.
  public func retrain(speed: Double?, timeoutNs: Int64, upstream: @autoclosure () -> PCIAddress?) throws
    -> PCIExpressRetrain
  {
    let cap = try downstreamPort(upstream: upstream())
    if let speed {
      let supported = try supportedSpeeds(at: cap)
      guard supported.contains(speed), let code = PCIExpressLink.code(speed: speed) else {
        throw PCIConfigError.unsupportedSpeed(speed: speed, supported: supported, path: path)
      }
      guard try read16(cap + PCIExpressRegister.capabilities) & 0xF >= 2 else {
        throw PCIConfigError.noTargetSpeed(path: path)
      }
      try updateChecked(
        "Link Control 2 Target Link Speed", cap + PCIExpressRegister.linkControl2, mask: 0xF, to: UInt32(code))
    }
    // Retrain Link (bit 5) always reads 0: setting it with the other bits as read is safe.
    try update(cap + PCIExpressRegister.linkControl, width: 2, mask: 1 << 5, to: 1 << 5)
    let deadline = barlua_monotonic_ns() + timeoutNs
    while true {
      let link = try link(at: cap)
      if !link.training { return .trained(link) }
      if barlua_monotonic_ns() >= deadline { return .timeout(link) }
      if barlua_sleep(1_000_000) != 0 { return .interrupted }
    }
  }

  /// `update` of a 16-bit register, then a read-back: the bits in `mask` must now hold `bits`.
  @discardableResult
  func updateChecked(_ name: String, _ offset: Int, mask: UInt32, to bits: UInt32) throws -> UInt32 {
    let before = try update(offset, width: 2, mask: mask, to: bits)
    let now = try read(offset, width: 2)
    guard now & mask == bits & mask else {
      throw PCIConfigError.writeIgnored(
        register: name, offset: offset, bits: mask, wrote: bits & mask, read: now & mask, path: path)
    }
    return before
  }

  /// Sets or clears Link Disable (Link Control bit 4) of a downstream port; returns whether it
  /// was set before.
  public func setLinkDisabled(_ disabled: Bool, upstream: @autoclosure () -> PCIAddress?) throws -> Bool {
    let cap = try downstreamPort(upstream: upstream())
    let before = try updateChecked(
      "Link Control Link Disable", cap + PCIExpressRegister.linkControl, mask: 1 << 4, to: disabled ? 1 << 4 : 0)
    return before & (1 << 4) != 0
  }
}

extension PCISysfs {
  /// The bridge or port directly above `addr` in the device tree (its sysfs directory's
  /// parent), or nil at a host bridge.
  public func parentBridge(of addr: PCIAddress) -> PCIAddress? {
    guard let real = realpath(path(addr), nil) else { return nil }
    defer { free(real) }
    let parts = String(cString: real).split(separator: "/")
    guard parts.count >= 2 else { return nil }
    return try? PCIAddress(String(parts[parts.count - 2]))
  }
}
