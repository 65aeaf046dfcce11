import Foundation
import XCTest

/// vfio.open / vfio.devices from Lua on a machine without vfio-pci devices (this one: every
/// device is on virtio-pci, no /dev/vfio), and the device methods' refusal of a bad self.
/// The guest tests (Tests/guest/2x-vfio*.lua) cover a real device.
final class VFIOModuleTests: XCTestCase {
  var lua: LuaHarness!
  override func setUp() { lua = LuaHarness() }

  static let seedTree: String = {
    var url = URL(fileURLWithPath: "\(#filePath)")
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path + "/Tests/BarluaCoreTests/Fixtures/pci/xilinx-7024"
  }()

  func testDeviceOnAnotherDriverNamesItsDriver() throws {
    let bound = try PCIModuleTests.sysfsDevices().filter { $0.driver != nil && $0.driver != "vfio-pci" }
    guard let d = bound.first else {
      return XCTFail("this test needs a device bound to a driver other than vfio-pci (virtio-pci here)")
    }
    XCTAssertEqual(
      lua.error("vfio.open('\(d.addr)')"),
      "test:1: vfio.open: \(d.addr) is bound to \(d.driver!), not vfio-pci: bind it with:"
        + " echo vfio-pci > /sys/bus/pci/devices/\(d.addr)/driver_override;"
        + " echo \(d.addr) > /sys/bus/pci/devices/\(d.addr)/driver/unbind;"
        + " echo \(d.addr) > /sys/bus/pci/drivers_probe")
  }

  func testDeviceWithoutDriver() throws {
    guard let d = try PCIModuleTests.sysfsDevices().first(where: { $0.driver == nil }) else {
      return XCTFail("this test needs a device with no driver (the host bridge here)")
    }
    XCTAssertTrue(
      lua.error("vfio.open('\(d.addr)')").hasPrefix("test:1: vfio.open: \(d.addr) is bound to no driver, not vfio-pci"))
  }

  func testNonexistentAddressAndBadText() {
    XCTAssertEqual(
      lua.error("vfio.open('0000:7f:1f.7')"),
      "test:1: vfio.open: no PCI device 0000:7f:1f.7 in /sys/bus/pci/devices (lspci -D lists them)")
    XCTAssertEqual(
      lua.error("vfio.open('15:00')"),
      "test:1: vfio.open: bad PCI address '15:00': expected DDDD:BB:SS.F or BB:SS.F (hex)")
  }

  func testFilterMustMatchExactlyOne() throws {
    let all = try PCIModuleTests.sysfsDevices()
    let vendor = all.map { $0.ids["vendor"]! }
    guard let shared = vendor.first(where: { v in vendor.filter { $0 == v }.count > 1 }) else {
      return XCTFail("this test needs two devices of one vendor (virtio devices here)")
    }
    let matches = all.filter { $0.ids["vendor"] == shared }
    let list = matches.map {
      String(format: "%@ %04x:%04x %@", $0.addr, $0.ids["vendor"]!, $0.ids["device"]!, $0.driver ?? "no driver")
    }
    XCTAssertEqual(
      lua.error("vfio.open({vendor = \(shared)})"),
      "test:1: vfio.open: the filter matches \(matches.count) devices, it must match one: "
        + list.joined(separator: "; "))
    XCTAssertEqual(
      lua.error("vfio.open({vendor = 0xffff})"),
      "test:1: vfio.open: the filter matches no device (pci.devices() lists them)")
    // One match: opened like its address (here refused: not on vfio-pci).
    let one = all.first { d in all.filter { $0.ids["device"] == d.ids["device"] }.count == 1 && d.driver != nil }!
    XCTAssertTrue(
      lua.error("vfio.open({device = \(one.ids["device"]!)})").hasPrefix("test:1: vfio.open: \(one.addr) is bound to"))
  }

