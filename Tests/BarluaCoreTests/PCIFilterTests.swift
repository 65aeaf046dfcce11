import XCTest

@testable import BarluaCore

final class PCIFilterTests: XCTestCase {
  private func addresses(_ filter: PCIFilter, in tree: String = "vm-virtio") throws -> [String] {
    try PCIFixtures.sysfs(tree).devices(filter: filter).map(\.addr.description)
  }

  func testEachKeySelects() throws {
    XCTAssertEqual(try addresses(PCIFilter(addr: try PCIAddress("00:02.0"))), ["0000:00:02.0"])
    XCTAssertEqual(try addresses(PCIFilter(vendor: 0x8086)), ["0000:00:00.0"])
    XCTAssertEqual(try addresses(PCIFilter(device: 0x1053)), ["0000:00:04.0"])
    XCTAssertEqual(try addresses(PCIFilter(subvendor: 0x1af4)).count, 5)
    XCTAssertEqual(try addresses(PCIFilter(subdevice: 0x1044)), ["0000:00:05.0"])
    XCTAssertEqual(try addresses(PCIFilter(driver: .name("virtio-pci"))).count, 5)
    XCTAssertEqual(try addresses(PCIFilter(driver: .unbound)), ["0000:00:00.0"])
    XCTAssertEqual(try addresses(PCIFilter(driver: .name("vfio-pci"))), [])
    XCTAssertEqual(
      try addresses(PCIFilter(driver: .name("vfio-pci")), in: "xilinx-7024"), ["0000:15:00.0"])
    XCTAssertEqual(
      try addresses(
        PCIFilter(vendor: 0x10ee, subvendor: 0x0002, subdevice: 0x0001), in: "xilinx-7024"),
      ["0000:15:00.0"])
  }

  func testKeysAreAnded() throws {
    XCTAssertEqual(try addresses(PCIFilter(vendor: 0x1af4, device: 0x1041)), ["0000:00:03.0"])
    XCTAssertEqual(try addresses(PCIFilter(vendor: 0x8086, device: 0x1041)), [])
    XCTAssertEqual(try addresses(PCIFilter(vendor: 0x1af4, driver: .unbound)), [])
  }

  func testClassIs24BitOr16BitBaseAndSubclass() throws {
    XCTAssertEqual(try addresses(PCIFilter(class: 0x020000)), ["0000:00:03.0"])
    XCTAssertEqual(try addresses(PCIFilter(class: 0x0200)), ["0000:00:03.0"])
    XCTAssertEqual(try addresses(PCIFilter(class: 0x020001)), [])  // other programming interface
    XCTAssertEqual(try addresses(PCIFilter(class: 0x0180)), ["0000:00:02.0"])
    XCTAssertEqual(try addresses(PCIFilter(class: 0x0600)), ["0000:00:00.0"])
    // 0xffff00 ("unassigned class") as 24 bits, and as its 16-bit 0xffff.
    XCTAssertEqual(
      try addresses(PCIFilter(class: 0xffff00)), ["0000:00:01.0", "0000:00:04.0", "0000:00:05.0"])
    XCTAssertEqual(
      try addresses(PCIFilter(class: 0xffff)), ["0000:00:01.0", "0000:00:04.0", "0000:00:05.0"])
  }

  func testParsesDumpInfoSelectors() throws {
    XCTAssertEqual(
      try PCIFilter(parsing: "0000:15:00.0"), PCIFilter(addr: try PCIAddress("0000:15:00.0")))
    XCTAssertEqual(
      try PCIFilter(parsing: "15:00.0"), PCIFilter(addr: try PCIAddress("0000:15:00.0")))
    XCTAssertEqual(try PCIFilter(parsing: "10ee:7024"), PCIFilter(vendor: 0x10ee, device: 0x7024))
    XCTAssertEqual(
      try PCIFilter(parsing: "0x10ee:0x7024"), PCIFilter(vendor: 0x10ee, device: 0x7024))
    XCTAssertEqual(try PCIFilter(parsing: "10EE"), PCIFilter(vendor: 0x10ee))
    XCTAssertEqual(try PCIFilter(parsing: "8086"), PCIFilter(vendor: 0x8086))
  }

  func testRejectsMalformedSelectors() {
    let expected = "expected dom:bus:dev.func, bus:dev.func, vendor:device or vendor (hex)"
    for text in [
      "", "xyz", "10ee:", ":7024", "10ee:7024:1", "12345", "10ee:70245", "15:00.", "1.2.3",
    ] {
      XCTAssertThrowsError(try PCIFilter(parsing: text), text) { error in
        XCTAssertEqual("\(error)", "bad PCI filter '\(text)': \(expected)")
      }
    }
    XCTAssertThrowsError(try PCIFilter(parsing: "00:20.0")) { error in
      XCTAssertEqual("\(error)", "bad PCI filter '00:20.0': \(expected); slot 0x20 is above 0x1f")
    }
  }
}
