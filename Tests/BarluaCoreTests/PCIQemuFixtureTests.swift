import Foundation
import XCTest

@testable import BarluaCore

/// The sysfs of a QEMU q35 guest with a virtual Intel IOMMU (Debian kernel 6.1, the project's
/// test bed), captured inside the guest with scripts/dev/capture-sysfs-fixture.sh: edu,
/// ivshmem and pci-testdev bound to vfio-pci, a second ivshmem behind a PCIe root port, and
/// IOMMU group 5 shared by a conventional bridge, an edu on vfio-pci and a virtio-rng left on
/// virtio-pci.
final class PCIQemuFixtureTests: XCTestCase {
  private let tree = "qemu-q35-type1"

  func testMatchesWhatLspciSawInTheSameGuest() throws {
    let listing = try String(
      contentsOfFile: PCIFixtures.tree(tree) + "/lspci-n-D.txt", encoding: .utf8)
    let expected = LspciDevice.parse(listing)
    XCTAssertEqual(expected.count, 15)
    let found = try PCIFixtures.sysfs(tree).devices().map {
      LspciDevice(
        addr: $0.addr.description, baseAndSubclass: $0.class >> 8, vendor: $0.vendor,
        device: $0.device, revision: $0.revision)
    }
    XCTAssertEqual(found, expected)
  }

  func testIvshmemBarsAndCommand() throws {
    let ivshmem = try PCIFixtures.sysfs(tree).device(PCIAddress("00:02.0"))
    XCTAssertEqual([ivshmem.vendor, ivshmem.device], [0x1af4, 0x1110])
    XCTAssertEqual(ivshmem.driver, "vfio-pci")
    XCTAssertEqual(ivshmem.iommuGroup, 2)
    XCTAssertEqual(
      ivshmem.bars,
      [
        PCIBar(
          index: 0, base: 0xfeb0_0000, size: 0x100, io: false, prefetchable: false, is64: false),
        PCIBar(
          index: 2, base: 0xfd80_0000, size: 0x40_0000, io: false, prefetchable: true, is64: true,
          sysfsWC: true),
      ])
    XCTAssertEqual(ivshmem.command, PCICommand(io: true, mem: true, busMaster: false))  // 0x0103
    XCTAssertEqual(ivshmem.headerType, 0)
    XCTAssertNil(ivshmem.link)  // q35 root-bus devices are integrated endpoints: no link files
  }

  /// `sysfsWC` is whether the kernel created `resourceN_wc`, read from the file itself: in the
  /// capture the prefetchable BARs have one and the others none; a copy without ivshmem's
  /// `resource2_wc` (a kernel that does not offer it) reads false, one with a `resource0_wc`
  /// added reads true, whatever the BAR's flags say.
  func testSysfsWCIsThePresenceOfResourceNWC() throws {
    let sysfs = try PCIFixtures.sysfs(tree)
    for info in try sysfs.devices() {
      for bar in info.bars {
        let file = "\(sysfs.path(info.addr))/resource\(bar.index)_wc"
        XCTAssertEqual(bar.sysfsWC, FileManager.default.fileExists(atPath: file), "\(info.addr) BAR\(bar.index)")
      }
    }
    let offered = try sysfs.devices().flatMap { info in
      info.bars.filter(\.sysfsWC).map { "\(info.addr) BAR\($0.index)" }
    }
    XCTAssertEqual(
      offered,
      [
        "0000:00:02.0 BAR2", "0000:00:06.0 BAR4", "0000:00:07.0 BAR4", "0000:00:08.0 BAR4", "0000:01:00.0 BAR2",
        "0000:02:02.0 BAR4",
      ])
    let copy = NSTemporaryDirectory() + "barlua-q35-\(UUID().uuidString)"
    try FileManager.default.copyItem(atPath: try PCIFixtures.tree(tree), toPath: copy)
    defer { try? FileManager.default.removeItem(atPath: copy) }
    let devices = copy + "/bus/pci/devices"
    try FileManager.default.removeItem(atPath: devices + "/0000:00:02.0/resource2_wc")
    XCTAssertTrue(FileManager.default.createFile(atPath: devices + "/0000:00:02.0/resource0_wc", contents: nil))
    let ivshmem = try PCISysfs(root: devices).device(PCIAddress("00:02.0"))
    XCTAssertEqual(ivshmem.bars.map(\.prefetchable), [false, true])
    XCTAssertEqual(ivshmem.bars.map(\.sysfsWC), [true, false])
  }

