/// A device leaving and coming back: `remove`, `rescan` (the whole bus or below one bridge),
/// and waiting for a device (and its driver) to appear.
public struct PCIPresence: Sendable {
  public var binding: PCIDriverBinding
  public var sysfs: PCISysfs { binding.sysfs }

  public init(binding: PCIDriverBinding = PCIDriverBinding()) { self.binding = binding }

  /// Removes the device from the kernel's view (`remove`). Refuses bridges and ports, and a
  /// device in use unless `force`.
  public func remove(_ addr: PCIAddress, force: Bool = false) throws {
    guard try sysfs.exists(addr) else { throw PCIError.noDevice(addr, root: sysfs.root) }
    try binding.refuseBridge(addr, action: "remove")
    if try sysfs.driver(addr) != nil { try binding.refuseInUse(addr, action: "remove", force: force) }
    try SysfsWrite.write("\(sysfs.path(addr))/remove", "1")
    if try sysfs.exists(addr) { throw PCILifecycleError.stillPresent(addr) }
  }

  /// Rescans the whole bus (`bridge` nil) or the bus below `bridge` (its `pci_bus/*/rescan`).
  public func rescan(below bridge: PCIAddress? = nil) throws {
    guard let bridge else {
      try SysfsWrite.write("\(binding.busPath)/rescan", "1")
      return
    }
    guard try sysfs.exists(bridge) else { throw PCIError.noDevice(bridge, root: sysfs.root) }
    let dir = "\(sysfs.path(bridge))/pci_bus"
    guard try SysfsFiles.exists(dir), let bus = try SysfsFiles.list(dir).sorted().first else {
      throw PCILifecycleError.notABridge(bridge)
    }
    try SysfsWrite.write("\(dir)/\(bus)/rescan", "1")
  }

  /// Waits up to `timeout` seconds for a readable device matching `filter` (bound to `driver`
  /// when given); nil at the time-out.
  public func wait(for filter: PCIFilter, driver: String? = nil, timeout: Double) throws -> PCIDeviceInfo? {
    try PCIWaiter.until(timeout: timeout, interval: 0.02) {
      try sysfs.entries(filter: filter).lazy.compactMap(\.info).first { info in
        driver == nil || info.driver == driver
      }
    }
  }
}
