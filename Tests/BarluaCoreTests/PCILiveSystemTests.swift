import BarluaCore
import Foundation
import XCTest

/// Reads this machine's real /sys/bus/pci/devices and checks it against `lspci -n -D`, which
/// reads the same devices through libpci's own code.
final class PCILiveSystemTests: XCTestCase {
  private struct LspciDevice: Equatable {
    let addr: String
    let classCode: UInt32  // base class + subclass, as lspci -n prints it
    let vendor: UInt16
    let device: UInt16
    let revision: UInt8
  }

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
    // "0000:00:03.0 0200: 1af4:1041 (rev 01)"
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
      let f = line.split(separator: " ")
      let ids = f[2].split(separator: ":")
      let rev = f.count >= 5 ? UInt8(f[4].dropLast(), radix: 16) ?? 0 : 0
      return LspciDevice(
        addr: String(f[0]), classCode: UInt32(f[1].dropLast(), radix: 16) ?? 0xdead_beef,
        vendor: UInt16(ids[0], radix: 16) ?? 0, device: UInt16(ids[1], radix: 16) ?? 0,
        revision: rev)
    }
  }

  func testEveryDeviceLspciListsIsFoundWithTheSameIds() throws {
    let expected = try lspci()
    XCTAssertFalse(expected.isEmpty, "lspci listed no devices")
    let found = try PCISysfs().devices().map {
      LspciDevice(
        addr: $0.addr.description, classCode: $0.class >> 8, vendor: $0.vendor, device: $0.device,
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
