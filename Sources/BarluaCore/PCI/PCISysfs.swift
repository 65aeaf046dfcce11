#if canImport(Glibc)
  import Glibc
#endif

/// PCI discovery through sysfs; needs no privileges.
///
/// `root` is the devices directory (default `/sys/bus/pci/devices`); tests point it at a
/// captured tree (see `scripts/dev/capture-sysfs-fixture.sh`). Every file is read under
/// `root/ADDR/`, and links (`driver`, `iommu_group`) are followed as the kernel made them.
public struct PCISysfs: Sendable {
  /// The environment variable that replaces `/sys/bus/pci/devices` as the default root: a
  /// testing and debugging aid that points barlua (scripts included) at a captured tree such
  /// as `Tests/BarluaCoreTests/Fixtures/pci/xilinx-7024/bus/pci/devices`.
  public static let rootVariable = "BARLUA_SYSFS_PCI"

  /// `$BARLUA_SYSFS_PCI` when set and not empty, else `/sys/bus/pci/devices`.
  public static var defaultRoot: String {
    guard let value = getenv(rootVariable), value.pointee != 0 else { return "/sys/bus/pci/devices" }
    var root = String(cString: value)
    while root.count > 1, root.hasSuffix("/") { root.removeLast() }
    return root
  }

  public let root: String
  public let names: PCINameDatabase

  public init(root: String = PCISysfs.defaultRoot, names: PCINameDatabase = .system) {
    self.root = root
    self.names = names
  }

  /// Every device matching `filter` that could be read, sorted by address. Directory entries
  /// that are not PCI addresses are ignored; devices whose sysfs files cannot be read or hold
  /// malformed text are left out (`entries(filter:)` reports them).
  public func devices(filter: PCIFilter = .any) throws -> [PCIDeviceInfo] {
    try entries(filter: filter).compactMap(\.info)
  }

  /// Every device matching `filter`, sorted by address: its information, or why it could not
  /// be read. One malformed device never hides the others: it is an `.unreadable` entry, kept
  /// when the fields that could be read do not rule the filter out. Throws only when `root`
  /// itself cannot be listed.
  public func entries(filter: PCIFilter = .any) throws -> [PCIDeviceEntry] {
    let addresses: [PCIAddress]
    if let addr = filter.addr {
      addresses = try SysfsFiles.exists(path(addr)) ? [addr] : []
    } else {
      addresses = try SysfsFiles.list(root).compactMap { try? PCIAddress($0) }.sorted()
    }
    return addresses.compactMap { addr in
      do {
        let info = try read(addr)
        return filter.matches(info) ? .readable(info) : nil
      } catch {
        let bad = unreadable(addr, error)
        return filter.mightMatch(bad) ? .unreadable(bad) : nil
      }
    }
  }

  /// What can still be read of a device whose full read failed with `error`.
  private func unreadable(_ addr: PCIAddress, _ error: Error) -> PCIUnreadableDevice {
    let dir = path(addr)
    return PCIUnreadableDevice(
      addr: addr, problem: "\(error)",
      vendor: try? SysfsFiles.readHex("\(dir)/vendor", as: UInt16.self),
      device: try? SysfsFiles.readHex("\(dir)/device", as: UInt16.self),
      class: try? SysfsFiles.readHex("\(dir)/class", as: UInt32.self),
      driver: (try? driver(addr)) ?? nil)
  }

  /// The device at `addr`; `PCIError.noDevice` when sysfs does not have it. `names` false
  /// leaves `vendorName` and `deviceName` nil and libpci unloaded (for callers that need
  /// only the device's own files: opening, mapping).
  public func device(_ addr: PCIAddress, names: Bool = true) throws -> PCIDeviceInfo {
    guard try SysfsFiles.exists(path(addr)) else { throw PCIError.noDevice(addr, root: root) }
    return try read(addr, names: names)
  }

  /// The device's sysfs directory.
  public func path(_ addr: PCIAddress) -> String { "\(root)/\(addr)" }

  /// Whether sysfs has the device.
  public func exists(_ addr: PCIAddress) throws -> Bool { try SysfsFiles.exists(path(addr)) }

  /// The bus's `drivers_probe` file (`/sys/bus/pci/drivers_probe`), which binds a device to
  /// the driver its `driver_override` names.
  public var driversProbePath: String {
    let suffix = "/devices"
    return root.hasSuffix(suffix) ? "\(root.dropLast(suffix.count))/drivers_probe" : "\(root)/../drivers_probe"
  }

  func read(_ addr: PCIAddress, names withNames: Bool = true) throws -> PCIDeviceInfo {
    let dir = path(addr)
    let vendor = try SysfsFiles.readHex("\(dir)/vendor", as: UInt16.self)
    let device = try SysfsFiles.readHex("\(dir)/device", as: UInt16.self)
    let classCode = try SysfsFiles.readHex("\(dir)/class", as: UInt32.self)
    guard classCode <= 0xFF_FFFF else {
      throw SystemError(
        content: "\(dir)/class", text: "0x\(hex(classCode))",
        expected: "a 24-bit class code")
    }
    let config = try SysfsFiles.readBytes("\(dir)/config", limit: 64)
    guard config.count >= 16 else {
      throw SystemError(
        content: "\(dir)/config", text: "\(config.count) bytes",
        expected: "at least the 16-byte common configuration header")
    }
    let resourcePath = "\(dir)/resource"
    let names: (vendor: String?, device: String?) =
      withNames ? self.names.names(vendor: vendor, device: device) : (nil, nil)
    return PCIDeviceInfo(
      addr: addr, vendor: vendor, device: device,
      subvendor: try SysfsFiles.readHex("\(dir)/subsystem_vendor", as: UInt16.self),
      subdevice: try SysfsFiles.readHex("\(dir)/subsystem_device", as: UInt16.self),
      class: classCode,
      revision: try SysfsFiles.readHex("\(dir)/revision", as: UInt8.self),
      vendorName: names.vendor, deviceName: names.device,
      driver: try driver(addr),
      iommuGroup: try iommuGroup(addr),
      numaNode: try SysfsFiles.readIntIfPresent("\(dir)/numa_node") ?? -1,
      headerType: config[0x0E] & 0x7F,
      command: PCICommand(register: UInt16(config[4]) | UInt16(config[5]) << 8),
      link: try link(dir),
      bars: try PCIBar.parseResource(SysfsFiles.readText(resourcePath), path: resourcePath).map {
        var bar = $0
        bar.sysfsWC = try SysfsFiles.exists("\(dir)/resource\(bar.index)_wc")
        return bar
      })
  }

  private func link(_ dir: String) throws -> PCILink? {
    guard let speed = try SysfsFiles.readTextIfPresent("\(dir)/current_link_speed"),
      let maxSpeed = try SysfsFiles.readTextIfPresent("\(dir)/max_link_speed"),
      let width = try SysfsFiles.readIntIfPresent("\(dir)/current_link_width"),
      let maxWidth = try SysfsFiles.readIntIfPresent("\(dir)/max_link_width")
    else { return nil }
    return PCILink(speed: speed, width: width, maxSpeed: maxSpeed, maxWidth: maxWidth)
  }
}
