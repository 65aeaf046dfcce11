import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// One device a bus or slot reset of a VFIO device would hit
/// (`VFIO_DEVICE_GET_PCI_HOT_RESET_INFO`).
public struct VFIOHotResetDevice: Equatable, Sendable {
  public let address: PCIAddress
  public let group: Int
  /// Whether this process holds the device's group open (needed for the reset).
  public let held: Bool
}

extension VFIODevice {
  /// Every device a hot reset of this one would hit, this one included.
  public func hotResetInfo() throws -> [VFIOHotResetDevice] {
    try checkOpen()
    let header = MemoryLayout<vfio_pci_hot_reset_info>.size
    let entry = MemoryLayout<vfio_pci_dependent_device>.stride
    var count = 8
    while true {
      var buffer = [UInt8](repeating: 0, count: header + count * entry)
      let size = UInt32(buffer.count)
      let result: Result<Int, SystemError> = buffer.withUnsafeMutableBytes { raw in
        raw.storeBytes(of: size, toByteOffset: 0, as: UInt32.self)
        do {
          try VFIOIoctl.call(
            fd, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", BARLUA_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
            raw.baseAddress!)
          return .success(0)
        } catch let e as SystemError {
          return .failure(e)
        } catch {
          return .success(0)
        }
      }
      let answered = Int(buffer.withUnsafeBytes { $0.load(fromByteOffset: 8, as: UInt32.self) })
      if case .failure(let e) = result {
        if e.errno == ENOSPC, answered > count, answered < 4096 {
          count = answered
          continue
        }
        var e = e
        if e.errno == ENODEV { e.hint = "the kernel cannot reset this device with its bus or slot" }
        throw e
      }
      let held = Set(VFIORegistry.shared.heldGroups().map(\.number))
      return try (0..<min(answered, count)).map { i in
        let d = buffer.withUnsafeBytes {
          $0.loadUnaligned(fromByteOffset: header + i * entry, as: vfio_pci_dependent_device.self)
        }
        let bus = UInt8(d.bus)
        let devfn = UInt8(d.devfn)
        let addr = try PCIAddress(
          domain: UInt32(d.segment), bus: bus, slot: devfn >> 3, function: devfn & 7)
        let group = Int(d.group_id)
        return VFIOHotResetDevice(address: addr, group: group, held: held.contains(group))
      }
    }
  }

  /// `VFIO_DEVICE_PCI_HOT_RESET` with the group of every device it hits; refuses, listing
  /// them, when a device it would hit has no group this process holds.
  public func hotReset() throws {
    let hits = try hotResetInfo()
    let unheld = hits.filter { !$0.held }
    if !unheld.isEmpty {
      throw PCILifecycleError.hotResetUnheld(
        address, devices: unheld.map { "\($0.address) (group \($0.group))" })
    }
    let groups = Set(hits.map(\.group))
    let fds = VFIORegistry.shared.heldGroups().filter { groups.contains($0.number) }.map(\.fd)
    let header = MemoryLayout<vfio_pci_hot_reset>.size
    var buffer = [UInt8](repeating: 0, count: header + fds.count * 4)
    try buffer.withUnsafeMutableBytes { raw in
      raw.storeBytes(of: UInt32(raw.count), toByteOffset: 0, as: UInt32.self)
      raw.storeBytes(of: UInt32(fds.count), toByteOffset: 8, as: UInt32.self)
      for (i, fd) in fds.enumerated() { raw.storeBytes(of: fd, toByteOffset: header + 4 * i, as: Int32.self) }
      try VFIOIoctl.call(fd, "VFIO_DEVICE_PCI_HOT_RESET", BARLUA_VFIO_DEVICE_PCI_HOT_RESET, raw.baseAddress!)
    }
  }
}
