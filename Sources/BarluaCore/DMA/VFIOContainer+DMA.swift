import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// DMA mappings in a type1 container: every device attached to it sees the same IOVAs.
extension VFIOContainer {
  /// VFIO_IOMMU_GET_INFO with its capability chain (asked again with a larger buffer when
  /// the chain does not fit: the kernel raises `argsz` to the size it needs).
  func iommuInfo() throws -> IOMMUInfo {
    var length = MemoryLayout<vfio_iommu_type1_info>.size
    for _ in 0..<4 {
      var answer = [UInt8](repeating: 0, count: length)
      let argsz = try answer.withUnsafeMutableBytes { buffer -> UInt32 in
        var info = vfio_iommu_type1_info()
        info.argsz = UInt32(length)
        buffer.storeBytes(of: info, as: vfio_iommu_type1_info.self)
        try VFIOIoctl.call(fd, BARLUA_IOCTL_VFIO_IOMMU_GET_INFO, buffer.baseAddress!)
        return buffer.loadUnaligned(as: vfio_iommu_type1_info.self).argsz
      }
      if Int(argsz) > length {
        length = Int(argsz)
        continue
      }
      return try IOMMUInfo.parse(answer)
    }
    throw VFIOAnswerError.bufferKeptGrowing(request: VFIOIoctl.name(BARLUA_IOCTL_VFIO_IOMMU_GET_INFO), path: fd.path)
  }

  /// The allocator over this container's valid IOVA ranges, made on first use. A kernel that
  /// reports no ranges (before 5.4) gets the whole 64-bit space; VFIO_IOMMU_MAP_DMA then
  /// refuses what its IOMMU cannot map.
  private func makeAllocator() throws -> IOVAAllocator {
    let info = try iommuInfo()
    return IOVAAllocator(
      valid: info.ranges ?? [IOVARange(first: 0, last: UInt64.max)],
      pageSize: max(info.minimumPageSize, UInt64(sysconf(Int32(_SC_PAGESIZE)))))
  }

  /// Picks (or checks the caller's) IOVA and maps `length` bytes at `vaddr` there for device
  /// reads and writes (VFIO_IOMMU_MAP_DMA). Returns the IOVA.
  func mapDMA(vaddr: UnsafeMutableRawPointer, length: UInt64, iova wanted: UInt64?) throws
    -> UInt64
  {
    let fresh = iovaAllocator.withLock { $0 == nil } ? try makeAllocator() : nil
    let iova = try iovaAllocator.withLock { state -> UInt64 in
      if state == nil { state = fresh }
      guard var a = state else { throw DMAError.noAllocator }
      defer { state = a }
      if let wanted {
        try a.reserve(iova: wanted, size: length)
        return wanted
      }
      return try a.allocate(size: length)
    }
    var map = vfio_iommu_type1_dma_map()
    map.argsz = UInt32(MemoryLayout<vfio_iommu_type1_dma_map>.size)
    map.flags = UInt32(BARLUA_VFIO_DMA_MAP_FLAG_READ | BARLUA_VFIO_DMA_MAP_FLAG_WRITE)
    map.vaddr = UInt64(UInt(bitPattern: vaddr))
    map.iova = iova
    map.size = length
    do {
      try VFIOIoctl.call(fd, BARLUA_IOCTL_VFIO_IOMMU_MAP_DMA, &map) { e in
        switch e {
        case ENOMEM: MemlockLimit.hint(adding: length)
        case EEXIST: "the IOVA range is already mapped in this container"
        case EINVAL, EFAULT: "the IOMMU cannot map IOVA 0x\(hex(iova)) (+\(length) bytes)"
        default: VFIOIoctl.commonHint(e)
        }
      }
    } catch {
      iovaAllocator.withLock { $0?.release(iova: iova) }
      throw error
    }
    return iova
  }

  /// VFIO_IOMMU_UNMAP_DMA; quiet, for clean-up paths (the container may be closed already:
  /// the kernel then has dropped every mapping with it).
  func unmapDMA(iova: UInt64, length: UInt64) {
    iovaAllocator.withLock { $0?.release(iova: iova) }
    guard fd.isOpen else { return }
    var unmap = vfio_iommu_type1_dma_unmap()
    unmap.argsz = UInt32(MemoryLayout<vfio_iommu_type1_dma_unmap>.size)
    unmap.iova = iova
    unmap.size = length
    _ = barlua_ioctl_ptr(fd.rawValue, BARLUA_VFIO_IOMMU_UNMAP_DMA, &unmap)
  }
}

/// RLIMIT_MEMLOCK in words: the limit, and how to raise it.
enum MemlockLimit {
  static func hint(adding length: UInt64) -> String {
    var rl = rlimit()
    getrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &rl)
    let limit =
      rl.rlim_cur == rlim_t.max ? "unlimited" : "\(rl.rlim_cur / 1024) KiB"
    return "pinning \(length / 1024) KiB more exceeds the locked-memory limit RLIMIT_MEMLOCK"
      + " (\(limit) for this process; pinned DMA buffers count against it): raise it with"
      + " `ulimit -l <KiB>` in the shell that starts barlua, a `memlock` line in"
      + " /etc/security/limits.conf, LimitMEMLOCK= for a systemd service, or run with"
      + " CAP_IPC_LOCK"
  }
}
