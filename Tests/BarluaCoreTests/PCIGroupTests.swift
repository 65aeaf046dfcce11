import BarluaCore
import Foundation
import XCTest

final class PCIGroupTests: XCTestCase {
  func testSeedFPGAIsAloneInGroup41AndViable() throws {
    let sysfs = try PCIFixtures.sysfs("xilinx-7024")
    let fpga = try PCIAddress("0000:15:00.0")
    XCTAssertEqual(
      try sysfs.groupMembers(fpga), [PCIGroupMember(name: "0000:15:00.0", driver: "vfio-pci")])
    let vfio = try sysfs.vfioDevices()
    XCTAssertEqual(vfio.map(\.addr), [fpga])
    XCTAssertEqual(vfio.first?.group, 41)
    XCTAssertEqual(vfio.first?.groupPath, "/dev/vfio/41")
    XCTAssertEqual(vfio.first?.noIOMMU, false)
    XCTAssertEqual(vfio.first?.viable, true)
    XCTAssertEqual(vfio.first?.blockers, [])
  }

  func testNoIOMMUGroupUsesTheNoiommuDeviceFile() throws {
    // The same tree, with the group named as vfio's no-IOMMU mode names its groups.
    let copy = NSTemporaryDirectory() + "barlua-noiommu-\(getpid())"
    try FileManager.default.copyItem(atPath: try PCIFixtures.tree("xilinx-7024"), toPath: copy)
    defer { try? FileManager.default.removeItem(atPath: copy) }
    try "vfio-noiommu\n".write(
      toFile: copy + "/kernel/iommu_groups/41/name", atomically: true, encoding: .utf8)
    let vfio = try PCISysfs(root: copy + "/bus/pci/devices").vfioDevices(devVFIO: "/dev/vfio")
    XCTAssertEqual(vfio.first?.noIOMMU, true)
    XCTAssertEqual(vfio.first?.groupPath, "/dev/vfio/noiommu-41")
  }

  func testDeviceWithoutGroupSaysHowToGetOne() throws {
    let sysfs = try PCIFixtures.sysfs("vm-virtio")
    XCTAssertThrowsError(try sysfs.groupMembers(PCIAddress("00:03.0"))) { error in
      XCTAssertEqual(
        "\(error)",
        "PCI device 0000:00:03.0 has no IOMMU group (\(sysfs.root)/0000:00:03.0/iommu_group is"
          + " absent): enable the IOMMU (intel_iommu=on / amd_iommu=on) or load vfio with"
          + " enable_unsafe_noiommu_mode=1")
    }
    XCTAssertThrowsError(try sysfs.groupMembers(PCIAddress("00:1f.0"))) { error in
      XCTAssertEqual("\(error)", "no PCI device 0000:00:1f.0 in \(sysfs.root) (lspci -D lists them)")
    }
    XCTAssertEqual(try sysfs.vfioDevices(), [])
  }

  func testViabilityFollowsTheKernelsDriverRule() throws {
    let allowed = [nil, "vfio-pci", "mlx5_vfio_pci", "pci-stub", "pcieport"]
    for driver in allowed {
      XCTAssertTrue(
        PCIGroupMember(name: "0000:01:00.0", driver: driver).allowsVFIO, "\(driver ?? "nil")")
    }
    for driver in ["virtio-pci", "nvme", "xhci_hcd", "vfio"] {
      XCTAssertFalse(PCIGroupMember(name: "0000:01:00.0", driver: driver).allowsVFIO, driver)
    }
    let fpga = PCIGroupMember(name: "0000:01:00.0", driver: "vfio-pci")
    let nic = PCIGroupMember(name: "0000:01:02.0", driver: "virtio-pci")
    let idle = PCIGroupMember(name: "0000:01:03.0", driver: nil)
    XCTAssertEqual(nic.description, "0000:01:02.0 (virtio-pci)")
    XCTAssertEqual(idle.description, "0000:01:03.0 (no driver)")
    XCTAssertEqual(nic.address?.slot, 2)
    XCTAssertNil(PCIGroupMember(name: "platform-dev", driver: nil).address)

    // The seed FPGA sharing its group with a NIC still on virtio-pci: not viable, and the
    // blocker is named for the error message.
    let info = try PCIFixtures.sysfs("xilinx-7024").device(PCIAddress("0000:15:00.0"))
    let shared = PCIVFIODevice(
      entry: .readable(info), group: 41, noIOMMU: false, groupPath: "/dev/vfio/41", members: [fpga, nic, idle])
    XCTAssertFalse(shared.viable)
    XCTAssertEqual(shared.blockers.map(\.description), ["0000:01:02.0 (virtio-pci)"])
    let alone = PCIVFIODevice(
      entry: .readable(info), group: 41, noIOMMU: false, groupPath: "/dev/vfio/41", members: [fpga, idle])
    XCTAssertTrue(alone.viable)
  }
}
