import CBarluaSys

/// One region of a VFIO PCI device, as `VFIO_DEVICE_GET_REGION_INFO` describes it.
public struct VFIORegion: Equatable, Sendable {
  /// An mmap-able part of a region (from the sparse-mmap capability), relative to its start.
  public struct Area: Equatable, Sendable {
    public var offset: UInt64
    public var size: UInt64
    public init(offset: UInt64, size: UInt64) {
      self.offset = offset
      self.size = size
    }
  }

  public var index: Int
  /// `"BAR0"`…`"BAR5"`, `"ROM"`, `"CONFIG"`, `"VGA"` or `"region N"`.
  public var name: String { VFIORegion.name(index) }
  public var size: UInt64
  /// Where the region starts in the device file (for pread/pwrite and mmap).
  public var offset: UInt64
  public var read: Bool
  public var write: Bool
  public var mmap: Bool
  /// The mmap-able areas when the kernel reports a sparse-mmap capability, else nil.
  public var sparse: [Area]? = nil
  /// The kernel allows mapping the MSI-X table of this BAR (VFIO_REGION_INFO_CAP_MSIX_MAPPABLE).
  public var msixMappable: Bool = false
}

extension VFIORegion {

  /// The name of region `index` of a PCI device, per the VFIO_PCI_*_REGION_INDEX values.
  public static func name(_ index: Int) -> String {
    switch index {
    case Int(BARLUA_VFIO_PCI_BAR0_REGION_INDEX)...Int(BARLUA_VFIO_PCI_BAR5_REGION_INDEX):
      "BAR\(index - Int(BARLUA_VFIO_PCI_BAR0_REGION_INDEX))"
    case Int(BARLUA_VFIO_PCI_ROM_REGION_INDEX): "ROM"
    case Int(BARLUA_VFIO_PCI_CONFIG_REGION_INDEX): "CONFIG"
    case Int(BARLUA_VFIO_PCI_VGA_REGION_INDEX): "VGA"
    default: "region \(index)"
    }
  }

  /// Builds a region from the kernel's whole VFIO_DEVICE_GET_REGION_INFO answer.
  init(answer: [UInt8]) throws {
    guard answer.count >= MemoryLayout<vfio_region_info>.size else {
      throw VFIOAnswerError.regionInfoTooShort(bytes: answer.count)
    }
    self = try answer.withUnsafeBytes { buffer in
      try VFIORegion(info: buffer.loadUnaligned(as: vfio_region_info.self), buffer: buffer)
    }
  }

  /// Builds a region from the kernel's answer: the fixed `vfio_region_info` and the whole
  /// buffer it was returned in (for the capability chain).
  init(info: vfio_region_info, buffer: UnsafeRawBufferPointer) throws {
    let flags = info.flags
    var sparse: [Area]? = nil
    var msix = false
    if flags & UInt32(BARLUA_VFIO_REGION_INFO_FLAG_CAPS) != 0 {
      do throws(VFIOChainFault) {
        let caps = try VFIOCapabilityChain.parse(buffer, first: info.cap_offset)
        for cap in caps {
          switch cap.id {
          case UInt16(BARLUA_VFIO_REGION_INFO_CAP_SPARSE_MMAP):
            sparse = try VFIOCapabilityChain.sparseAreas(buffer, at: cap.offset)
          case UInt16(BARLUA_VFIO_REGION_INFO_CAP_MSIX_MAPPABLE):
            msix = true
          default:
            break
          }
        }
      } catch {
        throw VFIOAnswerError.regionCapabilityChain(error)
      }
    }
    self.init(
      index: Int(info.index), size: info.size, offset: info.offset,
      read: flags & UInt32(BARLUA_VFIO_REGION_INFO_FLAG_READ) != 0,
      write: flags & UInt32(BARLUA_VFIO_REGION_INFO_FLAG_WRITE) != 0,
      mmap: flags & UInt32(BARLUA_VFIO_REGION_INFO_FLAG_MMAP) != 0,
      sparse: sparse, msixMappable: msix)
  }

  /// Checks that `size` bytes at `offset` can be mapped: the region exists with that range, the
  /// kernel allows mmap, and with a sparse capability the range lies inside one area.
  /// Returns the size to map (`size` defaults to the rest of the region).
  public func checkMappable(offset: UInt64, size: UInt64?) throws -> UInt64 {
    guard self.size > 0 else {
      throw MappingError.regionNotImplemented(region: name)
    }
    guard mmap else {
      throw MappingError.regionNotMappable(region: name)
    }
    guard offset < self.size else {
      throw MappingError.offsetOutsideRegion(region: name, offset: offset, size: self.size)
    }
    let length = size ?? (self.size - offset)
    guard length > 0 else {
      throw MappingError.emptyRegionRange(region: name, offset: offset)
    }
    guard length <= self.size - offset else {
      throw MappingError.beyondRegion(region: name, offset: offset, length: length, size: self.size)
    }
    if let sparse {
      let inside = sparse.contains { a in
        offset >= a.offset && length <= a.size && offset - a.offset <= a.size - length
      }
      if !inside {
        throw MappingError.outsideSparseAreas(region: name, offset: offset, length: length, areas: sparse)
      }
    }
    return length
  }
}
