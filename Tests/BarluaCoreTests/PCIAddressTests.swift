import BarluaCore
import XCTest

final class PCIAddressTests: XCTestCase {
  func testParsesFullAndShortForms() throws {
    let full = try PCIAddress("0000:15:00.0")
    XCTAssertEqual(full.domain, 0)
    XCTAssertEqual(full.bus, 0x15)
    XCTAssertEqual(full.slot, 0)
    XCTAssertEqual(full.function, 0)
    XCTAssertEqual(full.description, "0000:15:00.0")
    XCTAssertEqual(try PCIAddress("15:00.0"), full)

    let other = try PCIAddress("10000:e3:1f.7")  // a VMD domain has 5 digits
    XCTAssertEqual(other.domain, 0x10000)
    XCTAssertEqual(other.bus, 0xe3)
    XCTAssertEqual(other.slot, 0x1f)
    XCTAssertEqual(other.func, 7)
    XCTAssertEqual(other.description, "10000:e3:1f.7")
    XCTAssertEqual(try PCIAddress("0:1:2.3").description, "0000:01:02.3")
    XCTAssertEqual(try PCIAddress("AB:CD:0E.1").description, "00ab:cd:0e.1")
  }

  func testSortsByDomainBusSlotFunction() throws {
    let texts = ["0001:00:00.0", "0000:01:00.0", "0000:00:02.0", "0000:00:01.7", "0000:00:01.1"]
    let sorted = try texts.map { try PCIAddress($0) }.sorted().map(\.description)
    XCTAssertEqual(
      sorted, ["0000:00:01.1", "0000:00:01.7", "0000:00:02.0", "0000:01:00.0", "0001:00:00.0"])
  }

  func testRejectsBadTextWithTheExpectedForm() {
    let expected = "expected DDDD:BB:SS.F or BB:SS.F (hex)"
    for text in [
      "", "x", "15:00", "15.00.0", "0000:15:00:0", "0000:15:00.0.1", "g0:00.0", "000:15:00.",
      "0000:15:000.0", "0000:15:00.10", "123456789:00:00.0", ":00.0", "0000::00.0",
    ] {
      XCTAssertThrowsError(try PCIAddress(text), text) { error in
        XCTAssertEqual("\(error)", "bad PCI address '\(text)': \(expected)")
      }
    }
    XCTAssertThrowsError(try PCIAddress("00:20.0")) { error in
      XCTAssertEqual("\(error)", "bad PCI address '00:20.0': \(expected); slot 0x20 is above 0x1f")
    }
    XCTAssertThrowsError(try PCIAddress("00:00.8")) { error in
      XCTAssertEqual("\(error)", "bad PCI address '00:00.8': \(expected); function 8 is above 7")
    }
  }
}
