import Foundation
import XCTest

@testable import BarluaCore

/// What `VFIODevice.open` says when it cannot open a device, on this machine's real sysfs and
/// on sysfs-shaped trees.
final class VFIOOpenErrorTests: XCTestCase {
  private func openError(_ addr: String, sysfs: PCISysfs = PCISysfs(), dev: String = "/dev/vfio")
    -> String
  {
    do {
      let d = try VFIODevice.open(PCIAddress(addr), sysfs: sysfs, devVFIO: dev)
      d.close()
      return "opened"
    } catch {
      return "\(error)"
    }
  }

  func testNotAnAddress() {
    XCTAssertEqual(
      openError("15:00"), "bad PCI address '15:00': expected DDDD:BB:SS.F or BB:SS.F (hex)")
  }

  func testNonexistentDeviceNamesSysfs() {
    XCTAssertEqual(
      openError("7f:1f.7"),
      "no PCI device 0000:7f:1f.7 in /sys/bus/pci/devices (lspci -D lists them)")
  }

  /// A real device of this machine bound to another driver (virtio-pci on the build VMs).
  func testDeviceBoundToAnotherDriverNamesItAndTheBindCommands() throws {
    let fm = FileManager.default
    let bound = try fm.contentsOfDirectory(atPath: "/sys/bus/pci/devices").sorted().compactMap {
      addr -> (String, String)? in
      guard let t = try? fm.destinationOfSymbolicLink(atPath: "/sys/bus/pci/devices/\(addr)/driver")
      else { return nil }
      let driver = URL(fileURLWithPath: t).lastPathComponent
      return driver == "vfio-pci" ? nil : (addr, driver)
    }
    guard let (addr, driver) = bound.first else {
      throw XCTSkip("no PCI device bound to a driver other than vfio-pci here")
    }
    let short = String(addr.dropFirst(5))  // "00:03.0": domain 0 implied
    XCTAssertEqual(
      openError(addr.hasPrefix("0000:") ? short : addr),
      "\(addr) is bound to \(driver), not vfio-pci: bind it with:"
        + " echo vfio-pci > /sys/bus/pci/devices/\(addr)/driver_override;"
        + " echo \(addr) > /sys/bus/pci/devices/\(addr)/driver/unbind;"
        + " echo \(addr) > /sys/bus/pci/drivers_probe")
  }

  func testDeviceWithoutDriver() throws {
    let t = try VFIOTestSysfs()
    try t.addDevice("0000:01:00.0", driver: nil, group: 3)
    XCTAssertEqual(
      openError("01:00.0", sysfs: t.sysfs, dev: t.dev),
      "0000:01:00.0 is bound to no driver, not vfio-pci: bind it with:"
        + " echo vfio-pci > \(t.sys)/bus/pci/devices/0000:01:00.0/driver_override;"
        + " echo 0000:01:00.0 > \(t.sys)/bus/pci/drivers_probe")
  }

  func testVFIOPCIDeviceWithoutGroup() throws {
    let t = try VFIOTestSysfs()
    try t.addDevice("0000:01:00.0", driver: "vfio-pci", group: nil)
    XCTAssertEqual(
      openError("01:00.0", sysfs: t.sysfs, dev: t.dev),
      "PCI device 0000:01:00.0 has no IOMMU group (\(t.sys)/bus/pci/devices/0000:01:00.0/iommu_group"
        + " is absent): enable the IOMMU (intel_iommu=on / amd_iommu=on) or load vfio with"
        + " enable_unsafe_noiommu_mode=1")
  }

  func testMissingDevVFIOSaysVFIOIsNotLoaded() throws {
    let t = try VFIOTestSysfs()
    try t.addDevice("0000:01:00.0", driver: "vfio-pci", group: 3)
    XCTAssertEqual(
      openError("01:00.0", sysfs: t.sysfs, dev: t.dev),
      "open \(t.dev): No such file or directory (errno 2): vfio is not loaded: modprobe vfio-pci")
    XCTAssertEqual(VFIORegistry.shared.openCounts.groups, 0)
  }

  func testMissingContainerOnThisHost() throws {
    if FileManager.default.fileExists(atPath: "/dev/vfio/vfio") {
      throw XCTSkip("this machine has /dev/vfio/vfio")
    }
    XCTAssertThrowsError(try VFIOContainer.open()) {
      XCTAssertEqual(
        "\($0)",
        "open /dev/vfio/vfio: No such file or directory (errno 2): vfio is not loaded:"
          + " modprobe vfio-pci")
    }
  }

