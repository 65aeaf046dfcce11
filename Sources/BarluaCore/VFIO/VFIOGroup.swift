import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// An open VFIO group file, `/dev/vfio/N` or `/dev/vfio/noiommu-N`, attached to a container.
///
/// A group file can be open only once (a second open gives EBUSY), so devices of one group
/// share one `VFIOGroup` through `VFIORegistry`.
final class VFIOGroup: @unchecked Sendable {
  let number: Int
  let fd: FileDescriptor
  let isNoIOMMU: Bool
  var container: VFIOContainer?
  /// Open devices of this group.
  var deviceCount = 0

  var path: String { fd.path }

  init(number: Int, fd: FileDescriptor, isNoIOMMU: Bool) {
    self.number = number
    self.fd = fd
    self.isNoIOMMU = isNoIOMMU
  }

  /// Opens the group file and checks that the group is viable; `members` is asked only when
  /// the kernel says it is not, for the error.
  static func open(
    number: Int, file: (path: String, noIOMMU: Bool), devVFIO: String,
    members: () throws -> [PCIGroupMember]
  ) throws -> VFIOGroup {
    if access(devVFIO, F_OK) != 0 {
      throw SystemError(
        "open", path: devVFIO, errno: ENOENT, hint: "vfio is not loaded: modprobe vfio-pci")
    }
    let fd = try FileDescriptor.open(file.path, flags: O_RDWR) { e in
      switch e {
      case ENOENT:
        "no such group file: is a device of IOMMU group \(number) bound to vfio-pci? (ls \(devVFIO))"
      default: VFIOIoctl.commonHint(e)
      }
    }
    let group = VFIOGroup(number: number, fd: fd, isNoIOMMU: file.noIOMMU)
    var status = vfio_group_status()
    status.argsz = UInt32(MemoryLayout<vfio_group_status>.size)
    try VFIOIoctl.call(fd, BARLUA_IOCTL_VFIO_GROUP_GET_STATUS, &status)
    if status.flags & UInt32(BARLUA_VFIO_GROUP_FLAGS_VIABLE) == 0 {
      throw VFIOError.groupNotViable(group: number, members: (try? members()) ?? [])
    }
    return group
  }

  /// Opens device `addr` of this group (VFIO_GROUP_GET_DEVICE_FD).
  func openDevice(_ addr: String) throws -> FileDescriptor {
    var name = Array(addr.utf8CString)
    let raw = try name.withUnsafeMutableBytes { buf in
      try VFIOIoctl.call(
        fd, BARLUA_IOCTL_VFIO_GROUP_GET_DEVICE_FD, buf.baseAddress!, detail: addr, hint: VFIOIoctl.commonHint)
    }
    return FileDescriptor(rawValue: raw, path: "\(path) device \(addr)")
  }

  func close() {
    container?.detach(self)
    fd.close()
  }
}
