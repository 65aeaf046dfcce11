/// The I/O, memory and bus-master enable bits of a device's command register (config offset 4).
public struct PCICommand: Equatable, Sendable {
  public let io: Bool
  public let mem: Bool
  public let busMaster: Bool

  public init(io: Bool, mem: Bool, busMaster: Bool) {
    self.io = io
    self.mem = mem
    self.busMaster = busMaster
  }

  /// Decodes bits 0 (I/O space), 1 (memory space) and 2 (bus master) of the register.
  public init(register: UInt16) {
    self.init(io: register & 1 != 0, mem: register & 2 != 0, busMaster: register & 4 != 0)
  }
}

/// A PCIe link's state, from the sysfs `current_link_*` and `max_link_*` files.
///
/// Speeds are kept as the kernel writes them (`"8.0 GT/s PCIe"`, or `"Unknown"` when the
/// kernel cannot tell) so nothing is lost, and also as a number of GT/s for comparisons
/// (`speedGTs < maxSpeedGTs` means the link trained below its maximum); the number is nil
/// when the text does not start with one.
public struct PCILink: Equatable, Sendable {
  public let speed: String
  public let speedGTs: Double?
  public let width: Int
  public let maxSpeed: String
  public let maxSpeedGTs: Double?
  public let maxWidth: Int

  public init(speed: String, width: Int, maxSpeed: String, maxWidth: Int) {
    self.speed = speed
    self.speedGTs = PCILink.gigatransfers(speed)
    self.width = width
    self.maxSpeed = maxSpeed
    self.maxSpeedGTs = PCILink.gigatransfers(maxSpeed)
    self.maxWidth = maxWidth
  }

  /// 8.0 for `"8.0 GT/s PCIe"` (older kernels omit " PCIe"); nil for `"Unknown"`.
  public static func gigatransfers(_ speed: String) -> Double? {
    let parts = speed.split(separator: " ")
    guard parts.count >= 2, parts[1] == "GT/s", let value = Double(parts[0]) else { return nil }
    return value
  }
}

/// Everything discovery knows about one PCI function. Field names follow the Lua API's
/// device-info table (`vendorName` is `vendor_name`, and so on). Only discovery (`PCISysfs`)
/// makes one, so it has no public initialiser.
public struct PCIDeviceInfo: Equatable, Sendable {
  public let addr: PCIAddress
  public var domain: UInt32 { addr.domain }
  public var bus: UInt8 { addr.bus }
  public var slot: UInt8 { addr.slot }
  public var function: UInt8 { addr.function }
  /// The API's name for `function`.
  public var `func`: UInt8 { addr.function }

  public let vendor: UInt16
  public let device: UInt16
  public let subvendor: UInt16
  public let subdevice: UInt16
  /// 24-bit class code: base class, subclass, programming interface (`0x020000`).
  public let `class`: UInt32
  public let revision: UInt8
  /// From the system pci.ids; nil when it does not know the id (or is missing).
  public let vendorName: String?
  public let deviceName: String?
  /// The bound driver's name; nil when no driver is bound.
  public let driver: String?
  /// The IOMMU group number; nil when the device has none (IOMMU off).
  public let iommuGroup: Int?
  /// NUMA node, -1 when the platform does not say.
  public let numaNode: Int
  /// Configuration header type, without the multi-function bit (0 device, 1 bridge).
  public let headerType: UInt8
  public let command: PCICommand
  /// nil when the device is not PCIe (no link files).
  public let link: PCILink?
  /// Implemented BARs only, by increasing index.
  public let bars: [PCIBar]

  /// The BAR with that number, if implemented.
  public func bar(_ index: Int) -> PCIBar? { bars.first { $0.index == index } }
}

/// A device that discovery found but could not read: its address, what went wrong, and the
/// identity fields that could still be read (nil when they could not).
public struct PCIUnreadableDevice: Equatable, Sendable {
  public let addr: PCIAddress
  /// Why the device could not be read (the file, its text and what was expected).
  public let problem: String
  public let vendor: UInt16?
  public let device: UInt16?
  public let `class`: UInt32?
  public let driver: String?
}

/// One device of a discovery pass: read in full, or reported with its problem.
public enum PCIDeviceEntry: Equatable, Sendable {
  case readable(PCIDeviceInfo)
  case unreadable(PCIUnreadableDevice)

  public var addr: PCIAddress {
    switch self {
    case .readable(let info): info.addr
    case .unreadable(let bad): bad.addr
    }
  }

  /// The device's information, nil for an unreadable device.
  public var info: PCIDeviceInfo? {
    if case .readable(let info) = self { return info }
    return nil
  }
}
