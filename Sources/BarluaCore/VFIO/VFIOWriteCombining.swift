import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// Write-combining through VFIO, where the running kernel offers it.
///
/// VFIO maps every BAR uncached-minus (`pgprot_noncached` in `vfio_pci_core_mmap`). The only
/// route to a write-combining mapping of a VFIO device is a DMABUF exported from the device
/// (`VFIO_DEVICE_FEATURE_DMA_BUF`, feature 11, mainline `include/uapi/linux/vfio.h` since
/// 6.19) whose memory attribute is set to WC (`VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR`, feature
/// 14, from the 2026 series "vfio/pci: Add mmap() attributes to DMABUF feature", v4 of
/// 2026-07-01 — its number is the one that series proposes; it is not in any kernel this
/// project has run) and which is then mmap'ed. Nothing is assumed: both features are probed
/// with `VFIO_DEVICE_FEATURE_PROBE` on the open device, and a kernel that lacks either one
/// (every Debian kernel to date: 6.1 and 6.12 answer ENOTTY) is reported as not offering it.
public struct VFIOWriteCombiningSupport: Sendable, Equatable {
  /// `VFIO_DEVICE_FEATURE_DMA_BUF`: export a BAR range as a DMABUF.
  public static let dmaBufFeature: UInt32 = 11
  /// `VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR`: set the memory attribute of such a DMABUF.
  public static let dmaBufMemattrFeature: UInt32 = 14
  /// `VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR_WC`.
  public static let memattrWC: UInt32 = 1

  /// The probe's errno for `VFIO_DEVICE_FEATURE_DMA_BUF` (GET), 0 when supported.
  public var dmaBufErrno: Int32
  /// The probe's errno for `VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR` (SET), 0 when supported.
  public var dmaBufMemattrErrno: Int32

  public init(dmaBufErrno: Int32, dmaBufMemattrErrno: Int32) {
    self.dmaBufErrno = dmaBufErrno
    self.dmaBufMemattrErrno = dmaBufMemattrErrno
  }

  public var dmaBuf: Bool { dmaBufErrno == 0 }
  public var dmaBufMemattr: Bool { dmaBufMemattrErrno == 0 }
  /// Both features are there: `map(bar:writeCombining: true)` can work.
  public var offered: Bool { dmaBuf && dmaBufMemattr }

  /// Why write-combining is not offered (nil when it is), with the alternative.
  public func reason(addr: String, bar: Int? = nil) -> String? {
    offered ? nil : "\(VFIOWriteCombiningUnavailable.notOffered(self, addr: addr, bar: bar))"
  }

  /// What the kernel lacks, without advice: `write-combining through VFIO is not offered by
  /// this kernel (no ...)`.
  public var missingText: String {
    var missing: [String] = []
    if !dmaBufMemattr { missing.append("no VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR") }
    if !dmaBuf {
      missing.append(
        dmaBufErrno == ENOTTY
          ? "nor VFIO_DEVICE_FEATURE_DMA_BUF"
          : "VFIO_DEVICE_FEATURE_DMA_BUF: \(errnoName(dmaBufErrno))")
    }
    return "write-combining through VFIO is not offered by this kernel (\(missing.joined(separator: ", ")))"
  }
}

/// Why a write-combining VFIO mapping cannot be made, as facts (the Lua bindings name the Lua
/// calls that help).
public enum VFIOWriteCombiningUnavailable: Error, Equatable, Sendable, CustomStringConvertible {
  /// The kernel lacks a feature (`support` says which) for BAR `bar` of `addr`.
  case notOffered(VFIOWriteCombiningSupport, addr: String, bar: Int?)
  /// The BAR is not prefetchable: write-combining could merge or reorder register accesses.
  case notPrefetchable(addr: String, bar: Int)

  public var description: String {
    switch self {
    case .notOffered(let support, let addr, let bar):
      "\(support.missingText): map "
        + (bar.map { "BAR\($0) of \(addr) through its sysfs resource\($0)_wc file" }
          ?? "a BAR of \(addr) through its sysfs resourceN_wc file")
        + " (prefetchable BARs only), after closing the VFIO device"
    case .notPrefetchable(let addr, let bar):
      "\(addr) BAR\(bar) is not prefetchable: write-combining could merge or reorder its"
        + " register accesses; map it uncached"
    }
  }
}

private func errnoName(_ e: Int32) -> String {
  switch e {
  case EOPNOTSUPP: "EOPNOTSUPP (this device or kernel build cannot export DMABUFs)"
  case EINVAL: "EINVAL"
  default: String(cString: strerror(e))
  }
}

