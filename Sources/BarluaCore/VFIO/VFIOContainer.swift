import CBarluaSys
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// An open `/dev/vfio/vfio`: the IOMMU context that groups attach to.
///
/// The IOMMU type is set when the first group is attached (the kernel refuses it before).
/// Groups of one kind (IOMMU or no-IOMMU) share a container; `VFIORegistry` decides.
final class VFIOContainer: @unchecked Sendable {
  let fd: FileDescriptor
  /// The IOMMU type in use, nil until the first group is attached.
  private(set) var iommu: VFIOIOMMU?
  /// Open groups attached to this container.
  var groupCount = 0
  /// The IOVAs of DMA buffers mapped in this container (type1), made on first use
  /// (VFIOContainer+DMA.swift). Locked: devices of one container may be used from different
  /// threads.
  let iovaAllocator = Mutex<IOVAAllocator?>(nil)

  init(fd: FileDescriptor) { self.fd = fd }

  /// Opens `<dev>/vfio` and checks the API version.
  static func open(devVFIO: String = "/dev/vfio") throws -> VFIOContainer {
    let path = devVFIO + "/vfio"
    if access(devVFIO, F_OK) != 0 {
      throw SystemError(
        "open", path: path, errno: ENOENT, hint: "vfio is not loaded: modprobe vfio-pci")
    }
    let fd = try FileDescriptor.open(path, flags: O_RDWR) { e in
      switch e {
      case ENOENT:
        "this kernel has VFIO groups but no container device: it needs CONFIG_VFIO_CONTAINER"
          + " or iommufd's compatibility (CONFIG_IOMMUFD_VFIO_CONTAINER)"
      case ENODEV, ENXIO: "vfio is not loaded: modprobe vfio-pci"
      default: VFIOIoctl.commonHint(e)
      }
    }
    let container = VFIOContainer(fd: fd)
    let version = try VFIOIoctl.call(fd, BARLUA_IOCTL_VFIO_GET_API_VERSION)
    guard version == BARLUA_VFIO_API_VERSION else {
      throw VFIOAnswerError.apiVersion(path: path, version: version, expected: Int32(BARLUA_VFIO_API_VERSION))
    }
    return container
  }

  /// Whether the kernel offers IOMMU type `type` (VFIO_CHECK_EXTENSION).
  func supports(_ type: VFIOIOMMU) throws -> Bool {
    try VFIOIoctl.call(fd, BARLUA_IOCTL_VFIO_CHECK_EXTENSION, value: type.ioctlValue) > 0
  }

  /// Attaches `group` (VFIO_GROUP_SET_CONTAINER) and, for the first group, sets the IOMMU type:
  /// VFIO_NOIOMMU_IOMMU for a no-IOMMU group, else type1v2 when offered, else type1.
  func attach(_ group: VFIOGroup) throws {
    var containerFD = fd.rawValue
    try VFIOIoctl.call(
      group.fd, BARLUA_IOCTL_VFIO_GROUP_SET_CONTAINER, &containerFD, hint: VFIOIoctl.commonHint)
    if iommu == nil {
      do {
        let type = try chooseIOMMU(noIOMMU: group.isNoIOMMU)
        try VFIOIoctl.call(fd, BARLUA_IOCTL_VFIO_SET_IOMMU, value: type.ioctlValue) {
          e in
          switch e {
          case EPERM where type == .noiommu:
            "no-IOMMU mode needs CAP_SYS_RAWIO: run as root"
          case EPERM:
            "the IOMMU refused the group; without interrupt remapping load vfio_iommu_type1 with"
              + " allow_unsafe_interrupts=1"
          default: VFIOIoctl.commonHint(e)
          }
        }
        iommu = type
      } catch {
        detach(group)
        throw error
      }
    }
    groupCount += 1
  }

  /// Detaches `group`; the kernel would do it when the group file closes, this is explicit.
  func detach(_ group: VFIOGroup) {
    var containerFD = fd.rawValue
    _ = barlua_ioctl_ptr(group.fd.rawValue, BARLUA_VFIO_GROUP_UNSET_CONTAINER, &containerFD)
  }

  private func chooseIOMMU(noIOMMU: Bool) throws -> VFIOIOMMU {
    if noIOMMU {
      guard try supports(.noiommu) else {
        throw VFIOAnswerError.noNoIOMMU(path: fd.path)
      }
      return .noiommu
    }
    if try supports(.type1v2) { return .type1v2 }
    if try supports(.type1) { return .type1 }
    throw VFIOAnswerError.noType1(path: fd.path)
  }

  func close() { fd.close() }
}
