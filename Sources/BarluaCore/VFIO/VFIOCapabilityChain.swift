import CBarluaSys

/// Reads the capability chain the kernel appends to a VFIO info structure.
///
/// Layout (include/uapi/linux/vfio.h): the fixed structure sits at offset 0 of the buffer, its
/// `cap_offset` gives the first `struct vfio_info_cap_header {u16 id; u16 version; u32 next;}`,
/// and every `next` is again an offset from the start of the buffer; 0 ends the chain.
enum VFIOCapabilityChain {
  struct Capability: Equatable {
    var id: UInt16
    var version: UInt16
    /// Offset of the capability header in the buffer.
    var offset: Int
  }

  /// Every capability in the chain starting at `first` (0: no capabilities). Capabilities
  /// live after the fixed structure of `fixedSize` bytes. Throws a `VFIOChainFault`; the
  /// caller says whose answer it is.
  static func parse(
    _ buffer: UnsafeRawBufferPointer, first: UInt32,
    fixedSize: Int = MemoryLayout<vfio_region_info>.size
  ) throws(VFIOChainFault) -> [Capability] {
    let header = MemoryLayout<vfio_info_cap_header>.size
    var caps: [Capability] = []
    var offset = Int(first)
    while offset != 0 {
      guard offset >= fixedSize, offset % 4 == 0, offset <= buffer.count - header
      else {
        throw VFIOChainFault.outside(offset: offset, answerBytes: buffer.count)
      }
      guard caps.count < 64, !caps.contains(where: { $0.offset == offset }) else {
        throw VFIOChainFault.loop(offset: offset)
      }
      let h = buffer.loadUnaligned(fromByteOffset: offset, as: vfio_info_cap_header.self)
      caps.append(Capability(id: h.id, version: h.version, offset: offset))
      offset = Int(h.next)
    }
    return caps
  }

  /// The areas of a `vfio_region_info_cap_sparse_mmap` whose header is at `offset`.
  static func sparseAreas(_ buffer: UnsafeRawBufferPointer, at offset: Int) throws(VFIOChainFault)
    -> [VFIORegion.Area]
  {
    let fixed = MemoryLayout<vfio_region_info_cap_sparse_mmap>.size
    guard offset <= buffer.count - fixed else {
      throw VFIOChainFault.sparseCutShort(offset: offset)
    }
    let cap = buffer.loadUnaligned(
      fromByteOffset: offset, as: vfio_region_info_cap_sparse_mmap.self)
    let areaSize = MemoryLayout<vfio_region_sparse_mmap_area>.size
    let start = offset + barlua_vfio_sparse_areas_offset()
    let count = Int(cap.nr_areas)
    guard count <= (buffer.count - start) / areaSize else {
      throw VFIOChainFault.sparseAreasMissing(offset: offset, count: count)
    }
    return (0..<count).map { i in
      let a = buffer.loadUnaligned(
        fromByteOffset: start + i * areaSize, as: vfio_region_sparse_mmap_area.self)
      return VFIORegion.Area(offset: a.offset, size: a.size)
    }
  }
}
