import Foundation
import XCTest

/// pci.devices / pci.device / pci.map from Lua, on this machine's real sysfs: every filter key
/// against what sysfs says when read directly, and every bad argument.
final class PCIModuleTests: XCTestCase {
  var lua: LuaHarness!
  override func setUp() { lua = LuaHarness() }

  /// A device as read straight from sysfs, without barlua.
  struct SysfsDevice {
    var addr: String
    var ids: [String: Int]
    var driver: String?
  }

  static func sysfsDevices() throws -> [SysfsDevice] {
    let root = "/sys/bus/pci/devices"
    let fm = FileManager.default
    return try fm.contentsOfDirectory(atPath: root).sorted().map { addr in
      var ids: [String: Int] = [:]
      for (key, file) in [
        ("vendor", "vendor"), ("device", "device"), ("subvendor", "subsystem_vendor"),
        ("subdevice", "subsystem_device"), ("class", "class"),
      ] {
        let text = try String(contentsOfFile: "\(root)/\(addr)/\(file)", encoding: .utf8)
        ids[key] = Int(text.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst(2), radix: 16)
      }
      let driver = (try? fm.destinationOfSymbolicLink(atPath: "\(root)/\(addr)/driver")).map {
        URL(fileURLWithPath: $0).lastPathComponent
      }
      return SysfsDevice(addr: addr, ids: ids, driver: driver)
    }
  }

  /// The addresses `pci.devices(filter)` returns, comma-separated.
  private func selected(_ filter: String) throws -> String {
    try lua.eval(
      "local t = {} for i, d in ipairs(pci.devices(\(filter))) do t[i] = d.addr end return table.concat(t, ',')")
  }

  private func expected(_ devices: [SysfsDevice], _ keep: (SysfsDevice) -> Bool) -> String {
    devices.filter(keep).map(\.addr).joined(separator: ",")
  }

  func testEveryFilterKeySelectsWhatSysfsSays() throws {
    let all = try PCIModuleTests.sysfsDevices()
    XCTAssertFalse(all.isEmpty)
    XCTAssertEqual(try selected(""), expected(all) { _ in true })
    XCTAssertEqual(try selected("{}"), expected(all) { _ in true })
    for d in all {
      XCTAssertEqual(try selected("{addr = '\(d.addr)'}"), d.addr)
      XCTAssertEqual(try selected("{addr = '\(d.addr.dropFirst(5))'}"), d.addr, "domain 0 implied")
      for key in ["vendor", "device", "subvendor", "subdevice", "class"] {
        let v = d.ids[key]!
        XCTAssertEqual(try selected("{\(key) = \(v)}"), expected(all) { $0.ids[key] == v }, "\(key) \(v)")
      }
      // 16-bit class: base class + subclass, whatever the programming interface.
      let cls = d.ids["class"]!
      XCTAssertEqual(
        try selected("{class = \(cls >> 8)}"), expected(all) { $0.ids["class"]! >> 8 == cls >> 8 }, "class \(cls >> 8)")
      XCTAssertEqual(
        try selected("{vendor = \(d.ids["vendor"]!), device = \(d.ids["device"]!)}"),
        expected(all) { $0.ids["vendor"] == d.ids["vendor"] && $0.ids["device"] == d.ids["device"] })
      if let driver = d.driver {
        XCTAssertEqual(try selected("{driver = '\(driver)'}"), expected(all) { $0.driver == driver })
      }
    }
    XCTAssertEqual(try selected("{driver = false}"), expected(all) { $0.driver == nil })
    XCTAssertEqual(try selected("{driver = 'no-such-driver'}"), "")
    XCTAssertEqual(try selected("{vendor = 0xffff}"), "")
    XCTAssertEqual(try selected("{addr = '00:1f.7'}"), "", "an absent address selects nothing")
  }

  func testDeviceInfoMatchesSysfs() throws {
    for d in try PCIModuleTests.sysfsDevices() {
      XCTAssertEqual(
        try lua.eval(
          "local d = pci.device('\(d.addr)') return string.format('%s %04x:%04x %04x:%04x %06x %s', d.addr,"
            + " d.vendor, d.device, d.subvendor, d.subdevice, d.class, tostring(d.driver))"),
        String(
          format: "%@ %04x:%04x %04x:%04x %06x %@", d.addr, d.ids["vendor"]!, d.ids["device"]!, d.ids["subvendor"]!,
          d.ids["subdevice"]!, d.ids["class"]!, d.driver ?? "nil"))
    }
  }

