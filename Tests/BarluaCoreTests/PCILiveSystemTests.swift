import Foundation
import TestSupport
import XCTest

@testable import BarluaCore

/// Reads this machine's real /sys/bus/pci/devices and checks it against `lspci -n -D`, which
/// reads the same devices through libpci's own code.
final class PCILiveSystemTests: XCTestCase {
  private func lspci() throws -> [LspciDevice] {
    let paths = ["/usr/bin/lspci", "/usr/sbin/lspci", "/bin/lspci", "/sbin/lspci"]
    let tool = try XCTUnwrap(
      paths.first { FileManager.default.isExecutableFile(atPath: $0) }, "no lspci")
    let r = try ChildProcess.run(tool, ["-n", "-D"])
    XCTAssertEqual(r.status, 0, r.err)
    return LspciDevice.parse(r.out)
  }

  func testEveryDeviceLspciListsIsFoundWithTheSameIds() throws {
    let expected = try lspci()
    XCTAssertFalse(expected.isEmpty, "lspci listed no devices")
    let found = try PCISysfs().devices().map {
      LspciDevice(
        addr: $0.addr.description, baseAndSubclass: $0.class >> 8, vendor: $0.vendor,
        device: $0.device,
        revision: $0.revision)
    }
    XCTAssertEqual(found, expected)
  }

  func testEachLiveDeviceReadsAlone() throws {
    for info in try PCISysfs().devices() {
      XCTAssertEqual(try PCISysfs().device(info.addr), info)
      XCTAssertEqual(try PCISysfs().devices(filter: PCIFilter(addr: info.addr)), [info])
    }
  }
}
