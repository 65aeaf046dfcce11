/// One entry of a device's standard (config space 0x40-0xFF) or extended (0x100-0xFFF)
/// capability list.
public struct PCICapability: Equatable, Sendable {
  public let id: Int
  public let offset: Int
  /// The capability's own version, where its header has one: extended capabilities (bits
  /// 19:16), the PCI Express capability (Capabilities register bits 3:0), power management
  /// (PMC bits 2:0); else nil.
  public let version: Int?
  public let extended: Bool

  public init(id: Int, offset: Int, version: Int?, extended: Bool) {
    self.id = id
    self.offset = offset
    self.version = version
    self.extended = extended
  }

  /// barlua's short name (`express`, `msix`, `aer`, `dsn`, ...), nil for an id it does not know.
  public var name: String? { (extended ? Self.extendedNames : Self.standardNames)[id] }

  /// Capability IDs (PCI Code and ID Assignment Specification) by barlua's names.
  public static let standardNames: [Int: String] = [
    0x01: "pm", 0x02: "agp", 0x03: "vpd", 0x04: "slot_id", 0x05: "msi", 0x06: "hot_swap",
    0x07: "pcix", 0x08: "hypertransport", 0x09: "vendor", 0x0A: "debug_port", 0x0B: "cpci_rc",
    0x0C: "hotplug", 0x0D: "ssvid", 0x0E: "agp8x", 0x0F: "secure", 0x10: "express", 0x11: "msix",
    0x12: "sata", 0x13: "af", 0x14: "ea", 0x15: "fpb",
  ]

  /// Extended capability IDs by barlua's names.
  public static let extendedNames: [Int: String] = [
    0x00: "null", 0x01: "aer", 0x02: "vc", 0x03: "dsn", 0x04: "power_budget", 0x05: "rclink",
    0x06: "rcilink", 0x07: "rcec_assoc", 0x08: "mfvc", 0x09: "vc9", 0x0A: "rcrb", 0x0B: "vsec",
    0x0C: "cac", 0x0D: "acs", 0x0E: "ari", 0x0F: "ats", 0x10: "sriov", 0x11: "mriov",
    0x12: "multicast", 0x13: "pri", 0x15: "rebar", 0x16: "dpa", 0x17: "tph", 0x18: "ltr",
    0x19: "secondary_pcie", 0x1A: "pmux", 0x1B: "pasid", 0x1C: "lnr", 0x1D: "dpc", 0x1E: "l1ss",
    0x1F: "ptm", 0x20: "mpcie", 0x21: "frs", 0x22: "rtr", 0x23: "dvsec", 0x24: "vf_rebar",
    0x25: "dlf", 0x26: "pl_16gt", 0x27: "lane_margining", 0x28: "hierarchy_id", 0x29: "npem",
    0x2A: "pl_32gt", 0x2B: "alt_protocol", 0x2C: "sfi", 0x2D: "shadow_functions", 0x2E: "doe",
    0x2F: "device_3", 0x30: "ide", 0x31: "pl_64gt",
  ]

  /// The id and list of a name (`"aer"` → 0x01, extended), or nil.
  public static func id(named name: String) -> (id: Int, extended: Bool)? {
    if let id = standardNames.first(where: { $0.value == name })?.key { return (id, false) }
    if let id = extendedNames.first(where: { $0.value == name })?.key { return (id, true) }
    return nil
  }
}

/// What a walk of one list found: every entry before the list ended or broke, and why it broke.
public struct PCICapabilityWalk: Sendable {
  public var capabilities: [PCICapability] = []
  /// Why the walk stopped early (a loop, a bad pointer, a failed read), or nil.
  public var error: (any Error & Sendable)?
}

