import BarluaCore
import Foundation
import XCTest

final class PCINameDatabaseTests: XCTestCase {
  func testKnownNamesComeFromTheSystemPciIds() {
    let names = PCINameDatabase.system.names(vendor: 0x1af4, device: 0x1041)
    XCTAssertEqual(names.vendor, "Red Hat, Inc.")
    XCTAssertEqual(names.device, "Virtio 1.0 network device")
    XCTAssertEqual(
      PCINameDatabase.system.names(vendor: 0x10ee, device: 0x7011).device,
      "7-Series FPGA Hard PCIe block (AXI/debug)")
  }

  func testUnknownIdsGiveNilNotAPlaceholder() throws {
    // 0x0002 (the seed FPGA's subsystem vendor) is not in pci.ids.
    let ids = try XCTUnwrap(PCIIdsFile.system, "no \(PCIIdsFile.path)")
    XCTAssertNil(ids.vendorName(0x0002))
    let unknown = PCINameDatabase.system.names(vendor: 0x0002, device: 0x1234)
    XCTAssertNil(unknown.vendor)
    XCTAssertNil(unknown.device)
    let knownVendor = PCINameDatabase.system.names(vendor: 0x1af4, device: 0xfffe)
    XCTAssertEqual(knownVendor.vendor, "Red Hat, Inc.")
    XCTAssertNil(knownVendor.device)
  }

  func testAgreesWithThePciIdsFileForEveryFixtureDevice() throws {
    let ids = try XCTUnwrap(PCIIdsFile.system, "no \(PCIIdsFile.path)")
    var checked = 0
    for tree in ["vm-virtio", "xilinx-7024"] {
      for info in try PCIFixtures.sysfs(tree).devices() {
        XCTAssertEqual(info.vendorName, ids.vendorName(info.vendor), "\(info.addr)")
        XCTAssertEqual(
          info.deviceName, ids.deviceName(vendor: info.vendor, device: info.device), "\(info.addr)")
        checked += 1
      }
    }
    XCTAssertEqual(checked, 7)
  }

  func testMissingPciIdsGivesNilNames() {
    let db = PCINameDatabase(idsPath: "/nonexistent/pci.ids")
    let names = db.names(vendor: 0x1af4, device: 0x1041)
    XCTAssertNil(names.vendor)
    XCTAssertNil(names.device)
  }

  func testCorruptPciIdsGivesNilNamesInsteadOfExiting() throws {
    // libpci's default error handler would print and exit(1) on this file.
    let path = NSTemporaryDirectory() + "barlua-bad-pci-\(getpid()).ids"
    try "1af4  Red Hat, Inc.\n\tzzzz broken line\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let db = PCINameDatabase(idsPath: path)
    XCTAssertNil(db.names(vendor: 0x1af4, device: 0x1041).vendor)
    XCTAssertNil(db.names(vendor: 0x1af4, device: 0x1041).vendor)  // and stays quiet
  }

  func testConcurrentLookupsAreSerialised() {
    DispatchQueue.concurrentPerform(iterations: 64) { i in
      let names = PCINameDatabase.system.names(vendor: 0x1af4, device: i % 2 == 0 ? 0x1041 : 0x1042)
      XCTAssertEqual(names.vendor, "Red Hat, Inc.")
      XCTAssertEqual(
        names.device, i % 2 == 0 ? "Virtio 1.0 network device" : "Virtio 1.0 block device")
    }
  }
}
