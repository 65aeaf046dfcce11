import Foundation
import XCTest

/// pci.map's refusals, through Lua, on the live sysfs of the machine running the tests.
final class PCIMapTests: XCTestCase {
  var lua: LuaHarness!
  override func setUp() { lua = LuaHarness() }

  /// The first device with a memory BAR, and that BAR's number.
  func someMemoryBar() throws -> (addr: String, bar: Int) {
    for dir in try FileManager.default.contentsOfDirectory(atPath: "/sys/bus/pci/devices").sorted() {
      let lines =
        (try? String(contentsOfFile: "/sys/bus/pci/devices/\(dir)/resource", encoding: .utf8))?
        .split(separator: "\n") ?? []
      for (i, line) in lines.prefix(6).enumerated() {
        let f = line.split(separator: " ").compactMap { UInt64($0.dropFirst(2), radix: 16) }
        if f.count == 3, f[1] != 0, f[2] & 0x200 != 0 { return (dir, i) }
      }
    }
    throw XCTSkip("no PCI device with a memory BAR on this machine")
  }

  func testMissingResourceFileIsExplained() throws {
    let (addr, bar) = try someMemoryBar()
    let path = "/sys/bus/pci/devices/\(addr)/resource\(bar)"
    guard !FileManager.default.fileExists(atPath: path) else {
      throw XCTSkip("\(path) exists here: this test is for machines without resource files")
    }
    let want =
      "test:1: pci.map: \(path) does not exist: this kernel exposes no sysfs resource files for"
      + " \(addr) (map it through VFIO instead: vfio.open)"
    XCTAssertEqual(lua.error("pci.map('\(addr)', \(bar))"), want)
    XCTAssertEqual(lua.error("pci.map('\(addr)', \(bar), {wc = true})"), want)
  }

  func testBadArguments() throws {
    let (addr, _) = try someMemoryBar()
    XCTAssertEqual(
      lua.error("pci.map('zz', 0)"),
      "test:1: pci.map: bad PCI address 'zz': expected DDDD:BB:SS.F or BB:SS.F (hex)")
    XCTAssertEqual(lua.error("pci.map('\(addr)', 9)"), "test:1: pci.map: bar 9 is out of range (0..5)")
    XCTAssertEqual(lua.error("pci.map('\(addr)')"), "test:1: pci.map: bar must be an integer, got no value")
    XCTAssertEqual(
      lua.error("pci.map('\(addr)', 0, {wc = 1})"), "test:1: pci.map: option wc must be a boolean, got number")
    XCTAssertEqual(
      lua.error("pci.map('\(addr)', 0, {foo = true})"), "test:1: pci.map: unknown option 'foo' (expected wc, write)")
  }
}
