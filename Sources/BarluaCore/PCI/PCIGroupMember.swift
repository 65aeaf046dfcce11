/// One device in an IOMMU group, as VFIO sees it when it decides whether the group is viable.
public struct PCIGroupMember: Equatable, Sendable, CustomStringConvertible {
  /// The entry's name in `iommu_group/devices/` (a PCI address for PCI devices).
  public let name: String
  /// nil for a member that is not a PCI function.
  public let address: PCIAddress?
  /// The bound driver, nil when none.
  public let driver: String?

  public init(name: String, driver: String?) {
    self.name = name
    self.address = try? PCIAddress(name)
    self.driver = driver
  }

  /// `0000:01:02.0 (virtio-pci)`, or `0000:01:02.0 (no driver)`.
  public var description: String { "\(name) (\(driver ?? "no driver"))" }

  /// Whether this member lets VFIO use its group.
  ///
  /// The kernel's rule (Linux ≥ 5.19, `vfio_group_ioctl_get_status` in drivers/vfio/group.c):
  /// a group is viable while `iommu_group_dma_owner_claimed()` is false, i.e. no member is
  /// bound to a driver that claims the group's DMA. Every driver does at probe
  /// (`iommu_device_use_default_domain`) unless it sets `driver_managed_dma`: vfio-pci and its
  /// variant drivers (`*_vfio_pci`), pci-stub and pcieport set it. So a member is fine when it
  /// has no driver or one of those. (Before 5.19, `vfio_dev_viable` accepted the same set, with
  /// any driver on a bridge instead of only pcieport.) The kernel's answer, the VIABLE flag of
  /// `VFIO_GROUP_GET_STATUS`, remains the authority; this predicts it from sysfs.
  public var allowsVFIO: Bool {
    guard let driver else { return true }
    return driver == "vfio-pci" || driver.hasSuffix("_vfio_pci") || driver == "pci-stub"
      || driver == "pcieport"
  }
}

/// A device bound to vfio-pci, with the group file that opens it.
public struct PCIVFIODevice: Equatable, Sendable {
  public let info: PCIDeviceInfo
  public let group: Int
  /// True when the group is a VFIO no-IOMMU group (its sysfs `name` is `vfio-noiommu`).
  public let noIOMMU: Bool
  /// `/dev/vfio/N`, or `/dev/vfio/noiommu-N` for a no-IOMMU group.
  public let groupPath: String
  /// Every member of the group, this device included, sorted by name.
  public let members: [PCIGroupMember]

  public init(
    info: PCIDeviceInfo, group: Int, noIOMMU: Bool, groupPath: String,
    members: [PCIGroupMember]
  ) {
    self.info = info
    self.group = group
    self.noIOMMU = noIOMMU
    self.groupPath = groupPath
    self.members = members
  }

  /// Every member allows VFIO (see `PCIGroupMember.allowsVFIO`).
  public var viable: Bool { members.allSatisfy(\.allowsVFIO) }

  /// The members that make the group not viable, for error messages.
  public var blockers: [PCIGroupMember] { members.filter { !$0.allowsVFIO } }
}

extension PCISysfs {
  /// The members of `addr`'s IOMMU group, from `ADDR/iommu_group/devices/`, sorted by name.
  /// Throws `PCIError.noIOMMUGroup` when the device has no group.
  public func groupMembers(_ addr: PCIAddress) throws -> [PCIGroupMember] {
    let groupDir = "\(path(addr))/iommu_group"
    guard try SysfsFiles.exists(groupDir) else {
      guard try SysfsFiles.exists(path(addr)) else { throw PCIError.noDevice(addr, root: root) }
      throw PCIError.noIOMMUGroup(addr, path: groupDir)
    }
    return try SysfsFiles.list("\(groupDir)/devices").sorted().map { name in
      // A PCI member's driver is read from its own directory under `root` (the same device);
      // the group's entry is used only for members that are not PCI functions there.
      var memberDir = "\(groupDir)/devices/\(name)"
      if let member = try? PCIAddress(name), try SysfsFiles.exists(path(member)) {
        memberDir = path(member)
      }
      return PCIGroupMember(name: name, driver: try SysfsFiles.linkBasename("\(memberDir)/driver"))
    }
  }

  /// Every device bound to vfio-pci, sorted by address, with its group's `/dev/vfio` path
  /// (under `devRoot`) and members.
  public func vfioDevices(devRoot: String = "/dev/vfio") throws -> [PCIVFIODevice] {
    try devices(filter: PCIFilter(driver: .name("vfio-pci"))).map { info in
      guard let group = info.iommuGroup else {
        throw PCIError.noIOMMUGroup(info.addr, path: "\(path(info.addr))/iommu_group")
      }
      let name = try SysfsFiles.readTextIfPresent("\(path(info.addr))/iommu_group/name")
      let noIOMMU = name == "vfio-noiommu"
      return PCIVFIODevice(
        info: info, group: group, noIOMMU: noIOMMU,
        groupPath: noIOMMU ? "\(devRoot)/noiommu-\(group)" : "\(devRoot)/\(group)",
        members: try groupMembers(info.addr))
    }
  }
}
