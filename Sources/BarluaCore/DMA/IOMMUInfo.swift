import CBarluaSys

/// What `VFIO_IOMMU_GET_INFO` says about a type1 container: the page sizes it maps and the
/// valid IOVA ranges (capability `VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE`).
public struct IOMMUInfo: Equatable, Sendable {
  /// Bitmap of supported IOMMU page sizes (`iova_pgsizes`), 0 when not reported.
  public var pageSizes: UInt64
  /// Valid IOVA ranges; nil when the kernel reports none (before 5.4: no capability).
  public var ranges: [IOVARange]?

  public init(pageSizes: UInt64, ranges: [IOVARange]?) {
    self.pageSizes = pageSizes
    self.ranges = ranges
  }

  /// The smallest page size the IOMMU maps (4 KiB when not reported).
  public var minimumPageSize: UInt64 {
    pageSizes == 0 ? 4096 : pageSizes & (~pageSizes &+ 1)
  }

  /// Parses the kernel's whole answer: `struct vfio_iommu_type1_info` followed by its
  /// capability chain. A malformed chain is an error, not an empty list.
  public static func parse(_ answer: [UInt8]) throws -> IOMMUInfo {
    let fixed = MemoryLayout<vfio_iommu_type1_info>.size
    guard answer.count >= fixed else {
      throw VFIOAnswerError.iommuInfo(.tooShort(bytes: answer.count, header: fixed))
    }
    return try answer.withUnsafeBytes { buffer in
      let info = buffer.loadUnaligned(as: vfio_iommu_type1_info.self)
      let pgsizes =
        info.flags & UInt32(BARLUA_VFIO_IOMMU_INFO_PGSIZES) != 0 ? info.iova_pgsizes : 0
      guard info.flags & UInt32(BARLUA_VFIO_IOMMU_INFO_CAPS) != 0, info.cap_offset != 0 else {
        return IOMMUInfo(pageSizes: pgsizes, ranges: nil)
      }
      let caps: [VFIOCapabilityChain.Capability]
      do throws(VFIOChainFault) {
        caps = try VFIOCapabilityChain.parse(buffer, first: info.cap_offset, fixedSize: fixed)
      } catch {
        throw VFIOAnswerError.iommuInfo(.chain(error))
      }
      guard
        let cap = caps.first(where: {
          $0.id == UInt16(BARLUA_VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
        })
      else { return IOMMUInfo(pageSizes: pgsizes, ranges: nil) }
      return IOMMUInfo(pageSizes: pgsizes, ranges: try ranges(buffer, at: cap.offset))
    }
  }

  /// The ranges of a `vfio_iommu_type1_info_cap_iova_range` whose header is at `offset`.
  static func ranges(_ buffer: UnsafeRawBufferPointer, at offset: Int) throws -> [IOVARange] {
    let start = offset + barlua_vfio_iova_ranges_offset()
    guard start <= buffer.count else {
      throw VFIOAnswerError.iommuInfo(.rangesCutShort(offset: offset))
    }
    let cap = buffer.loadUnaligned(
      fromByteOffset: offset, as: vfio_iommu_type1_info_cap_iova_range.self)
    let size = MemoryLayout<vfio_iova_range>.size
    let count = Int(cap.nr_iovas)
    guard count <= (buffer.count - start) / size else {
      throw VFIOAnswerError.iommuInfo(.rangesMissing(offset: offset, count: count))
    }
    return try (0..<count).map { i in
      let r = buffer.loadUnaligned(fromByteOffset: start + i * size, as: vfio_iova_range.self)
      guard r.start <= r.end else {
        throw VFIOAnswerError.iommuInfo(.rangeBackwards(index: i, start: r.start, end: r.end))
      }
      return IOVARange(first: r.start, last: r.end)
    }
  }
}
