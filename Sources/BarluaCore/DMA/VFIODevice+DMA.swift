import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// `dma(size:iova:)`: DMA buffers for a device, in either IOMMU mode.
extension VFIODevice {
  /// The largest buffer `dma` makes (1 GiB): a guard against a typo pinning all memory.
  public static let maximumDMASize: UInt64 = 1 << 30

  /// A DMA buffer of `size` bytes. type1: anonymous memory mapped with VFIO_IOMMU_MAP_DMA at
  /// `iova`, or at an IOVA picked inside the container's valid ranges; every device of the
  /// container can use it. no-IOMMU: locked memory whose physical address the device uses
  /// (`iova` cannot be chosen); more than one page needs huge pages, which are contiguous.
  public func dma(size: UInt64, iova: UInt64? = nil) throws -> DMABuffer {
    try checkOpen()
    guard size > 0, size <= VFIODevice.maximumDMASize else {
      throw DMAError.sizeOutOfRange(size: size, maximum: VFIODevice.maximumDMASize)
    }
    guard let container = groupRef?.container else {
      throw VFIODeviceError.closed(addr: addr)
    }
    let buffer: DMABuffer
    if iommu == .noiommu {
      if let iova {
        throw DMAError.iovaInNoIOMMU(addr: addr, iova: iova)
      }
      buffer = try PinnedMemory.buffer(size: size, addr: addr)
    } else {
      let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
      let length = (size + page - 1) & ~(page - 1)
      let memory = try AnonymousMemory(length: Int(length), hugePages: false)
      let mapped = try container.mapDMA(vaddr: memory.base, length: length, iova: iova)
      buffer = DMABuffer(
        memory: memory, size: size, iova: mapped, addr: addr, container: container)
    }
    track(buffer)
    try enableBusMaster()
    return buffer
  }

  /// Sets Bus Master Enable in PCI_COMMAND when it is clear: without it the device can
  /// neither read or write host memory nor send MSI (a memory write). vfio-pci clears it
  /// again when the device file is released (`vfio_pci_core_disable`), so closing the device
  /// leaves it as it was.
  public func enableBusMaster() throws {
    let command = try configRead(offset: 4, width: 2)
    if command & 0x4 == 0 {
      try configWrite(offset: 4, width: 2, value: command | 0x4)
    }
  }

  /// The valid IOVA ranges of this device's container (type1); nil in no-IOMMU mode, and
  /// when the kernel does not report them.
  public func iovaRanges() throws -> [IOVARange]? {
    try checkOpen()
    guard iommu != .noiommu, let container = groupRef?.container else { return nil }
    return try container.iommuInfo().ranges
  }
}

/// no-IOMMU DMA memory: locked so it stays put, physically contiguous, its physical address
/// read from /proc/self/pagemap.
enum PinnedMemory {
  static let pagemapPath = "/proc/self/pagemap"

  static func buffer(size: UInt64, addr: String) throws -> DMABuffer {
    let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
    let huge = size > page
    let unit = huge ? try hugePageSize() : page
    let length = (size + unit - 1) & ~(unit - 1)
    let memory: AnonymousMemory
    do {
      memory = try AnonymousMemory(length: Int(length), hugePages: huge)
    } catch let e as SystemError where huge && e.errno == ENOMEM {
      throw DMAError.noHugePages(
        addr: addr, size: size, pages: length / unit, hugePageSize: unit, pageSize: page)
    }
    if mlock(memory.base, Int(length)) != 0 {
      let e = errno
      throw SystemError(
        "mlock of \(length / 1024) KiB", errno: e,
        hint: e == ENOMEM || e == EPERM ? MemlockLimit.hint(adding: length) : nil)
    }
    memset(memory.base, 0, Int(length))  // fault every page in before asking for its frame
    let frames = try physicalFrames(of: memory.base, length: length, page: page)
    for (i, frame) in frames.enumerated() where frame != frames[0] + UInt64(i) {
      throw DMAError.notContiguous(
        length: length, page: i, frame: frame, expected: frames[0] + UInt64(i), hugePageSize: unit)
    }
    return DMABuffer(
      memory: memory, size: size, iova: frames[0] * page, addr: addr, container: nil)
  }

  /// The page frame number of each page of `[base, base+length)` (/proc/self/pagemap: one
  /// 64-bit entry per page, bit 63 present, bits 0-54 the frame).
  static func physicalFrames(of base: UnsafeMutableRawPointer, length: UInt64, page: UInt64)
    throws -> [UInt64]
  {
    let fd = try FileDescriptor.open(pagemapPath, flags: O_RDONLY)
    let count = Int(length / page)
    var entries = [UInt64](repeating: 0, count: count)
    let offset = off_t(UInt64(UInt(bitPattern: base)) / page * 8)
    let want = count * 8
    let n = entries.withUnsafeMutableBytes { pread(fd.rawValue, $0.baseAddress, want, offset) }
    if n < 0 { throw SystemError.current("pread", path: pagemapPath) }
    guard n == want else {
      throw DMAError.pagemapShort(path: pagemapPath, got: n, want: want)
    }
    return try entries.enumerated().map { i, entry in
      guard entry >> 63 == 1 else {
        throw DMAError.pageNotPresent(page: i, path: pagemapPath)
      }
      let frame = entry & ((1 << 55) - 1)
      guard frame != 0 else {
        throw DMAError.framesHidden(path: pagemapPath)
      }
      return frame
    }
  }

  /// The default huge page size (Hugepagesize in /proc/meminfo), 2 MiB when unreadable.
  static func hugePageSize() throws -> UInt64 {
    guard let text = try? SysfsFiles.readText("/proc/meminfo") else { return 2 << 20 }
    for line in text.split(separator: "\n") where line.hasPrefix("Hugepagesize:") {
      let kib = line.dropFirst("Hugepagesize:".count).split(separator: " ").first
      if let kib, let v = UInt64(kib), v > 0, v <= 1 << 30 { return v * 1024 }
    }
    return 2 << 20
  }
}
