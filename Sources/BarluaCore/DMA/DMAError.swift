/// DMA buffer requests that cannot be carried out, as facts (worded for Lua users in
/// `LuaWording`).
public enum DMAError: Error, Equatable, Sendable {
  /// A size of 0 or above `maximum`.
  case sizeOutOfRange(size: UInt64, maximum: UInt64)
  /// The size cannot be rounded to whole IOMMU pages.
  case sizeUnmappable(size: UInt64)
  /// No free range of `length` bytes inside the container's `valid` ranges; `mapped` buffers
  /// hold the rest.
  case noFreeIOVA(length: UInt64, valid: [IOVARange], mapped: Int)
  /// `iova` is not a multiple of the IOMMU page size.
  case iovaMisaligned(iova: UInt64, pageSize: UInt64)
  /// `iova` + `size` passes 2^64.
  case iovaWraps(iova: UInt64, size: UInt64)
  /// The range is not inside one valid IOVA range.
  case iovaOutsideValid(range: IOVARange, valid: [IOVARange])
  /// The range overlaps the buffer at `clash`.
  case iovaOverlaps(range: IOVARange, clash: IOVARange)
  /// The container has no IOVA allocator (not a type1 container).
  case noAllocator
  /// An iova was chosen for a device in no-IOMMU mode, where devices use physical addresses.
  case iovaInNoIOMMU(addr: String, iova: UInt64)
  /// A no-IOMMU buffer of `size` bytes needs `pages` huge pages of `hugePageSize` bytes that
  /// are not free; buffers of at most `pageSize` bytes need none.
  case noHugePages(addr: String, size: UInt64, pages: UInt64, hugePageSize: UInt64, pageSize: UInt64)
  /// The no-IOMMU buffer of `length` bytes is not physically contiguous: page `page` is at
  /// `frame`, not `expected`; buffers of at most `hugePageSize` bytes (one huge page) are.
  case notContiguous(length: UInt64, page: Int, frame: UInt64, expected: UInt64, hugePageSize: UInt64)
  /// `path` (/proc/self/pagemap) gave `got` of `want` bytes.
  case pagemapShort(path: String, got: Int, want: Int)
  /// Page `page` of the locked buffer is not present.
  case pageNotPresent(page: Int, path: String)
  /// `path` reads every frame as 0: the process lacks CAP_SYS_ADMIN.
  case framesHidden(path: String)
}
