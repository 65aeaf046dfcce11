import Foundation

@testable import BarluaCore

/// A throw-away sysfs tree laid out like the kernel's (same relative links), plus a `/dev/vfio`
/// stand-in, for the parts of VFIO that read sysfs.
final class VFIOTestSysfs {
  let root: URL
  var sys: String { root.appendingPathComponent("sys").path }
  var dev: String { root.appendingPathComponent("dev/vfio").path }
  var sysfs: PCISysfs { PCISysfs(root: sys + "/bus/pci/devices") }
  private let fm = FileManager.default

  init() throws {
    root = fm.temporaryDirectory.appendingPathComponent("barlua-vfio-\(UUID().uuidString)")
    for dir in ["sys/devices/pci0000:00", "sys/bus/pci/devices", "sys/kernel/iommu_groups"] {
      try fm.createDirectory(
        at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
    }
  }

  deinit { try? fm.removeItem(at: root) }

  /// Adds a device the way sysfs shows it: /sys/devices/pci0000:00/ADDR with `driver` and
  /// `iommu_group` links, /sys/bus/pci/devices/ADDR linking to it, the group's `devices` entry,
  /// and the driver directory's entry.
  func addDevice(_ addr: String, driver: String?, group: Int?, resource: String? = nil) throws {
    let devDir = root.appendingPathComponent("sys/devices/pci0000:00/\(addr)")
    try fm.createDirectory(at: devDir, withIntermediateDirectories: true)
    try fm.createSymbolicLink(
      atPath: "\(sys)/bus/pci/devices/\(addr)",
      withDestinationPath: "../../../devices/pci0000:00/\(addr)")
    if let driver {
      let driverDir = "\(sys)/bus/pci/drivers/\(driver)"
      try fm.createDirectory(atPath: driverDir, withIntermediateDirectories: true)
      try fm.createSymbolicLink(
        atPath: devDir.appendingPathComponent("driver").path,
        withDestinationPath: "../../../bus/pci/drivers/\(driver)")
      try fm.createSymbolicLink(
        atPath: "\(driverDir)/\(addr)",
        withDestinationPath: "../../../../devices/pci0000:00/\(addr)")
    }
    if let group {
      let groupDir = "\(sys)/kernel/iommu_groups/\(group)/devices"
      try fm.createDirectory(atPath: groupDir, withIntermediateDirectories: true)
      try fm.createSymbolicLink(
        atPath: devDir.appendingPathComponent("iommu_group").path,
        withDestinationPath: "../../../kernel/iommu_groups/\(group)")
      try fm.createSymbolicLink(
        atPath: "\(groupDir)/\(addr)",
        withDestinationPath: "../../../../devices/pci0000:00/\(addr)")
    }
    if let resource {
      try resource.write(
        to: devDir.appendingPathComponent("resource"), atomically: true, encoding: .utf8)
    }
  }

  /// Marks group `n` as a vfio no-IOMMU group (its sysfs `name`).
  func nameGroup(_ n: Int, _ name: String) throws {
    try (name + "\n").write(
      toFile: "\(sys)/kernel/iommu_groups/\(n)/name", atomically: true, encoding: .utf8)
  }

  /// Creates the /dev/vfio stand-in with the given (regular, empty) files.
  func makeDev(_ files: [String]) throws {
    try fm.createDirectory(atPath: dev, withIntermediateDirectories: true)
    for f in files { _ = fm.createFile(atPath: "\(dev)/\(f)", contents: Data()) }
  }
}
