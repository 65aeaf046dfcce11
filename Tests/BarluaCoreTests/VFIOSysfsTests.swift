import Foundation
import XCTest

@testable import BarluaCore

final class VFIOSysfsTests: XCTestCase {
  func testAddressesAreNormalised() {
    XCTAssertEqual(PCIAddressText.normalize("15:00.0"), "0000:15:00.0")
    XCTAssertEqual(PCIAddressText.normalize("0000:15:00.0"), "0000:15:00.0")
    XCTAssertEqual(PCIAddressText.normalize("0000:AF:1F.7"), "0000:af:1f.7")
    XCTAssertEqual(PCIAddressText.normalize("1:2:3.4"), "0001:02:03.4")
    XCTAssertEqual(PCIAddressText.normalize("10000:15:00.0"), "10000:15:00.0")
    for bad in [
      "", "15:00", "15:00.8", "15:20.0", "x5:00.0", "0000:15:00:0", "15:00.00", "a:b:c:d",
    ] {
      XCTAssertNil(PCIAddressText.normalize(bad), bad)
    }
    XCTAssertTrue(PCIAddressText.isFull("0000:00:03.0"))
    XCTAssertFalse(PCIAddressText.isFull("00:03.0"))
    XCTAssertFalse(PCIAddressText.isFull("new_id"))
  }

  func testResourceFileFromARealDevice() throws {
    // /sys/bus/pci/devices/0000:00:03.0/resource of the build host's virtio-net device:
    // BAR0 64-bit memory, not prefetchable; the other BARs and the ROM unimplemented.
    let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
      .appendingPathComponent("vfio/virtio-net-0000_00_03.0-resource")
    let text = try String(contentsOf: url, encoding: .utf8)
    let r = VFIOSysfs.parseResources(text)
    XCTAssertEqual(r.count, 7)
    XCTAssertEqual(r[0].start, 0x40_0010_0000)
    XCTAssertEqual(r[0].size, 0x80000)
    XCTAssertEqual(r[0].flags, 0x140204)
    XCTAssertFalse(r[0].prefetchable)
    XCTAssertEqual(r[1].size, 0)
    XCTAssertEqual(r[6].size, 0)
  }

  func testPrefetchableFlagFromTheGuestsIvshmem() throws {
    // /sys/bus/pci/devices/0000:00:02.0/resource of ivshmem-plain in the test-bed guest
    // (kernel 6.1): 13 lines (BARs, ROM, then bridge windows), BAR2 64-bit prefetchable.
    let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
      .appendingPathComponent("vfio/guest-6.1-ivshmem-resource")
    let r = VFIOSysfs.parseResources(try String(contentsOf: url, encoding: .utf8))
    XCTAssertEqual(r.count, 13)
    XCTAssertEqual(r[0].size, 0x100)
    XCTAssertFalse(r[0].prefetchable)
    XCTAssertEqual(r[2].start, 0xfe00_0000)
    XCTAssertEqual(r[2].flags, 0x14220c)
    XCTAssertTrue(r[2].prefetchable)
    XCTAssertEqual(r[2].size, 0x40_0000)
  }

  func testDriverGroupAndMembersComeFromTheLinks() throws {
    let t = try VFIOTestSysfs()
    try t.addDevice("0000:01:00.0", driver: "vfio-pci", group: 7)
    try t.addDevice("0000:01:02.0", driver: "virtio-pci", group: 7)
    try t.addDevice("0000:02:00.0", driver: nil, group: nil)
    let s = t.sysfs
    XCTAssertEqual(s.driver("0000:01:00.0"), "vfio-pci")
    XCTAssertEqual(s.driver("0000:01:02.0"), "virtio-pci")
    XCTAssertNil(s.driver("0000:02:00.0"))
    XCTAssertEqual(s.iommuGroup("0000:01:02.0"), 7)
    XCTAssertNil(s.iommuGroup("0000:02:00.0"))
    XCTAssertEqual(s.groupMembers(7), ["0000:01:00.0", "0000:01:02.0"])
    XCTAssertEqual(s.vfioPCIDevices(), ["0000:01:00.0"])
    XCTAssertTrue(s.deviceExists("0000:02:00.0"))
    XCTAssertFalse(s.deviceExists("0000:03:00.0"))
  }

  func testRealSysfsDriverNamesMatchTheLinks() throws {
    let fm = FileManager.default
    let devices = try fm.contentsOfDirectory(atPath: "/sys/bus/pci/devices")
    guard !devices.isEmpty else { throw XCTSkip("no PCI devices on this machine") }
    for addr in devices {
      let link = "/sys/bus/pci/devices/\(addr)/driver"
      let expected = (try? fm.destinationOfSymbolicLink(atPath: link))
        .map { URL(fileURLWithPath: $0).lastPathComponent }
      XCTAssertEqual(VFIOSysfs().driver(addr), expected, addr)
    }
  }
}
