/// VFIO as a whole: which devices are bound to vfio-pci.
public enum VFIO {
  /// Every device bound to vfio-pci, sorted by address (`PCISysfs.vfioDevices`, over the
  /// default sysfs root and `/dev/vfio`). The viability rule lives in one place:
  /// `PCIGroupMember.allowsVFIO`.
  public static func devices() throws -> [PCIVFIODevice] {
    try PCISysfs().vfioDevices()
  }

  /// How many VFIO groups and containers this process holds open (diagnostics and tests):
  /// groups of one kind share a container, so two type1 devices give (2, 1).
  public static var openCounts: (groups: Int, containers: Int) {
    VFIORegistry.shared.openCounts
  }
}
