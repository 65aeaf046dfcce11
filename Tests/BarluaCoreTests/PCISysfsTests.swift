import Foundation
import XCTest

@testable import BarluaCore

/// Reads the captured trees: vm-virtio (this project's VM, captured with
/// scripts/dev/capture-sysfs-fixture.sh) and xilinx-7024 (the seed note's FPGA).
final class PCISysfsTests: XCTestCase {
  func testReadsEveryFieldOfACapturedVirtioNIC() throws {
    let sysfs = try PCIFixtures.sysfs("vm-virtio")
    let nic = try sysfs.device(PCIAddress("00:03.0"))
    XCTAssertEqual(nic.addr.description, "0000:00:03.0")
    XCTAssertEqual(
      [nic.domain, UInt32(nic.bus), UInt32(nic.slot), UInt32(nic.function)], [0, 0, 3, 0])
    XCTAssertEqual(nic.vendor, 0x1af4)
    XCTAssertEqual(nic.device, 0x1041)
    XCTAssertEqual(nic.subvendor, 0x1af4)
    XCTAssertEqual(nic.subdevice, 0x1041)
    XCTAssertEqual(nic.class, 0x020000)
    XCTAssertEqual(nic.revision, 1)
    XCTAssertEqual(nic.vendorName, "Red Hat, Inc.")
    XCTAssertEqual(nic.deviceName, "Virtio 1.0 network device")
    XCTAssertEqual(nic.driver, "virtio-pci")
    XCTAssertNil(nic.iommuGroup)
    XCTAssertEqual(nic.numaNode, -1)
    XCTAssertEqual(nic.headerType, 0)
    XCTAssertEqual(nic.command, PCICommand(io: false, mem: true, busMaster: true))
    XCTAssertNil(nic.link)
    XCTAssertEqual(
      nic.bars,
      [
        PCIBar(
          index: 0, base: 0x40_0010_0000, size: 0x80000, io: false, prefetchable: false, is64: true)
      ])
    XCTAssertEqual(nic.bar(0)?.size, 0x80000)
    XCTAssertNil(nic.bar(1))
  }

  func testHostBridgeHasNoDriverNoBarsAndNothingEnabled() throws {
    let bridge = try PCIFixtures.sysfs("vm-virtio").device(PCIAddress("0000:00:00.0"))
    XCTAssertEqual(bridge.vendor, 0x8086)
    XCTAssertEqual(bridge.device, 0x0d57)
    XCTAssertEqual(bridge.class, 0x060000)
    XCTAssertNil(bridge.driver)
    XCTAssertEqual(bridge.bars, [])
    XCTAssertEqual(bridge.command, PCICommand(io: false, mem: false, busMaster: false))
    XCTAssertEqual(bridge.vendorName, "Intel Corporation")
  }

  func testListsAllDevicesSortedByAddress() throws {
    let all = try PCIFixtures.sysfs("vm-virtio").devices()
    XCTAssertEqual(
      all.map(\.addr.description),
      [
        "0000:00:00.0", "0000:00:01.0", "0000:00:02.0", "0000:00:03.0", "0000:00:04.0",
        "0000:00:05.0",
      ])
    XCTAssertEqual(all.map(\.device), [0x0d57, 0x1045, 0x1042, 0x1041, 0x1053, 0x1044])
  }

  func testSeedNoteFPGAMatchesDumpInfo() throws {
    let sysfs = try PCIFixtures.sysfs("xilinx-7024")
    let fpga = try sysfs.device(PCIAddress("0000:15:00.0"))
    // domain=0000 bus=15 dev=00 func=00
    XCTAssertEqual(
      [fpga.domain, UInt32(fpga.bus), UInt32(fpga.slot), UInt32(fpga.function)], [0, 0x15, 0, 0])
    // vendor_id=10ee (Xilinx Corporation) device_id=7024 (Device 7024) subvendor_id=0002 subdevice_id=0001
    XCTAssertEqual(
      [fpga.vendor, fpga.device, fpga.subvendor, fpga.subdevice], [0x10ee, 0x7024, 2, 1])
    XCTAssertEqual(fpga.vendorName, "Xilinx Corporation")
    // lspci printed "Device 7024": pci.ids lacked the id. Whatever this machine's pci.ids says
    // now, libpci must agree with it and never return that placeholder.
    let ids = try XCTUnwrap(PCIIdsFile.system, "no \(PCIIdsFile.path)")
    XCTAssertEqual(fpga.deviceName, ids.deviceName(vendor: 0x10ee, device: 0x7024))
    XCTAssertNotEqual(fpga.deviceName, "Device 7024")
    // control: I/O- Mem+ BusMaster-
    XCTAssertEqual(fpga.command, PCICommand(io: false, mem: true, busMaster: false))
    // IOMMU group: 41
    XCTAssertEqual(fpga.iommuGroup, 41)
    XCTAssertEqual(fpga.driver, "vfio-pci")
    // bar[0] base_addr=387fffe00000 size=100000 is_IO=0 is_prefetchable=1 is_64=1, bar[2], bar[4]
    XCTAssertEqual(
      fpga.bars,
      [
        PCIBar(
          index: 0, base: 0x387f_ffe0_0000, size: 0x10_0000, io: false, prefetchable: true,
          is64: true),
        PCIBar(
          index: 2, base: 0x387f_fff0_0000, size: 0x2_0000, io: false, prefetchable: true,
          is64: true),
        PCIBar(
          index: 4, base: 0x387f_fff2_0000, size: 0x1_0000, io: false, prefetchable: true,
          is64: true),
      ])
    let link = try XCTUnwrap(fpga.link)
    XCTAssertEqual(link.speed, "5.0 GT/s PCIe")
    XCTAssertEqual(link.speedGTs, 5.0)
    XCTAssertEqual(link.width, 4)
    XCTAssertEqual(link.maxSpeed, "5.0 GT/s PCIe")
    XCTAssertEqual(link.maxSpeedGTs, 5.0)
    XCTAssertEqual(link.maxWidth, 4)
  }

  func testAbsentDeviceErrorNamesTheAddressAndRoot() throws {
    XCTAssertThrowsError(try PCISysfs().device(PCIAddress("0000:99:00.0"))) { error in
      XCTAssertEqual("\(error)", "no PCI device 0000:99:00.0 in /sys/bus/pci/devices (lspci -D lists them)")
    }
    let sysfs = try PCIFixtures.sysfs("vm-virtio")
    XCTAssertEqual(try sysfs.devices(filter: PCIFilter(addr: PCIAddress("0000:99:00.0"))), [])
  }

  func testUnreadableRootErrorNamesCallPathAndErrno() {
    let sysfs = PCISysfs(root: "/nonexistent/bus/pci/devices")
    XCTAssertThrowsError(try sysfs.devices()) { error in
      XCTAssertEqual(
        "\(error)", "opendir /nonexistent/bus/pci/devices: No such file or directory (errno 2)")
    }
  }

  func testMissingAttributeErrorNamesTheFile() throws {
    // A device directory without its files, e.g. a half-captured tree.
    let root = NSTemporaryDirectory() + "barlua-pci-\(getpid())"
    try FileManager.default.createDirectory(
      atPath: root + "/0000:00:07.0", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    XCTAssertThrowsError(try PCISysfs(root: root).device(PCIAddress("00:07.0"))) { error in
      XCTAssertEqual(
        "\(error)", "open \(root)/0000:00:07.0/vendor: No such file or directory (errno 2)")
    }
  }
}
