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
  /// The device's PCI address.
  public let address: PCIAddress
  /// Full PCI address as text, `"0000:15:00.0"`.
  public var addr: String { address.description }
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
  /// What sysfs said of the device when it was opened, without vendor and device names (nil
  /// when it could not be read: the BARs' physical addresses are then unknown, nothing else
  /// needs it).
  public let info: PCIDeviceInfo?
  private var mappings: [WeakMapping] = []
  /// Interrupt sources enabled through `irq` (VFIODevice+IRQ.swift), disabled by `close()`.
  var interrupts: [WeakInterrupt] = []

  private struct WeakMapping {
    weak var mapping: Mapping?
  }

  // MARK: opening

  /// Opens the device at `addr`, which must be bound to vfio-pci. `sysfs` (default: the
  /// system's, or `$BARLUA_SYSFS_PCI`) says its driver and group; `devVFIO` holds the group
  /// files and the container. The device's sysfs files are read once, without names (libpci
  /// stays unloaded); a device whose files cannot all be read still opens, from the three that
  /// opening needs (`info` is then nil).
  public static func open(
    _ addr: PCIAddress, sysfs: PCISysfs = PCISysfs(), devVFIO: String = "/dev/vfio"
  ) throws -> VFIODevice {
    let info: PCIDeviceInfo?
    let driver: String?
    let groupNumber: Int?
    do {
      let read = try sysfs.device(addr, names: false)
      (info, driver, groupNumber) = (read, read.driver, read.iommuGroup)
    } catch let e as PCIError {
      throw e
    } catch {
      guard try sysfs.exists(addr) else { throw PCIError.noDevice(addr, root: sysfs.root) }
      (info, driver, groupNumber) = (nil, try sysfs.driver(addr), try sysfs.iommuGroup(addr))
    }
    if driver != "vfio-pci" {
      throw VFIOError.notBoundToVFIOPCI(
        addr, driver: driver, deviceDir: sysfs.path(addr), driversProbe: sysfs.driversProbePath)
    }
    guard let number = groupNumber else {
      throw PCIError.noIOMMUGroup(addr, path: "\(sysfs.path(addr))/iommu_group")
    }
    let group = try VFIORegistry.shared.acquireGroup(
      number: number, file: sysfs.groupFile(addr, group: number, devVFIO: devVFIO),
      devVFIO: devVFIO, members: { try sysfs.groupMembers(addr) })
    do {
      let fd = try group.openDevice(addr.description)
      return try VFIODevice(address: addr, group: group, fd: fd, info: info)
    } catch {
      VFIORegistry.shared.releaseGroup(group)
      throw error
    }
  }

  private init(address: PCIAddress, group: VFIOGroup, fd: FileDescriptor, info: PCIDeviceInfo?)
    throws
  {
    var info_ = vfio_device_info()
    info_.argsz = UInt32(MemoryLayout<vfio_device_info>.size)
    try VFIOIoctl.call(fd, BARLUA_IOCTL_VFIO_DEVICE_GET_INFO, &info_)
    self.address = address
    self.group = group.number
    self.groupPath = group.path
    self.iommu = group.container?.iommu ?? (group.isNoIOMMU ? .noiommu : .type1)
    self.numRegions = Int(info_.num_regions)
    self.numIrqs = Int(info_.num_irqs)
    self.canReset = info_.flags & UInt32(BARLUA_VFIO_DEVICE_FLAGS_RESET) != 0
    self.fd = fd
    self.groupRef = group
    self.info = info
    self.cachedRegions = try (0..<Int(info_.num_regions)).map { index in
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
          fd, BARLUA_IOCTL_VFIO_DEVICE_GET_REGION_INFO, buffer.baseAddress!, detail: VFIORegion.name(index))
        return buffer.loadUnaligned(as: vfio_region_info.self).argsz
      }
      if Int(argsz) > length {
        length = Int(argsz)
        continue
      }
      return answer
    }
    throw VFIOAnswerError.bufferKeptGrowing(
      request: VFIOIoctl.name(BARLUA_IOCTL_VFIO_DEVICE_GET_REGION_INFO, VFIORegion.name(index)), path: fd.path)
  }

  /// The raw VFIO_DEVICE_GET_REGION_INFO answer for region `index` (diagnostics, fixtures).
  public func regionInfoAnswer(_ index: Int) throws -> [UInt8] {
    try checkOpen()
    return try VFIODevice.regionInfoAnswer(fd, index: index)
  }

  // MARK: state

  public var isOpen: Bool { fd.isOpen }

  func checkOpen() throws {
    guard fd.isOpen else { throw VFIODeviceError.closed(addr: addr) }
  }

  /// Every region the device reports, by index.
  public func regions() -> [VFIORegion] { cachedRegions }

  /// Region `index`; an error when the device has no such region.
  public func region(_ index: Int) throws -> VFIORegion {
    guard index >= 0, index < cachedRegions.count else {
      throw VFIODeviceError.noRegion(addr: addr, index: index, count: cachedRegions.count)
    }
    return cachedRegions[index]
  }

  /// Every interrupt index (VFIO_DEVICE_GET_IRQ_INFO).
  public func irqs() throws -> [VFIOIRQ] {
    try checkOpen()
    return try (0..<numIrqs).map { i in
      var info = vfio_irq_info()
      info.argsz = UInt32(MemoryLayout<vfio_irq_info>.size)
      info.index = UInt32(i)
      do {
        try VFIOIoctl.call(
          fd, BARLUA_IOCTL_VFIO_DEVICE_GET_IRQ_INFO, &info, detail: VFIOIRQ(index: i, count: 0, flags: 0).name)
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
    let sysfsBar = info?.bar(bar)
    let mapping = try Mapping(
      fd: fd.rawValue, offset: region.offset + offset, size: length,
      info: Mapping.Description(
        method: .vfio, index: bar, base: physicalAddress(bar: bar, offset: offset),
        prefetchable: sysfsBar?.prefetchable, addr: addr, path: fd.path))
    track(mapping)
    return mapping
  }

  /// The CPU physical address of `offset` in BAR `bar`, from sysfs; nil when unknown (no
  /// address assigned, sysfs unreadable, or a sum past 2^64).
  func physicalAddress(bar: Int, offset: UInt64) -> UInt64? {
    guard let base = info?.bar(bar)?.base, base != 0 else { return nil }
    let (address, overflow) = base.addingReportingOverflow(offset)
    return overflow ? nil : address
  }

  /// Remembers a mapping of this device so that `close()` unmaps it.
  func track(_ mapping: Mapping) {
    mappings.removeAll { $0.mapping == nil }
    mappings.append(WeakMapping(mapping: mapping))
  }

  /// The region of BAR `bar` and the length to map at `offset`, checked for an open device,
  /// an mmap-able region and a range inside it (and inside one sparse area, if any).
  func mappableRange(bar: Int, offset: UInt64, size: UInt64?) throws -> (VFIORegion, UInt64) {
    try checkOpen()
    let region = try region(bar)
    do {
      return (region, try region.checkMappable(offset: offset, size: size))
    } catch let e as MappingError {
      throw VFIODeviceError.unmappable(addr: addr, e)
    }
  }

  /// Mappings made by this device that are still mapped.
  public var liveMappings: [Mapping] {
    mappings.compactMap { $0.mapping }.filter { $0.isMapped }
  }

  // MARK: config space

  private func configAccess(offset: UInt64, width: Int) throws -> VFIORegion {
    try checkOpen()
    guard width == 1 || width == 2 || width == 4 else {
      throw VFIODeviceError.configWidth(width)
    }
    let config = try region(Int(BARLUA_VFIO_PCI_CONFIG_REGION_INDEX))
    guard offset % UInt64(width) == 0 else {
      throw VFIODeviceError.configMisaligned(offset: offset, width: width)
    }
    guard offset < config.size, UInt64(width) <= config.size - offset else {
      throw VFIODeviceError.configBeyond(offset: offset, width: width, size: config.size)
    }
    return config
  }

  /// Reads `width` (1, 2 or 4) bytes of config space at `offset`, little-endian.
  public func configRead(offset: UInt64, width: Int) throws -> UInt32 {
    var value: UInt32 = 0
    try configTransfer(write: false, offset: offset, width: width, &value)
    return UInt32(littleEndian: value)
  }

  /// Writes `width` (1, 2 or 4) bytes of config space at `offset`, little-endian.
  public func configWrite(offset: UInt64, width: Int, value: UInt32) throws {
    guard width == 4 || value >> UInt32(width * 8) == 0 else {
      throw VFIODeviceError.configValueTooWide(value: value, width: width)
    }
    var le = value.littleEndian
    try configTransfer(write: true, offset: offset, width: width, &le)
  }

  /// One `pread` or `pwrite` of exactly `width` bytes at `offset` of the config region, after
  /// the checks of `configAccess`; EINTR is retried.
  private func configTransfer(
    write: Bool, offset: UInt64, width: Int, _ buffer: UnsafeMutableRawPointer
  ) throws {
    let config = try configAccess(offset: offset, width: width)
    let at = off_t(config.offset + offset)
    let call = write ? "pwrite" : "pread"
    var n: Int
    repeat {
      n = write ? pwrite(fd.rawValue, buffer, width, at) : pread(fd.rawValue, buffer, width, at)
    } while n < 0 && errno == EINTR
    if n < 0 {
      throw SystemError.current("\(call) config 0x\(hex(offset))", path: fd.path)
    }
    guard n == width else {
      throw VFIODeviceError.configShortTransfer(
        call: call, path: fd.path, offset: offset, moved: n, width: width)
    }
  }

  // MARK: reset and close

  /// VFIO_DEVICE_RESET.
  public func reset() throws {
    try checkOpen()
    guard canReset else {
      throw VFIODeviceError.resetUnsupported(addr: addr)
    }
    try VFIOIoctl.call(fd, BARLUA_IOCTL_VFIO_DEVICE_RESET)
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