  /// The FPGA tree says 0000:15:00.0 is on vfio-pci in group 41; this machine has no
  /// /dev/vfio, so opening it fails at the group file with the errno and what to do.
  func testMissingDevVFIO() throws {
    // A copy of the tree whose driver folder links the device, as the kernel's does (the
    // fixture itself cannot hold that link: with it the tree is a cycle of symlinks, which
    // SwiftPM's resource copy does not survive).
    let tree = NSTemporaryDirectory() + "barlua-vfio-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: tree) }
    try FileManager.default.copyItem(atPath: VFIOModuleTests.seedTree, toPath: tree)
    try FileManager.default.createSymbolicLink(
      atPath: tree + "/bus/pci/drivers/vfio-pci/0000:15:00.0", withDestinationPath: "../../devices/0000:15:00.0")
    setenv("BARLUA_SYSFS_PCI", tree + "/bus/pci/devices", 1)
    defer { unsetenv("BARLUA_SYSFS_PCI") }
    let message = lua.error("vfio.open('15:00.0')")
    if FileManager.default.fileExists(atPath: "/dev/vfio") {
      XCTAssertTrue(message.hasPrefix("test:1: vfio.open: open /dev/vfio/41: "), message)
    } else {
      XCTAssertEqual(
        message,
        "test:1: vfio.open: open /dev/vfio: No such file or directory (errno 2): vfio is not loaded: modprobe vfio-pci")
    }
    // vfio.devices lists it from the same tree, viable (its group's only member is on vfio-pci).
    XCTAssertEqual(
      try lua.eval(
        "local l = vfio.devices() return #l .. ' ' .. l[1].addr .. ' ' .. l[1].group_path .. ' '"
          + " .. tostring(l[1].viable) .. ' ' .. l[1].iommu_group .. ' ' .. l[1].vendor_name"),
      "1 0000:15:00.0 /dev/vfio/41 true 41 Xilinx Corporation")
  }

  func testNoVFIODevicesHere() throws {
    XCTAssertEqual(try lua.eval("return #vfio.devices()"), "0")
  }

  func testBadArguments() {
    let cases: [(String, String)] = [
      ("vfio.open()", "vfio.open: address must be a string, got no value"),
      ("vfio.open(5)", "vfio.open: address must be a string, got number"),
      ("vfio.open(true)", "vfio.open: address must be a string, got boolean"),
      ("vfio.open('00:03.0', 1)", "vfio.open: takes at most 1 argument (address or filter), got 2"),
      (
        "vfio.open({vendr = 1})",
        "vfio.open: unknown option 'vendr' (expected addr, vendor, device, subvendor, subdevice, class, driver)"
      ),
      ("vfio.open({vendor = 0x10000})", "vfio.open: filter vendor 0x10000 is out of range (0..0xffff)"),
      (
        "vfio.open({driver = true})", "vfio.open: filter driver must be a driver name or false (no driver), got boolean"
      ),
      ("vfio.devices(1)", "vfio.devices: takes at most 0 arguments (no arguments), got 1"),
    ]
    lua.assertErrors(cases)
  }

  /// The device methods without a device: the first upvalue of the device metatable's __index.
  let methodsTable = "local methods = select(2, debug.getupvalue(debug.getregistry()['barlua.device'].__index, 1))"

  /// Every device method, called on something that is not a device, names itself and says how
  /// to call it.
  func testDeviceMethodsRefuseABadSelf() throws {
    let methods = [
      "regions", "irqs", "map", "features", "config_read8", "config_read16", "config_read32", "config_write8",
      "config_write16", "config_write32", "reset", "close", "dma", "iova_ranges", "irq",
    ]
    for m in methods {
      let code = "\(methodsTable) local f = methods.\(m) return f(5)"
      XCTAssertEqual(
        lua.error(code),
        "test:1: device:\(m): expected a device as self (call it as device:\(m)(...)), got number", m)
      XCTAssertEqual(
        lua.error("\(methodsTable) return methods.\(m)()"),
        "test:1: device:\(m): expected a device as self (call it as device:\(m)(...)), got no value", m)
    }
  }
}