  func testDevVFIOWithoutContainerDevice() throws {
    let t = try VFIOTestSysfs()
    try t.makeDev(["3"])
    XCTAssertThrowsError(try VFIOContainer.open(devVFIO: t.dev)) {
      XCTAssertEqual(
        "\($0)",
        "open \(t.dev)/vfio: No such file or directory (errno 2): this kernel has VFIO groups but"
          + " no container device: it needs CONFIG_VFIO_CONTAINER or iommufd's compatibility"
          + " (CONFIG_IOMMUFD_VFIO_CONTAINER)")
    }
  }

  func testContainerThatIsNotVFIO() throws {
    let t = try VFIOTestSysfs()
    try t.makeDev(["vfio"])
    XCTAssertThrowsError(try VFIOContainer.open(devVFIO: t.dev)) {
      XCTAssertEqual(
        "\($0)",
        "ioctl VFIO_GET_API_VERSION \(t.dev)/vfio: Inappropriate ioctl for device (errno 25)")
    }
  }

  func testMissingGroupFile() throws {
    let t = try VFIOTestSysfs()
    try t.addDevice("0000:01:00.0", driver: "vfio-pci", group: 3)
    try t.makeDev(["vfio"])
    XCTAssertEqual(
      openError("01:00.0", sysfs: t.sysfs, dev: t.dev),
      "open \(t.dev)/3: No such file or directory (errno 2): no such group file: is a device of"
        + " IOMMU group 3 bound to vfio-pci? (ls \(t.dev))")
  }

  /// A group "file" that is not the VFIO character device: the first ioctl fails, the error
  /// names it, and nothing stays registered.
  func testGroupFileThatIsNotVFIO() throws {
    let t = try VFIOTestSysfs()
    try t.addDevice("0000:01:00.0", driver: "vfio-pci", group: 3)
    try t.makeDev(["vfio", "3"])
    XCTAssertEqual(
      openError("01:00.0", sysfs: t.sysfs, dev: t.dev),
      "ioctl VFIO_GROUP_GET_STATUS \(t.dev)/3: Inappropriate ioctl for device (errno 25)")
    XCTAssertEqual(VFIORegistry.shared.openCounts.groups, 0)
    XCTAssertEqual(VFIORegistry.shared.openCounts.containers, 0)
  }

  func testNoIOMMUGroupsUseTheirOwnFile() throws {
    let t = try VFIOTestSysfs()
    try t.addDevice("0000:01:00.0", driver: "vfio-pci", group: 0)
    try t.nameGroup(0, "vfio-noiommu")
    try t.makeDev(["vfio"])
    let s = t.sysfs
    XCTAssertEqual(s.groupFile(try PCIAddress("01:00.0"), group: 0, devVFIO: t.dev).path, "\(t.dev)/noiommu-0")
    XCTAssertEqual(
      openError("01:00.0", sysfs: t.sysfs, dev: t.dev),
      "open \(t.dev)/noiommu-0: No such file or directory (errno 2): no such group file: is a"
        + " device of IOMMU group 0 bound to vfio-pci? (ls \(t.dev))")
    try t.addDevice("0000:02:00.0", driver: "vfio-pci", group: 1)
    try t.makeDev(["noiommu-1"])
    XCTAssertEqual(s.groupFile(try PCIAddress("02:00.0"), group: 1, devVFIO: t.dev).path, "\(t.dev)/noiommu-1")
    XCTAssertEqual(s.groupFile(try PCIAddress("02:00.0"), group: 2, devVFIO: t.dev).path, "\(t.dev)/2")
  }

  /// The message the kernel's "not viable" answer gets: the members of group `n` (read from
  /// `addr`'s `iommu_group`), worded.
  private func notViable(_ t: VFIOTestSysfs, _ addr: String, group n: Int) throws -> String {
    "\(VFIOError.groupNotViable(group: n, members: try t.sysfs.groupMembers(PCIAddress(addr))))"
  }

  func testNotViableNamesEveryOtherMemberAndItsDriver() throws {
    let t = try VFIOTestSysfs()
    try t.addDevice("0000:01:00.0", driver: "vfio-pci", group: 7)
    try t.addDevice("0000:01:02.0", driver: "virtio-pci", group: 7)
    XCTAssertEqual(
      try notViable(t, "0000:01:00.0", group: 7),
      "IOMMU group 7 is not viable: 0000:01:02.0 is bound to virtio-pci"
        + " (bind it to vfio-pci or unbind it)")
    // As in the test-bed guest: a conventional PCI bridge (no driver) shares the group.
    try t.addDevice("0000:00:04.0", driver: nil, group: 7)
    XCTAssertEqual(
      try notViable(t, "0000:01:00.0", group: 7),
      "IOMMU group 7 is not viable: 0000:01:02.0 is bound to virtio-pci"
        + " (bind it to vfio-pci or unbind it); also in the group, with no driver: 0000:00:04.0")
    try t.addDevice("0000:01:04.0", driver: "e1000e", group: 7)
    XCTAssertEqual(
      try notViable(t, "0000:01:00.0", group: 7),
      "IOMMU group 7 is not viable: 0000:01:02.0 is bound to virtio-pci;"
        + " 0000:01:04.0 is bound to e1000e (bind each to vfio-pci or unbind it);"
        + " also in the group, with no driver: 0000:00:04.0")
  }

