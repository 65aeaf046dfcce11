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

  /// The group file for group `number`: `noiommu-N` when that exists (no-IOMMU mode), else `N`.
  static func path(number: Int, devVFIO: String, sysfs: VFIOSysfs) -> (path: String, noIOMMU: Bool) {
    let noiommu = devVFIO + "/noiommu-\(number)"
    if VFIOSysfs.fileExists(noiommu) || sysfs.groupIsNoIOMMU(number) {
      return (noiommu, true)
    }
    return (devVFIO + "/\(number)", false)
  }

  /// Opens the group file and checks that the group is viable.
  static func open(number: Int, devVFIO: String, sysfs: VFIOSysfs) throws -> VFIOGroup {
    if !VFIOSysfs.fileExists(devVFIO) {
      throw SystemError(
        "open", path: devVFIO, errno: ENOENT, hint: "vfio is not loaded: modprobe vfio-pci")
    }
    let (path, noIOMMU) = VFIOGroup.path(number: number, devVFIO: devVFIO, sysfs: sysfs)
    let fd = try FileDescriptor.open(path, flags: O_RDWR) { e in
      switch e {
      case ENOENT:
        "no such group file: is a device of IOMMU group \(number) bound to vfio-pci? (ls \(devVFIO))"
      default: VFIOIoctl.commonHint(e)
      }
    }
    let group = VFIOGroup(number: number, fd: fd, isNoIOMMU: noIOMMU)
    var status = vfio_group_status()
    status.argsz = UInt32(MemoryLayout<vfio_group_status>.size)
    try VFIOIoctl.call(fd, "VFIO_GROUP_GET_STATUS", barlua_vfio_group_get_status(), &status)
    if status.flags & UInt32(BARLUA_VFIO_GROUP_FLAGS_VIABLE) == 0 {
      throw UsageError(notViableMessage(number: number, sysfs: sysfs))
    }
    return group
  }

  /// `IOMMU group 7 is not viable: 0000:01:02.0 is bound to virtio-pci (bind it to vfio-pci or
  /// unbind it)` — every member not bound to vfio-pci: those bound to another driver (the
  /// usual cause) first, then those with no driver (a conventional PCI bridge, say).
  static func notViableMessage(number: Int, sysfs: VFIOSysfs) -> String {
    var bound: [String] = []
    var unbound: [String] = []
    for member in sysfs.groupMembers(number) {
      switch sysfs.driver(member) {
      case "vfio-pci"?: continue
      case let driver?: bound.append("\(member) is bound to \(driver)")
      case nil: unbound.append(member)
      }
    }
    var text = "IOMMU group \(number) is not viable"
    switch bound.count {
    case 0:
      text += ": no member is bound to another driver"
    case 1:
      text += ": " + bound[0] + " (bind it to vfio-pci or unbind it)"
    default:
      text += ": " + bound.joined(separator: "; ") + " (bind each to vfio-pci or unbind it)"
    }
    if !unbound.isEmpty {
      text += "; also in the group, with no driver: " + unbound.joined(separator: ", ")
    }
    if bound.isEmpty {
      text += " (a device may be in the middle of binding: try again)"
    }
    return text
  }

  /// Opens device `addr` of this group (VFIO_GROUP_GET_DEVICE_FD).
  func openDevice(_ addr: String) throws -> FileDescriptor {
    var name = Array(addr.utf8CString)
    let raw = try name.withUnsafeMutableBytes { buf in
      try VFIOIoctl.call(
        fd, "VFIO_GROUP_GET_DEVICE_FD(\(addr))", barlua_vfio_group_get_device_fd(),
        buf.baseAddress!, hint: VFIOIoctl.commonHint)
    }
    return FileDescriptor(rawValue: raw, path: "\(path) device \(addr)")
  }

  func close() {
    container?.detach(self)
    fd.close()
  }
}