extension PCIConfigSpace {
  /// Walks one list. Every entry is visited at most once (a pointer back to an entry seen is
  /// a loop), so the walk ends after at most 48 standard or 960 extended entries.
  public func walk(_ list: PCIConfigError.List) -> PCICapabilityWalk {
    var walk = PCICapabilityWalk()
    do {
      switch list {
      case .standard: try walkStandard(&walk)
      case .extended: try walkExtended(&walk)
      }
    } catch let e as PCIConfigError {
      walk.error = e
    } catch let e as SystemError {
      walk.error = e
    } catch {
      walk.error = SystemError(content: path, text: "\(error)", expected: "config space")
    }
    return walk
  }

  private func walkStandard(_ walk: inout PCICapabilityWalk) throws {
    // Status bit 4: the device has a capability list.
    guard try read16(0x06) & 0x10 != 0 else { return }
    // CardBus bridges (header type 2) keep the pointer at 0x14.
    let pointerRegister = try read8(0x0E) & 0x7F == 2 ? 0x14 : 0x34
    var from = pointerRegister
    var next = Int(try read8(pointerRegister)) & ~3
    var seen = Set<Int>()
    while next != 0 {
      guard next >= 0x40 else {
        throw PCIConfigError.pointerIntoHeader(list: .standard, from: from, to: next, path: path)
      }
      guard next + 2 <= size else {
        throw PCIConfigError.pointerPastEnd(
          list: .standard, from: from, to: next, size: size, fullSize: fullSize, path: path)
      }
      guard seen.insert(next).inserted else {
        throw PCIConfigError.capabilityLoop(list: .standard, from: from, to: next, path: path)
      }
      let header = try read16(next)
      let id = Int(header & 0xFF)
      if id == 0xFF {
        throw PCIConfigError.brokenEntry(list: .standard, offset: next, header: UInt32(header), path: path)
      }
      var version: Int?
      if id == 0x10 || id == 0x01, next + 4 <= size {
        let word = try read16(next + 2)
        version = Int(id == 0x10 ? word & 0xF : word & 0x7)
      }
      walk.capabilities.append(PCICapability(id: id, offset: next, version: version, extended: false))
      from = next + 1
      next = Int(header >> 8) & ~3
    }
  }

  private func walkExtended(_ walk: inout PCICapabilityWalk) throws {
    guard size > 0x100 else { return }
    var from = 0x100
    var next = 0x100
    var seen = Set<Int>()
    while next != 0 {
      guard next >= 0x100 else {
        throw PCIConfigError.pointerIntoHeader(list: .extended, from: from, to: next, path: path)
      }
      guard next + 4 <= size else {
        throw PCIConfigError.pointerPastEnd(
          list: .extended, from: from, to: next, size: size, fullSize: fullSize, path: path)
      }
      guard seen.insert(next).inserted else {
        throw PCIConfigError.capabilityLoop(list: .extended, from: from, to: next, path: path)
      }
      let header = try read32(next)
      // An empty first header: the device has no extended capabilities (as Linux reads it).
      if header == 0 && next == 0x100 { return }
      if header == 0xFFFF_FFFF {
        throw PCIConfigError.brokenEntry(list: .extended, offset: next, header: header, path: path)
      }
      walk.capabilities.append(
        PCICapability(id: Int(header & 0xFFFF), offset: next, version: Int((header >> 16) & 0xF), extended: true))
      from = next
      next = Int(header >> 20) & ~3
    }
  }

  /// Both lists, standard first; throws the first list's error (after a loop or bad pointer
  /// nothing is certain).
  public func capabilities() throws -> [PCICapability] {
    var all: [PCICapability] = []
    for list in [PCIConfigError.List.standard, .extended] {
      let w = walk(list)
      if let e = w.error { throw e }
      all += w.capabilities
    }
    return all
  }

  /// The offset of the first capability `id` of one list, or nil. An entry found before the
  /// list breaks is returned; a broken list without it throws its error.
  public func find(_ id: Int, extended: Bool) throws -> Int? {
    let w = walk(extended ? .extended : .standard)
    if let c = w.capabilities.first(where: { $0.id == id }) { return c.offset }
    if let e = w.error { throw e }
    return nil
  }
}