extension VFIODevice {
  /// Asks the kernel (VFIO_DEVICE_FEATURE with PROBE) whether this device can be mapped
  /// write-combining through VFIO. Never throws: a failed probe is the answer.
  public func writeCombiningSupport() -> VFIOWriteCombiningSupport {
    VFIOWriteCombiningSupport(
      dmaBufErrno: probe(
        VFIOWriteCombiningSupport.dmaBufFeature, UInt32(BARLUA_VFIO_DEVICE_FEATURE_GET)),
      dmaBufMemattrErrno: probe(
        VFIOWriteCombiningSupport.dmaBufMemattrFeature, UInt32(BARLUA_VFIO_DEVICE_FEATURE_SET)))
  }

  /// VFIO_DEVICE_FEATURE | PROBE for one feature and operation: 0 when supported, else errno.
  private func probe(_ feature: UInt32, _ op: UInt32) -> Int32 {
    guard fd.isOpen else { return EBADF }
    var header: [UInt32] = [8, UInt32(BARLUA_VFIO_DEVICE_FEATURE_PROBE) | op | feature]
    let r = header.withUnsafeMutableBytes {
      barlua_ioctl_ptr(fd.rawValue, barlua_vfio_device_feature(), $0.baseAddress!)
    }
    return r < 0 ? errno : 0
  }

  /// Maps `size` bytes (default: to the end) at `offset` of BAR `bar` write-combining: exports
  /// the page-aligned range as a DMABUF, sets its memory attribute to WC and maps the DMABUF.
  /// An error names what the kernel lacks when it does not offer this.
  public func mapWriteCombining(bar: Int, offset: UInt64 = 0, size: UInt64? = nil) throws
    -> Mapping
  {
    let (region, length) = try mappableRange(bar: bar, offset: offset, size: size)
    let support = writeCombiningSupport()
    if !support.offered {
      throw VFIOWriteCombiningUnavailable.notOffered(support, addr: addr, bar: bar)
    }
    let sysfsBar = info?.bar(bar)
    if sysfsBar?.prefetchable == false {
      throw VFIOWriteCombiningUnavailable.notPrefetchable(addr: addr, bar: bar)
    }
    let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
    let first = offset & ~(page - 1)
    let end = (offset + length + page - 1) & ~(page - 1)
    let dmabuf = try exportDMABUF(bar: bar, offset: first, length: min(end, region.size) - first)
    defer { dmabuf.close() }
    try setMemattrWC(dmabuf)
    let mapping = try Mapping(
      fd: dmabuf.rawValue, offset: offset - first, size: length,
      info: Mapping.Description(
        method: .vfioWC, index: bar, base: physicalAddress(bar: bar, offset: offset),
        prefetchable: sysfsBar?.prefetchable,
        addr: addr, path: "\(fd.path) (DMABUF of BAR\(bar))"))
    track(mapping)
    return mapping
  }

  /// VFIO_DEVICE_FEATURE_DMA_BUF (GET): one range of region `bar`; returns the DMABUF fd.
  private func exportDMABUF(bar: Int, offset: UInt64, length: UInt64) throws -> FileDescriptor {
    // struct vfio_device_feature {argsz, flags} + struct vfio_device_feature_dma_buf
    // {region_index, open_flags, flags, nr_ranges} + one struct vfio_region_dma_range
    // {offset, length}: 8 + 16 + 16 bytes, all little-endian on the machines that run this.
    var words: [UInt32] = [
      40, UInt32(BARLUA_VFIO_DEVICE_FEATURE_GET) | VFIOWriteCombiningSupport.dmaBufFeature,
      UInt32(bar), UInt32(O_RDWR | O_CLOEXEC), 0, 1,
      UInt32(truncatingIfNeeded: offset), UInt32(truncatingIfNeeded: offset >> 32),
      UInt32(truncatingIfNeeded: length), UInt32(truncatingIfNeeded: length >> 32),
    ]
    let r = try words.withUnsafeMutableBytes {
      try VFIOIoctl.call(
        fd, "VFIO_DEVICE_FEATURE(DMA_BUF, BAR\(bar))", barlua_vfio_device_feature(),
        $0.baseAddress!)
    }
    return FileDescriptor(rawValue: r, path: "DMABUF of \(addr) BAR\(bar)")
  }

  /// VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR (SET) to WC on a DMABUF of this device.
  private func setMemattrWC(_ dmabuf: FileDescriptor) throws {
    var words: [UInt32] = [
      16,
      UInt32(BARLUA_VFIO_DEVICE_FEATURE_SET) | VFIOWriteCombiningSupport.dmaBufMemattrFeature,
      UInt32(bitPattern: dmabuf.rawValue), VFIOWriteCombiningSupport.memattrWC,
    ]
    try words.withUnsafeMutableBytes {
      _ = try VFIOIoctl.call(
        fd, "VFIO_DEVICE_FEATURE(DMA_BUF_MEMATTR=WC)", barlua_vfio_device_feature(),
        $0.baseAddress!
      ) { e in
        e == ENOENT ? "this kernel knows the feature but not the WC attribute" : nil
      }
    }
  }
}
