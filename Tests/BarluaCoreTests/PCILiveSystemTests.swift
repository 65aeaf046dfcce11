import BarluaCore
import Foundation
import XCTest

/// Reads this machine's real /sys/bus/pci/devices and checks it against `lspci -n -D`, which
/// reads the same devices through libpci's own code.
final class PCILiveSystemTests: XCTestCase {
  private func lspci() throws -> [LspciDevice] {
    let paths = ["/usr/bin/lspci", "/usr/sbin/lspci", "/bin/lspci", "/sbin/lspci"]
    let tool = try XCTUnwrap(
      paths.first { FileManager.default.isExecutableFile(atPath: $0) }, "no lspci")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = ["-n", "-D"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0)
    return LspciDevice.parse(String(decoding: data, as: UTF8.self))
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
