import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// A PCI device opened through VFIO: its regions, mappings of its BARs, its config space.
///
/// `open` finds the device's IOMMU group, opens (or reuses) the group and its container and
/// gets the device file. Mappings made by `map` are tracked weakly: `close()` (and deinit)
/// unmaps those still alive, a mapping dropped earlier has already unmapped itself. Keep the
/// device alive as long as its mappings are used. Use one device from one thread at a time
/// (the process-wide group/container registry itself is locked).
public final class VFIODevice: @unchecked Sendable {
  /// Full PCI address, `"0000:15:00.0"`.
  public let addr: String
  /// IOMMU group number.
  public let group: Int
  /// The group file, `/dev/vfio/N` or `/dev/vfio/noiommu-N`.
  public let groupPath: String
  public let iommu: VFIOIOMMU
  public let numRegions: Int
  public let numIrqs: Int
  /// The kernel can reset the device (VFIO_DEVICE_FLAGS_RESET).
  public let canReset: Bool

  let fd: FileDescriptor
  private(set) var groupRef: VFIOGroup?
  private let cachedRegions: [VFIORegion]
  let resources: [VFIOSysfs.Resource]
  private var mappings: [WeakMapping] = []
  /// Interrupt sources enabled through `irq` (VFIODevice+IRQ.swift), disabled by `close()`.
  var interrupts: [WeakInterrupt] = []

  private struct WeakMapping {
    weak var mapping: Mapping?
  }

  // MARK: opening

  /// Opens `addr` (`"0000:15:00.0"`, or `"15:00.0"` for domain 0), which must be bound to
  /// vfio-pci.
  public static func open(_ addr: String) throws -> VFIODevice {
    try open(addr, sysfs: VFIOSysfs(), devVFIO: "/dev/vfio")
  }

  static func open(_ text: String, sysfs: VFIOSysfs, devVFIO: String) throws -> VFIODevice {
    guard let addr = PCIAddressText.normalize(text) else {
      throw UsageError(
        "\"\(text)\" is not a PCI address (expected DDDD:BB:DD.F or BB:DD.F, e.g. 0000:15:00.0)")
    }
    guard sysfs.deviceExists(addr) else {
      throw UsageError("no PCI device \(addr) in \(sysfs.devicesDir) (lspci -D lists them)")
    }
    let driver = sysfs.driver(addr)
    if driver != "vfio-pci" {
      let dev = sysfs.devicePath(addr)
      let unbind = driver.map { _ in "echo \(addr) > \(dev)/driver/unbind; " } ?? ""
      throw UsageError(
        "\(addr) is " + (driver.map { "bound to \($0)" } ?? "bound to no driver")
          + ", not vfio-pci: bind it with: echo vfio-pci > \(dev)/driver_override; " + unbind
          + "echo \(addr) > \(sysfs.root)/bus/pci/drivers_probe")
    }
    guard let number = sysfs.iommuGroup(addr) else {
      throw UsageError(
        "\(addr) has no IOMMU group (no \(sysfs.devicePath(addr))/iommu_group): enable the IOMMU"
          + " (intel_iommu=on or amd_iommu=on) or load vfio with enable_unsafe_noiommu_mode=1")
    }
    let group = try VFIORegistry.shared.acquireGroup(
      number: number, devVFIO: devVFIO, sysfs: sysfs)
    do {
      let fd = try group.openDevice(addr)
      return try VFIODevice(
        addr: addr, group: group, fd: fd, resources: sysfs.resources(addr))
    } catch {
      VFIORegistry.shared.releaseGroup(group)
      throw error
    }
  }

  private init(addr: String, group: VFIOGroup, fd: FileDescriptor, resources: [VFIOSysfs.Resource])
    throws
  {
    var info = vfio_device_info()
    info.argsz = UInt32(MemoryLayout<vfio_device_info>.size)
    try VFIOIoctl.call(fd, "VFIO_DEVICE_GET_INFO", barlua_vfio_device_get_info(), &info)
    self.addr = addr
    self.group = group.number
    self.groupPath = group.path
    self.iommu = group.container?.iommu ?? (group.isNoIOMMU ? .noiommu : .type1)
    self.numRegions = Int(info.num_regions)
    self.numIrqs = Int(info.num_irqs)
    self.canReset = info.flags & UInt32(BARLUA_VFIO_DEVICE_FLAGS_RESET) != 0
    self.fd = fd
    self.groupRef = group
    self.resources = resources
    self.cachedRegions = try (0..<Int(info.num_regions)).map { index in
      do {
        return try VFIODevice.regionInfo(fd, index: index)
      } catch let e as SystemError where e.errno == EINVAL {
        // vfio-pci answers EINVAL for a region the device lacks (VGA on a non-VGA device).
        return VFIORegion(
          index: index, size: 0, offset: 0, read: false, write: false, mmap: false)
      }
    }
  }

