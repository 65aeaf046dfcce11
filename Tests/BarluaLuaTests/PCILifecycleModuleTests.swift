import Foundation
import XCTest

@testable import BarluaCore
@testable import BarluaLua

/// The life-cycle functions of `pci` from Lua: every argument mistake, the refusal of a bridge
/// (on the captured QEMU tree of Tests/BarluaCoreTests/Fixtures/pci/qemu-q35-type1, through
/// `BARLUA_SYSFS_PCI`: nothing of this machine is touched), and the Lua wording of refusals.
/// What the kernel does is Tests/guest/26-lifecycle.lua.
final class PCILifecycleModuleTests: XCTestCase {
  static let tree: String = {
    var url = URL(fileURLWithPath: "\(#filePath)")
    for _ in 0..<2 { url.deleteLastPathComponent() }
    return url.path + "/BarluaCoreTests/Fixtures/pci/qemu-q35-type1/bus/pci/devices"
  }()

  var lua: LuaHarness!

  override func setUp() {
    lua = LuaHarness()
    setenv("BARLUA_SYSFS_PCI", Self.tree, 1)
  }

  override func tearDown() { unsetenv("BARLUA_SYSFS_PCI") }

  func testArgumentErrors() {
    lua.assertErrors([
      ("pci.bind('0000:00:01.0')", "pci.bind: driver missing: give a driver name, or nil to unbind the device"),
      ("pci.bind('0000:00:01.0', 5)", "pci.bind: driver must be a string, got number"),
      (
        "pci.bind('0000:00:01.0', nil, {override = 1})",
        "pci.bind: option override must be a driver name or false (leave driver_override empty), got number"
      ),
      (
        "pci.bind('0000:00:01.0', nil, {forse = true})",
        "pci.bind: unknown option 'forse' (expected force, override, timeout)"
      ),
      (
        "pci.bind('0000:00:01.0', nil, {timeout = 'x'})",
        "pci.bind: option timeout must be a number of seconds, got string"
      ),
      ("pci.wait('0000:00:01.0', {timeout = -1})", "pci.wait: option timeout -1.0 is out of range (0 .. 1e6 seconds)"),
      ("pci.wait(5)", "pci.wait: address or filter must be a string, got number"),
      ("pci.reset('0000:00:01.0', {method = 1})", "pci.reset: option method must be a string, got number"),
      ("pci.kernel_messages(-1)", "pci.kernel_messages: since -1 is negative"),
      ("pci.remove('0000:00:01.0', 1, 2)", "pci.remove: takes at most 2 arguments (address, {force=}), got 3"),
    ])
  }

  func testBridgesAreRefusedFromLua() throws {
    // 0000:00:1f.0 in the captured tree is the ICH9 LPC (an ISA bridge), 00:00.0 the host bridge.
    XCTAssertEqual(
      lua.error("pci.bind('0000:00:00.0', nil, {force = true})"),
      "test:1: pci.bind: refusing to unbind 0000:00:00.0: it is a bridge or PCIe port (class 0x060000,"
        + " header type 0); every device below it depends on it: act on the device below")
    XCTAssertTrue(lua.error("pci.remove('0000:00:1f.0')").contains("refusing to remove 0000:00:1f.0"))
    XCTAssertTrue(lua.error("pci.rescan('0000:00:01.0')").contains("is not a bridge or port"))
    XCTAssertTrue(lua.error("pci.reset_methods('0000:0f:1f.7')").contains("no PCI device 0000:0f:1f.7"))
    XCTAssertEqual(
      try lua.eval("local m, why = pci.reset_methods('0000:00:01.0') return tostring(m) .. ' ' .. why"),
      "nil 0000:00:01.0 cannot be reset through sysfs: the kernel offers no reset method for it (no reset file)")
    XCTAssertEqual(
      try lua.eval("local d, why = pci.wait('0000:0f:1f.7', {timeout = 0}) return tostring(d) .. why"), "niltimeout")
    XCTAssertEqual(try lua.eval("return pci.wait('0000:00:01.0', {timeout = 0}).addr"), "0000:00:01.0")
  }

  func testRefusalWording() throws {
    let addr = try PCIAddress("0000:00:05.0")
    let up = PCILifecycleError.inUse(
      addr, action: "rebind", evidence: [.interfaceUp(device: addr, interface: "eth0", operstate: "up")])
    XCTAssertEqual(
      LuaWording.describe(up),
      "refusing to rebind 0000:00:05.0: it is in use: 0000:00:05.0: network interface eth0 is up (operstate up;"
        + " ip link set eth0 down) (stop using it first, or pass {force=true} if you know it is safe)")
    let mine = PCILifecycleError.inUse(
      addr, action: "unbind",
      evidence: [.vfioOpen(device: addr, group: "/dev/vfio/3", pid: 1, command: "barlua", isSelf: true)])
    XCTAssertFalse(LuaWording.describe(mine).contains("force"), "force cannot help when this process holds it")
    XCTAssertTrue(
      LuaWording.describe(mine).contains("this process holds its VFIO group /dev/vfio/3 open: close the device first"))
  }
}
