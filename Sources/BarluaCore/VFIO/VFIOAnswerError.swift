/// A VFIO answer or set-up that barlua cannot use, as facts: what the kernel gave, and which
/// ioctl gave it (`request` is the name derived from the request number, with its detail:
/// `VFIO_DEVICE_GET_REGION_INFO(BAR0)`). Worded for Lua users in `LuaWording`.
public enum VFIOAnswerError: Error, Equatable, Sendable {
  /// The kernel asked for a larger buffer each time it was asked.
  case bufferKeptGrowing(request: String, path: String)
  /// VFIO_DEVICE_GET_REGION_INFO's capability chain is not well formed.
  case regionCapabilityChain(VFIOChainFault)
  /// VFIO_DEVICE_GET_REGION_INFO answered fewer bytes than `struct vfio_region_info`.
  case regionInfoTooShort(bytes: Int)
  /// VFIO_IOMMU_GET_INFO's answer is not well formed.
  case iommuInfo(IOMMUInfoFault)
  /// The container speaks VFIO API `version`, barlua `expected`.
  case apiVersion(path: String, version: Int32, expected: Int32)
  /// No-IOMMU mode is asked for, but the kernel does not offer VFIO_NOIOMMU_IOMMU.
  case noNoIOMMU(path: String)
  /// The kernel offers neither type1 IOMMU.
  case noType1(path: String)
}

/// How a capability chain (the list the kernel appends to a VFIO info answer) is broken.
public enum VFIOChainFault: Error, Equatable, Sendable {
  /// A capability header at `offset` lies outside the `answerBytes`-byte answer.
  case outside(offset: Int, answerBytes: Int)
  /// The chain comes back to `offset` (or is longer than 64 entries).
  case loop(offset: Int)
  /// The sparse-mmap capability at `offset` is cut short.
  case sparseCutShort(offset: Int)
  /// The sparse-mmap capability at `offset` claims `count` areas the answer does not hold.
  case sparseAreasMissing(offset: Int, count: Int)
}

/// How a VFIO_IOMMU_GET_INFO answer is broken.
public enum IOMMUInfoFault: Equatable, Sendable {
  /// The answer has `bytes` bytes, less than the `header`-byte header.
  case tooShort(bytes: Int, header: Int)
  /// Its capability chain is broken.
  case chain(VFIOChainFault)
  /// The IOVA range capability at `offset` is cut short.
  case rangesCutShort(offset: Int)
  /// The IOVA range capability at `offset` claims `count` ranges the answer does not hold.
  case rangesMissing(offset: Int, count: Int)
  /// IOVA range `index` starts after its end.
  case rangeBackwards(index: Int, start: UInt64, end: UInt64)
}