  func testBridgesAreHeaderType1() throws {
    let bridge = try PCIFixtures.sysfs(tree).device(PCIAddress("00:05.0"))
    XCTAssertEqual(bridge.class, 0x060400)
    XCTAssertEqual(bridge.headerType, 1)
    XCTAssertNil(bridge.driver)
    XCTAssertEqual(bridge.iommuGroup, 5)
    let port = try PCIFixtures.sysfs(tree).device(PCIAddress("00:04.0"))
    XCTAssertEqual([port.class, UInt32(port.headerType)], [0x060400, 1])
    XCTAssertEqual(port.driver, "pcieport")
    XCTAssertEqual(port.iommuGroup, 4)
  }

  func testVfioDevicesWithGroupsAndViability() throws {
    let sysfs = try PCIFixtures.sysfs(tree)
    let vfio = try sysfs.vfioDevices()
    XCTAssertEqual(
      vfio.map(\.addr.description),
      ["0000:00:01.0", "0000:00:02.0", "0000:00:03.0", "0000:01:00.0", "0000:02:01.0"])
    XCTAssertEqual(vfio.map(\.group), [1, 2, 3, 10, 5])
    XCTAssertEqual(
      vfio.map(\.groupPath),
      ["/dev/vfio/1", "/dev/vfio/2", "/dev/vfio/3", "/dev/vfio/10", "/dev/vfio/5"])
    XCTAssertEqual(vfio.map(\.noIOMMU), [false, false, false, false, false])
    XCTAssertEqual(vfio.map(\.viable), [true, true, true, true, false])
    XCTAssertEqual(
      vfio.last?.members?.map(\.description),
      ["0000:00:05.0 (no driver)", "0000:02:01.0 (vfio-pci)", "0000:02:02.0 (virtio-pci)"])
    XCTAssertEqual(vfio.last?.blockers.map(\.description), ["0000:02:02.0 (virtio-pci)"])
    XCTAssertEqual(
      try sysfs.groupMembers(PCIAddress("00:1f.2")).map(\.name),
      ["0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.3"])
  }

  func testNamesAgreeWithPciIds() throws {
    let ids = try XCTUnwrap(PCIIdsFile.system, "no \(PCIIdsFile.path)")
    for info in try PCIFixtures.sysfs(tree).devices() {
      XCTAssertEqual(info.vendorName, ids.vendorName(info.vendor), "\(info.addr)")
      XCTAssertEqual(info.deviceName, ids.deviceName(vendor: info.vendor, device: info.device))
    }
    let ivshmem = try PCIFixtures.sysfs(tree).device(PCIAddress("00:02.0"))
    XCTAssertEqual(ivshmem.deviceName, "Inter-VM shared memory")
  }
}

/// The same guest in VFIO no-IOMMU mode (captured the same way).
final class PCIQemuNoIOMMUFixtureTests: XCTestCase {
  func testNoIOMMUGroupsGiveNoiommuPaths() throws {
    let sysfs = try PCIFixtures.sysfs("qemu-q35-noiommu")
    let vfio = try sysfs.vfioDevices()
    XCTAssertEqual(
      vfio.map(\.addr.description),
      ["0000:00:01.0", "0000:00:02.0", "0000:00:03.0", "0000:01:00.0", "0000:02:01.0"])
    XCTAssertEqual(
      vfio.map(\.groupPath),
      [
        "/dev/vfio/noiommu-0", "/dev/vfio/noiommu-1", "/dev/vfio/noiommu-3", "/dev/vfio/noiommu-2",
        "/dev/vfio/noiommu-4",
      ])
    XCTAssertEqual(vfio.map(\.noIOMMU), [true, true, true, true, true])
    // In no-IOMMU mode each device is its own group: the virtio-rng no longer blocks the edu.
    XCTAssertEqual(vfio.map(\.viable), [true, true, true, true, true])
    XCTAssertNil(try sysfs.device(PCIAddress("02:02.0")).iommuGroup)
  }
}