  func testBadArguments() {
    let filterKeys = "addr, vendor, device, subvendor, subdevice, class, driver"
    let cases: [(String, String)] = [
      ("pci.devices(5)", "pci.devices: filter must be a table of \(filterKeys), got number"),
      ("pci.devices('10ee')", "pci.devices: filter must be a table of \(filterKeys), got string"),
      ("pci.devices({}, 1)", "pci.devices: takes at most 1 argument (filter), got 2"),
      ("pci.devices({vendr = 1})", "pci.devices: unknown option 'vendr' (expected \(filterKeys))"),
      ("pci.devices({[1] = 1})", "pci.devices: option keys must be names (expected \(filterKeys))"),
      ("pci.devices({vendor = 0x10000})", "pci.devices: filter vendor 0x10000 is out of range (0..0xffff)"),
      ("pci.devices({device = -1})", "pci.devices: filter device -1 is out of range (0..0xffff)"),
      ("pci.devices({subvendor = 0x10000})", "pci.devices: filter subvendor 0x10000 is out of range (0..0xffff)"),
      ("pci.devices({subdevice = 0x10000})", "pci.devices: filter subdevice 0x10000 is out of range (0..0xffff)"),
      ("pci.devices({class = 0x1000000})", "pci.devices: filter class 0x1000000 is out of range (0..0xffffff)"),
      ("pci.devices({vendor = '10ee'})", "pci.devices: option vendor must be an integer, got string"),
      ("pci.devices({vendor = 1.5})", "pci.devices: option vendor must be an integer, got 1.5"),
      (
        "pci.devices({driver = true})",
        "pci.devices: filter driver must be a driver name or false (no driver), got boolean"
      ),
      (
        "pci.devices({driver = 1})", "pci.devices: filter driver must be a driver name or false (no driver), got number"
      ),
      ("pci.devices({addr = 5})", "pci.devices: option addr must be a string, got number"),
      ("pci.devices({addr = '15:00'})", "pci.devices: bad PCI address '15:00': expected DDDD:BB:SS.F or BB:SS.F (hex)"),
      ("pci.device()", "pci.device: address must be a string, got no value"),
      ("pci.device(0x1500)", "pci.device: address must be a string, got number"),
      ("pci.device('00:00.0', 1)", "pci.device: takes at most 1 argument (address), got 2"),
      ("pci.device('00:1f.7')", "pci.device: no PCI device 0000:00:1f.7 in /sys/bus/pci/devices (lspci -D lists them)"),
      (
        "pci.device('00:20.0')",
        "pci.device: bad PCI address '00:20.0': expected DDDD:BB:SS.F or BB:SS.F (hex); slot 0x20 is above 0x1f"
      ),
      (
        "pci.device('00:00.8')",
        "pci.device: bad PCI address '00:00.8': expected DDDD:BB:SS.F or BB:SS.F (hex); function 8 is above 7"
      ),
      ("pci.map()", "pci.map: address must be a string, got no value"),
      ("pci.map('00:00.0')", "pci.map: bar must be an integer, got no value"),
      ("pci.map('00:00.0', 6)", "pci.map: bar 6 is out of range (0..5)"),
      ("pci.map('00:00.0', -1)", "pci.map: bar -1 is out of range (0..5)"),
      ("pci.map('00:00.0', 0, 1)", "pci.map: options must be a table, got number"),
      ("pci.map('00:00.0', 0, {wc = 1})", "pci.map: option wc must be a boolean, got number"),
      ("pci.map('00:00.0', 0, {size = 1})", "pci.map: unknown option 'size' (expected wc, write)"),
      ("pci.map('00:00.0', 0, {}, 1)", "pci.map: takes at most 3 arguments (address, bar, {wc=, write=}), got 4"),
    ]
    lua.assertErrors(cases)
  }
}
