#if canImport(Glibc)
  import Glibc
#endif

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

/// A device bound to vfio-pci, with the group file that opens it: the one listing of such
/// devices (`vfio.devices()`).
public struct PCIVFIODevice: Equatable, Sendable {
  /// The device's information, or why it could not be read.
  public let entry: PCIDeviceEntry
  /// The IOMMU group number, nil when the device has none.
  public let group: Int?
  /// True when the group is a VFIO no-IOMMU group (see `PCISysfs.groupFile`).
  public let noIOMMU: Bool
  /// `/dev/vfio/N`, or `/dev/vfio/noiommu-N` for a no-IOMMU group; nil without a group.
  public let groupPath: String?
  /// Every member of the group, this device included, sorted by name (nil when the group's
  /// member list could not be read).
  public let members: [PCIGroupMember]?

  public init(
    entry: PCIDeviceEntry, group: Int?, noIOMMU: Bool, groupPath: String?,
    members: [PCIGroupMember]?
  ) {
    self.entry = entry
    self.group = group
    self.noIOMMU = noIOMMU
    self.groupPath = groupPath
    self.members = members
  }

  public var addr: PCIAddress { entry.addr }
  public var info: PCIDeviceInfo? { entry.info }

  /// The device has a group whose every member allows VFIO (`PCIGroupMember.allowsVFIO`).
  public var viable: Bool {
    group != nil && (members?.allSatisfy(\.allowsVFIO) ?? false)
  }

  /// The members that make the group not viable.
  public var blockers: [PCIGroupMember] { members?.filter { !$0.allowsVFIO } ?? [] }
}

extension PCISysfs {
  /// The bound driver's name (the `driver` link's last component), nil when none is bound.
  /// A `driver` link that does not resolve because it loops (ELOOP: never made by the kernel)
  /// is an error, not "no driver".
  public func driver(_ addr: PCIAddress) throws -> String? {
    let link = "\(path(addr))/driver"
    guard let name = try SysfsFiles.linkBasename(link) else { return nil }
    var st = stat()
    if stat(link, &st) != 0 && errno == ELOOP {
      throw SystemError.current("stat", path: link, hint: "the driver link loops: the tree is not the kernel's")
    }
    return name
  }

  /// The IOMMU group number (the `iommu_group` link), nil when the device has none.
  public func iommuGroup(_ addr: PCIAddress) throws -> Int? {
    let link = "\(path(addr))/iommu_group"
    guard let name = try SysfsFiles.linkBasename(link) else { return nil }
    guard let group = Int(name), group >= 0 else {
      throw SystemError(content: link, text: name, expected: "a link to a numbered group")
    }
    return group
  }

  /// The file that opens `addr`'s group `group` under `devVFIO`: `noiommu-N` when that exists or
  /// the group's sysfs `name` is `vfio-noiommu` (vfio's no-IOMMU mode), else `N`.
  public func groupFile(_ addr: PCIAddress, group: Int, devVFIO: String) -> (path: String, noIOMMU: Bool) {
    let noiommu = "\(devVFIO)/noiommu-\(group)"
    let name = try? SysfsFiles.readTextIfPresent("\(path(addr))/iommu_group/name")
    if (try? SysfsFiles.exists(noiommu)) == true || name == "vfio-noiommu" {
      return (noiommu, true)
    }
    return ("\(devVFIO)/\(group)", false)
  }

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

  /// Every device bound to vfio-pci, sorted by address, with its group's file (under
  /// `devVFIO`) and members. A device whose files cannot be read is listed with its problem.
  public func vfioDevices(devVFIO: String = "/dev/vfio") throws -> [PCIVFIODevice] {
    try entries(filter: PCIFilter(driver: .name("vfio-pci"))).map { entry in
      let addr = entry.addr
      guard let group = entry.info?.iommuGroup ?? (try? iommuGroup(addr)) ?? nil else {
        return PCIVFIODevice(entry: entry, group: nil, noIOMMU: false, groupPath: nil, members: nil)
      }
      let file = groupFile(addr, group: group, devVFIO: devVFIO)
      return PCIVFIODevice(
        entry: entry, group: group, noIOMMU: file.noIOMMU, groupPath: file.path,
        members: try? groupMembers(addr))
    }
  }
}