  /// VFIO_DEVICE_GET_REGION_INFO, asked again with a larger buffer when the capability chain
  /// does not fit (the kernel then raises `argsz` to the size it needs).
  static func regionInfo(_ fd: FileDescriptor, index: Int) throws -> VFIORegion {
    try VFIORegion(answer: regionInfoAnswer(fd, index: index))
  }

  /// The kernel's whole answer to VFIO_DEVICE_GET_REGION_INFO: `struct vfio_region_info`
  /// followed by its capability chain.
  static func regionInfoAnswer(_ fd: FileDescriptor, index: Int) throws -> [UInt8] {
    var length = MemoryLayout<vfio_region_info>.size
    for _ in 0..<4 {
      var answer = [UInt8](repeating: 0, count: length)
      var info = vfio_region_info()
      info.argsz = UInt32(length)
      info.index = UInt32(index)
      let argsz = try answer.withUnsafeMutableBytes { buffer -> UInt32 in
        buffer.storeBytes(of: info, as: vfio_region_info.self)
        try VFIOIoctl.call(
          fd, "VFIO_DEVICE_GET_REGION_INFO(\(VFIORegion.name(index)))",
          barlua_vfio_device_get_region_info(), buffer.baseAddress!)
        return buffer.loadUnaligned(as: vfio_region_info.self).argsz
      }
      if Int(argsz) > length {
        length = Int(argsz)
        continue
      }
      return answer
    }
    throw UsageError(
      "VFIO_DEVICE_GET_REGION_INFO(\(VFIORegion.name(index))) on \(fd.path): the kernel kept"
        + " asking for a larger buffer")
  }

  /// The raw VFIO_DEVICE_GET_REGION_INFO answer for region `index` (diagnostics, fixtures).
  public func regionInfoAnswer(_ index: Int) throws -> [UInt8] {
    try checkOpen("region info")
    return try VFIODevice.regionInfoAnswer(fd, index: index)
  }

  // MARK: state

  public var isOpen: Bool { fd.isOpen }

  func checkOpen(_ what: String) throws {
    guard fd.isOpen else { throw UsageError("\(what): device \(addr) is closed") }
  }

  /// Every region the device reports, by index.
  public func regions() -> [VFIORegion] { cachedRegions }

  /// Region `index`; an error when the device has no such region.
  public func region(_ index: Int) throws -> VFIORegion {
    guard index >= 0, index < cachedRegions.count else {
      throw UsageError(
        "\(addr) has no \(index >= 0 ? VFIORegion.name(index) : "region \(index)"): it reports"
          + " \(cachedRegions.count) regions (0-\(cachedRegions.count - 1))")
    }
    return cachedRegions[index]
  }

  /// Every interrupt index (VFIO_DEVICE_GET_IRQ_INFO).
  public func irqs() throws -> [VFIOIRQ] {
    try checkOpen("irqs")
    return try (0..<numIrqs).map { i in
      var info = vfio_irq_info()
      info.argsz = UInt32(MemoryLayout<vfio_irq_info>.size)
      info.index = UInt32(i)
      do {
        try VFIOIoctl.call(
          fd, "VFIO_DEVICE_GET_IRQ_INFO(\(VFIOIRQ(index: i, count: 0, flags: 0).name))",
          barlua_vfio_device_get_irq_info(), &info)
      } catch let e as SystemError where e.errno == EINVAL {
        // vfio-pci answers EINVAL for an index the device lacks (ERR on conventional PCI).
        return VFIOIRQ(index: i, count: 0, flags: 0)
      }
      return VFIOIRQ(index: i, count: Int(info.count), flags: info.flags)
    }
  }

  // MARK: mapping

  /// Maps `size` bytes (default: to the end) at `offset` of BAR `bar`. The mapping is uncached
  /// (VFIO maps every BAR uncached-minus).
  public func map(bar: Int, offset: UInt64 = 0, size: UInt64? = nil) throws -> Mapping {
    let (region, length) = try mappableRange(bar: bar, offset: offset, size: size)
    let resource = bar < resources.count && bar <= 6 ? resources[bar] : nil
    let base = resource.flatMap { $0.start == 0 ? nil : $0.start + offset }
    let mapping = try Mapping(
      fd: fd.rawValue, offset: region.offset + offset, size: length,
      info: Mapping.Description(
        method: .vfio, index: bar, base: base, prefetchable: resource?.prefetchable,
        addr: addr, path: fd.path))
    track(mapping)
    return mapping
  }