  /// A PCIe root port on pcieport shares the group with a NIC: the message names the NIC only.
  /// pcieport (like pci-stub, vfio-pci and its variants) does not claim the group's DMA, so the
  /// kernel never counts it against viability and nobody should be told to unbind a port.
  func testNotViableNeverAsksToUnbindAPCIePort() throws {
    let t = try VFIOTestSysfs()
    try t.addDevice("0000:00:1c.0", driver: "pcieport", group: 9)
    try t.addDevice("0000:01:00.0", driver: "vfio-pci", group: 9)
    try t.addDevice("0000:01:00.1", driver: "pci-stub", group: 9)
    try t.addDevice("0000:01:00.2", driver: "mlx5_vfio_pci", group: 9)
    try t.addDevice("0000:01:00.3", driver: "igb", group: 9)
    let text = try notViable(t, "0000:01:00.0", group: 9)
    XCTAssertEqual(
      text, "IOMMU group 9 is not viable: 0000:01:00.3 is bound to igb (bind it to vfio-pci or unbind it)")
    XCTAssertFalse(text.contains("pcieport"), text)
    // The listing applies the same rule: the port is no blocker there either.
    let listed = try t.sysfs.vfioDevices(devVFIO: t.dev)
    XCTAssertEqual(listed.map(\.addr.description), ["0000:01:00.0"])
    XCTAssertEqual(listed.first?.blockers.map(\.name), ["0000:01:00.3"])
    XCTAssertEqual(
      VFIOError.groupNotViable(group: 9, members: listed.first?.members ?? []).blockers,
      listed.first?.blockers)
  }

  func testNotViableWithNoOtherDriverSaysSo() throws {
    let t = try VFIOTestSysfs()
    try t.addDevice("0000:01:00.0", driver: "vfio-pci", group: 7)
    try t.addDevice("0000:00:04.0", driver: nil, group: 7)
    XCTAssertEqual(
      try notViable(t, "0000:01:00.0", group: 7),
      "IOMMU group 7 is not viable: no member is bound to a driver that claims DMA; also in the"
        + " group, with no driver: 0000:00:04.0 (a device may be in the middle of binding: try again)")
  }

  func testListingShowsGroupsAndViability() throws {
    let t = try VFIOTestSysfs()
    try t.addDevice("0000:01:00.0", driver: "vfio-pci", group: 7)
    try t.addDevice("0000:01:02.0", driver: "virtio-pci", group: 7)
    try t.addDevice("0000:00:1c.0", driver: "pcieport", group: 8)
    try t.addDevice("0000:02:00.0", driver: "vfio-pci", group: 8)
    try t.addDevice("0000:02:00.1", driver: nil, group: 8)
    try t.addDevice("0000:03:00.0", driver: "vfio-pci", group: 0)
    try t.nameGroup(0, "vfio-noiommu")
    try t.addDevice("0000:04:00.0", driver: "virtio-pci", group: 9)
    let list = try t.sysfs.vfioDevices(devVFIO: t.dev)
    XCTAssertEqual(list.map(\.addr.description), ["0000:01:00.0", "0000:02:00.0", "0000:03:00.0"])
    XCTAssertEqual(list.map(\.group), [7, 8, 0])
    XCTAssertEqual(list.map(\.groupPath), ["\(t.dev)/7", "\(t.dev)/8", "\(t.dev)/noiommu-0"])
    XCTAssertEqual(list.map(\.viable), [false, true, true])
    XCTAssertEqual(list.map { $0.blockers.map(\.description) }, [["0000:01:02.0 (virtio-pci)"], [], []])
  }

  func testListingOnThisHostHasOnlyVFIODevices() throws {
    let fm = FileManager.default
    let bound = Set(
      ((try? fm.contentsOfDirectory(atPath: "/sys/bus/pci/drivers/vfio-pci")) ?? []).filter {
        $0.contains(":")
      })
    XCTAssertEqual(Set(try VFIO.devices().map(\.addr.description)), bound)
  }
}
