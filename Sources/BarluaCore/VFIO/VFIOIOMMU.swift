import CBarluaSys

/// The IOMMU driver a VFIO container uses; raw values are what Lua's `device.iommu` shows.
public enum VFIOIOMMU: String, Sendable, CaseIterable {
  case type1v2
  case type1
  case noiommu

  /// The value `VFIO_SET_IOMMU` and `VFIO_CHECK_EXTENSION` take.
  var ioctlValue: UInt {
    switch self {
    case .type1v2: UInt(BARLUA_VFIO_TYPE1v2_IOMMU)
    case .type1: UInt(BARLUA_VFIO_TYPE1_IOMMU)
    case .noiommu: UInt(BARLUA_VFIO_NOIOMMU_IOMMU)
    }
  }

  /// Containers are shared only between groups of the same kind: a no-IOMMU group can never
  /// join a type1 container and the other way round.
  var kind: Kind { self == .noiommu ? .noiommu : .iommu }

  enum Kind: Sendable { case iommu, noiommu }
}
