import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// Host memory a device reads and writes by DMA: page-aligned anonymous memory mapped for the
/// device's container at an IOVA (type1), or pinned, physically contiguous memory whose
/// physical address the device uses (no-IOMMU).
///
/// It is a `Mapping`, so every bar method reads and writes it. `unmap()` (free) first removes
/// the IOMMU mapping, then the memory; it is idempotent, and `VFIODevice.close()` calls it for
/// the device's buffers still alive.
public final class DMABuffer: Mapping, @unchecked Sendable {
  /// The address the device must use: the IOVA (type1) or the physical address (no-IOMMU).
  public let iova: UInt64
  /// PCI address of the device whose `dma` made the buffer.
  public let addr: String
  /// Bytes mapped for the device: the size rounded up to the IOMMU page (or huge page).
  public let mappedLength: UInt64
  /// Backed by huge pages (no-IOMMU buffers larger than a page).
  public let hugePages: Bool
  private var container: VFIOContainer?

  init(
    memory: AnonymousMemory, size: UInt64, iova: UInt64, addr: String, container: VFIOContainer?
  ) {
    self.iova = iova
    self.addr = addr
    self.mappedLength = UInt64(memory.length)
    self.hugePages = memory.hugePages
    self.container = container
    _ = memory.adopt()
    super.init(
      adopting: memory.base, length: memory.length, size: size,
      info: Description(method: .dma, addr: addr, path: "dma \(addr) iova 0x\(hex(iova))"))
  }

  /// Removes the IOMMU mapping (type1), then unmaps the memory. Safe to call more than once.
  public override func unmap() {
    if let container {
      self.container = nil
      container.unmapDMA(iova: iova, length: mappedLength)
    }
    super.unmap()
  }

  deinit { unmap() }
}

/// Anonymous, page-aligned memory from `mmap`, optionally huge pages; unmapped unless handed
/// to a `DMABuffer` (`adopt()`).
final class AnonymousMemory {
  let base: UnsafeMutableRawPointer
  let length: Int
  let hugePages: Bool
  private var owned = true

  /// `length` must be a multiple of the page (or huge page) size.
  init(length: Int, hugePages: Bool) throws {
    var flags = MAP_PRIVATE | MAP_ANONYMOUS
    if hugePages { flags |= MAP_HUGETLB }
    let call = "mmap of \(length / 1024) KiB anonymous memory\(hugePages ? " (MAP_HUGETLB)" : "")"
    let p = barlua_mmap(length, PROT_READ | PROT_WRITE, flags, -1, 0)  // see Mapping.init
    guard let p, p != MAP_FAILED else {
      let e = errno
      throw SystemError(call, errno: e)
    }
    // Not inherited by a forked child: otherwise the parent's next write to the then shared
    // copy-on-write page would move it to a new page, away from the one the device uses (the
    // physical one in no-IOMMU mode, which mlock does not protect from copy-on-write).
    if madvise(p, length, MADV_DONTFORK) != 0 {
      let e = errno
      munmap(p, length)
      throw SystemError("madvise MADV_DONTFORK", errno: e)
    }
    base = p
    self.length = length
    self.hugePages = hugePages
  }

  /// The memory now belongs to a Mapping, which unmaps it.
  func adopt() -> AnonymousMemory {
    owned = false
    return self
  }

  deinit { if owned { munmap(base, length) } }
}
