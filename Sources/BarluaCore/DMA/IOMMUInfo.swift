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
      throw malformed("the answer has \(answer.count) bytes, less than the \(fixed)-byte header")
    }
    return try answer.withUnsafeBytes { buffer in
      let info = buffer.loadUnaligned(as: vfio_iommu_type1_info.self)
      let pgsizes =
        info.flags & UInt32(BARLUA_VFIO_IOMMU_INFO_PGSIZES) != 0 ? info.iova_pgsizes : 0
      guard info.flags & UInt32(BARLUA_VFIO_IOMMU_INFO_CAPS) != 0, info.cap_offset != 0 else {
        return IOMMUInfo(pageSizes: pgsizes, ranges: nil)
      }
      let caps: [VFIOCapabilityChain.Capability]
      do {
        caps = try VFIOCapabilityChain.parse(buffer, first: info.cap_offset, fixedSize: fixed)
      } catch let e as UsageError {
        // "VFIO_DEVICE_GET_REGION_INFO: malformed capability chain: <what>" -> <what>
        let parts = e.message.split(separator: ":", maxSplits: 2)
        throw malformed("capability chain: " + (parts.last.map { $0.drop { $0 == " " } } ?? ""))
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
      throw malformed("IOVA range capability at \(offset) is cut short")
    }
    let cap = buffer.loadUnaligned(
      fromByteOffset: offset, as: vfio_iommu_type1_info_cap_iova_range.self)
    let size = MemoryLayout<vfio_iova_range>.size
    let count = Int(cap.nr_iovas)
    guard count <= (buffer.count - start) / size else {
      throw malformed(
        "IOVA range capability at \(offset) claims \(count) ranges, the answer holds fewer")
    }
    return try (0..<count).map { i in
      let r = buffer.loadUnaligned(fromByteOffset: start + i * size, as: vfio_iova_range.self)
      guard r.start <= r.end else {
        throw malformed("IOVA range \(i) starts at 0x\(hex(r.start)) after its end 0x\(hex(r.end))")
      }
      return IOVARange(first: r.start, last: r.end)
    }
  }

  static func malformed(_ what: String) -> UsageError {
    UsageError("VFIO_IOMMU_GET_INFO: malformed answer: \(what)")
  }
}
