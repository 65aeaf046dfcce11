/// VFIO as a whole: which devices are bound to vfio-pci.
public enum VFIO {
  /// A device bound to vfio-pci, as sysfs shows it (no privileges needed).
  public struct Listing: Equatable, Sendable {
    public var addr: String
    /// IOMMU group number, nil when sysfs shows none.
    public var group: Int?
    /// `/dev/vfio/N` or `/dev/vfio/noiommu-N`, nil without a group.
    public var groupPath: String?
    /// Whether the group can be used: no member is bound to a driver that owns DMA
    /// (`PCIGroupMember.allowsVFIO` states the kernel's rule).
    public var viable: Bool
    /// Members of the group that make it not viable, with their drivers (`addr=driver`).
    public var blockers: [String]
  }

  /// Every device bound to vfio-pci, sorted by address.
  public static func devices() -> [Listing] {
    devices(sysfs: VFIOSysfs(), devVFIO: "/dev/vfio")
  }

  static func devices(sysfs: VFIOSysfs, devVFIO: String) -> [Listing] {
    sysfs.vfioPCIDevices().map { addr in
      guard let group = sysfs.iommuGroup(addr) else {
        return Listing(addr: addr, group: nil, groupPath: nil, viable: false, blockers: [])
      }
      // The viability rule lives in one place: PCIGroupMember.allowsVFIO.
      let blockers = sysfs.groupMembers(group).compactMap { member -> String? in
        let m = PCIGroupMember(name: member, driver: sysfs.driver(member))
        return m.allowsVFIO ? nil : "\(member)=\(m.driver ?? "")"
      }
      return Listing(
        addr: addr, group: group,
        groupPath: VFIOGroup.path(number: group, devVFIO: devVFIO, sysfs: sysfs).path,
        viable: blockers.isEmpty, blockers: blockers)
    }
  }

  /// How many VFIO groups and containers this process holds open (diagnostics and tests):
  /// groups of one kind share a container, so two type1 devices give (2, 1).
  public static var openCounts: (groups: Int, containers: Int) {
    VFIORegistry.shared.openCounts
  }
}
