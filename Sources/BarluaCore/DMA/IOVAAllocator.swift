/// A closed range of I/O virtual addresses, `first...last` as the kernel reports them
/// (`struct vfio_iova_range {start, end}`, both inclusive).
public struct IOVARange: Equatable, Sendable, CustomStringConvertible {
  public var first: UInt64
  public var last: UInt64

  public init(first: UInt64, last: UInt64) {
    self.first = first
    self.last = last
  }

  /// `0x0-0xfedfffff`.
  public var description: String { "0x\(hex(first))-0x\(hex(last))" }

  func contains(_ other: IOVARange) -> Bool { first <= other.first && other.last <= last }
  func overlaps(_ other: IOVARange) -> Bool { first <= other.last && other.first <= last }
}

/// Hands out IOVAs for DMA buffers inside a container's valid ranges, never overlapping.
///
/// The same job as the VFIO selftests library's allocator: first fit over the valid ranges
/// (`VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE`), page-aligned, lowest address first but never
/// below `floor` (1 MiB: an IOVA of 0 looks like a NULL pointer to a device's firmware).
/// A caller may also ask for a fixed IOVA, which must be aligned, inside one valid range and
/// free. Sizes are rounded up to whole pages.
public struct IOVAAllocator: Sendable {
  public let valid: [IOVARange]
  public let pageSize: UInt64
  public let floor: UInt64
  /// Allocated ranges, sorted by `first`.
  public private(set) var used: [IOVARange] = []

  public init(valid: [IOVARange], pageSize: UInt64 = 4096, floor: UInt64 = 0x10_0000) {
    self.valid = valid.filter { $0.first <= $0.last }.sorted { $0.first < $1.first }
    self.pageSize = pageSize
    self.floor = floor
  }

  /// `size` rounded up to whole pages, or nil when that overflows.
  public func pages(_ size: UInt64) -> UInt64? {
    let (sum, over) = size.addingReportingOverflow(pageSize - 1)
    return over ? nil : sum & ~(pageSize - 1)
  }

  /// Picks and records the lowest free, page-aligned IOVA for `size` bytes.
  public mutating func allocate(size: UInt64) throws -> UInt64 {
    guard size > 0, let length = pages(size) else {
      throw DMAError.sizeUnmappable(size: size)
    }
    for range in valid {
      var candidate = max(range.first, floor)
      guard let aligned = alignUp(candidate) else { continue }
      candidate = aligned
      while let last = lastAddress(candidate, length), last <= range.last {
        let want = IOVARange(first: candidate, last: last)
        guard let clash = used.first(where: { $0.overlaps(want) }) else {
          insert(want)
          return candidate
        }
        guard clash.last < UInt64.max, let next = alignUp(clash.last + 1) else { break }
        candidate = next
      }
    }
    throw DMAError.noFreeIOVA(length: length, valid: valid, mapped: used.count)
  }

  /// Records `size` bytes at `iova` chosen by the caller: aligned, inside one valid range, free.
  public mutating func reserve(iova: UInt64, size: UInt64) throws {
    guard iova % pageSize == 0 else {
      throw DMAError.iovaMisaligned(iova: iova, pageSize: pageSize)
    }
    guard size > 0, let length = pages(size), let last = lastAddress(iova, length) else {
      throw DMAError.iovaWraps(iova: iova, size: size)
    }
    let want = IOVARange(first: iova, last: last)
    guard valid.contains(where: { $0.contains(want) }) else {
      throw DMAError.iovaOutsideValid(range: want, valid: valid)
    }
    if let clash = used.first(where: { $0.overlaps(want) }) {
      throw DMAError.iovaOverlaps(range: want, clash: clash)
    }
    insert(want)
  }

  /// Forgets the allocation starting at `iova` (no-op when there is none).
  public mutating func release(iova: UInt64) {
    used.removeAll { $0.first == iova }
  }

  private mutating func insert(_ r: IOVARange) {
    let i = used.firstIndex { $0.first > r.first } ?? used.count
    used.insert(r, at: i)
  }

  private func alignUp(_ v: UInt64) -> UInt64? {
    let (sum, over) = v.addingReportingOverflow(pageSize - 1)
    return over ? nil : sum & ~(pageSize - 1)
  }

  private func lastAddress(_ first: UInt64, _ length: UInt64) -> UInt64? {
    let (sum, over) = first.addingReportingOverflow(length - 1)
    return over ? nil : sum
  }
}