  /// Remembers a mapping of this device so that `close()` unmaps it.
  func track(_ mapping: Mapping) {
    mappings.removeAll { $0.mapping == nil }
    mappings.append(WeakMapping(mapping: mapping))
  }

  /// The region of BAR `bar` and the length to map at `offset`, checked for an open device,
  /// an mmap-able region and a range inside it (and inside one sparse area, if any).
  func mappableRange(bar: Int, offset: UInt64, size: UInt64?) throws -> (VFIORegion, UInt64) {
    try checkOpen("map")
    let region = try region(bar)
    do {
      return (region, try region.checkMappable(offset: offset, size: size))
    } catch let e as UsageError {
      throw UsageError("\(addr) \(e.message)")
    }
  }

  /// Mappings made by this device that are still mapped.
  public var liveMappings: [Mapping] {
    mappings.compactMap { $0.mapping }.filter { $0.isMapped }
  }

  // MARK: config space

  private func configAccess(_ name: String, offset: UInt64, width: Int) throws -> VFIORegion {
    try checkOpen(name)
    guard width == 1 || width == 2 || width == 4 else {
      throw UsageError("\(name): width \(width) is not 1, 2 or 4")
    }
    let config = try region(Int(BARLUA_VFIO_PCI_CONFIG_REGION_INDEX))
    guard offset % UInt64(width) == 0 else {
      throw UsageError("\(name): offset 0x\(hex(offset)) is not \(width)-byte aligned")
    }
    guard offset < config.size, UInt64(width) <= config.size - offset else {
      throw UsageError(
        "\(name): offset 0x\(hex(offset)) + \(width) exceeds config space size 0x\(hex(config.size))"
      )
    }
    return config
  }

  /// Reads `width` (1, 2 or 4) bytes of config space at `offset`, little-endian.
  public func configRead(offset: UInt64, width: Int) throws -> UInt32 {
    let name = "config_read\(width * 8)"
    let config = try configAccess(name, offset: offset, width: width)
    var value: UInt32 = 0
    let n = pread(fd.rawValue, &value, width, off_t(config.offset + offset))
    if n < 0 {
      throw SystemError.current("pread config 0x\(hex(offset))", path: fd.path)
    }
    guard n == width else {
      throw UsageError(
        "\(name): pread of \(fd.path) at config offset 0x\(hex(offset)) returned \(n) of"
          + " \(width) bytes")
    }
    return UInt32(littleEndian: value)
  }

  /// Writes `width` (1, 2 or 4) bytes of config space at `offset`, little-endian.
  public func configWrite(offset: UInt64, width: Int, value: UInt32) throws {
    let name = "config_write\(width * 8)"
    let config = try configAccess(name, offset: offset, width: width)
    guard width == 4 || value >> UInt32(width * 8) == 0 else {
      throw UsageError("\(name): value 0x\(hex(UInt64(value))) does not fit in \(width * 8) bits")
    }
    var le = value.littleEndian
    let n = pwrite(fd.rawValue, &le, width, off_t(config.offset + offset))
    if n < 0 {
      throw SystemError.current("pwrite config 0x\(hex(offset))", path: fd.path)
    }
    guard n == width else {
      throw UsageError(
        "\(name): pwrite of \(fd.path) at config offset 0x\(hex(offset)) wrote \(n) of"
          + " \(width) bytes")
    }
  }

  // MARK: reset and close

  /// VFIO_DEVICE_RESET.
  public func reset() throws {
    try checkOpen("reset")
    guard canReset else {
      throw UsageError(
        "device \(addr) does not support reset (VFIO_DEVICE_FLAGS_RESET not set)")
    }
    try VFIOIoctl.call(fd, "VFIO_DEVICE_RESET", barlua_vfio_device_reset())
  }

  /// Unmaps every live mapping of this device, closes the device file and releases the group
  /// (and the container with its last group). Safe to call more than once.
  public func close() {
    for entry in interrupts { entry.interrupt?.disable() }
    interrupts.removeAll()
    for entry in mappings { entry.mapping?.unmap() }
    mappings.removeAll()
    guard fd.isOpen else { return }
    fd.close()
    if let group = groupRef {
      groupRef = nil
      VFIORegistry.shared.releaseGroup(group)
    }
  }

  deinit { close() }
}
