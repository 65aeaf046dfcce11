import Foundation
import XCTest

@testable import BarluaCore

/// Binding, removal and reset decisions on a throw-away sysfs tree (the kernel's layout, as in
/// `VFIOTestSysfs`) and on /proc files captured in the test bed (Fixtures/lifecycle/README.md).
/// The real kernel's side (drivers really binding, devices leaving) is Tests/guest/26-lifecycle.lua.
final class PCILifecycleTests: XCTestCase {
  var tree: VFIOTestSysfs!
  let fm = FileManager.default

  override func setUpWithError() throws { tree = try VFIOTestSysfs() }

  func fixture(_ name: String) throws -> String {
    let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return url.appendingPathComponent("lifecycle/\(name)").path
  }

  func devDir(_ addr: String) -> String { "\(tree.sys)/devices/pci0000:00/\(addr)" }

  func write(_ text: String, _ path: String) throws {
    try text.write(toFile: path, atomically: false, encoding: .utf8)
  }

  func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

  /// A device with the files binding reads: class, config (header type), driver_override.
  func addDevice(_ addr: String, driver: String?, cls: String = "0x050000", header: UInt8 = 0) throws {
    try tree.addDevice(addr, driver: driver, group: nil)
    try write(cls + "\n", "\(devDir(addr))/class")
    var config = [UInt8](repeating: 0, count: 64)
    config[0x0E] = header
    try Data(config).write(to: URL(fileURLWithPath: "\(devDir(addr))/config"))
    try write("(null)\n", "\(devDir(addr))/driver_override")
    if let driver { _ = fm.createFile(atPath: "\(tree.sys)/bus/pci/drivers/\(driver)/unbind", contents: Data()) }
    _ = fm.createFile(atPath: "\(tree.sys)/bus/pci/drivers_probe", contents: Data())
  }

  func binding(sysBlock: String? = nil, sysNet: String? = nil, mountInfo: String? = nil, swaps: String? = nil)
    -> PCIDriverBinding
  {
    let empty = tree.root.appendingPathComponent("empty").path
    try? fm.createDirectory(atPath: empty, withIntermediateDirectories: true)
    _ = fm.createFile(atPath: "\(empty)/file", contents: Data())
    let use = PCIDeviceUseProbe(
      sysfs: tree.sysfs, sysBlock: sysBlock ?? empty, sysNet: sysNet ?? empty,
      mountInfo: mountInfo ?? "\(empty)/file", swaps: swaps ?? "\(empty)/file", proc: empty,
      devVFIO: tree.dev)
    return PCIDriverBinding(sysfs: tree.sysfs, use: use)
  }

  // MARK: refusals

  func testBridgesAndPortsAreRefusedEvenForced() throws {
    try addDevice("0000:00:1c.0", driver: "pcieport", cls: "0x060400", header: 1)
    try addDevice("0000:00:1f.0", driver: "lpc_ich", cls: "0x060100", header: 0)
    let addr = try PCIAddress("0000:00:1c.0")
    XCTAssertThrowsError(try binding().bind(addr, driver: nil, force: true)) { e in
      XCTAssertEqual(
        e as? PCILifecycleError, .bridge(addr, action: "unbind", classCode: 0x060400, headerType: 1))
      XCTAssertTrue("\(e)".contains("class 0x060400, header type 1"), "\(e)")
    }
    XCTAssertThrowsError(try binding().bind(PCIAddress("0000:00:1f.0"), driver: "vfio-pci")) { e in
      XCTAssertTrue("\(e)".contains("class 0x060100"), "an ISA bridge too: \(e)")
    }
    // Nothing was written.
    XCTAssertEqual(try read("\(devDir("0000:00:1c.0"))/driver_override"), "(null)\n")
  }

  func testUnknownDriverAndBadNames() throws {
    try addDevice("0000:00:04.0", driver: nil)
    let addr = try PCIAddress("0000:00:04.0")
    XCTAssertThrowsError(try binding().bind(addr, driver: "nope")) { e in
      guard case .noDriver(let name, let path)? = e as? PCILifecycleError else { return XCTFail("\(e)") }
      XCTAssertEqual(name, "nope")
      XCTAssertTrue(path.hasSuffix("/bus/pci/drivers/nope"), path)
    }
    for bad in ["", "../vfio-pci", "a\nb", ".."] {
      XCTAssertThrowsError(try binding().bind(addr, driver: bad)) { e in
        XCTAssertEqual(e as? PCILifecycleError, .badDriverName(bad))
      }
    }
    XCTAssertThrowsError(try binding().bind(PCIAddress("0000:00:09.0"), driver: nil)) { e in
      guard case .noDevice? = e as? PCIError else { return XCTFail("\(e)") }
    }
  }

  /// The captured mountinfo and swaps against a disk and an interface below the device.
  func testInUseEvidenceFromCapturedFiles() throws {
    try addDevice("0000:00:06.0", driver: "virtio-pci")
    try addDevice("0000:00:05.0", driver: "virtio-pci")
    // /sys/block/vda -> the disk below 0000:00:06.0, with its dev number as captured.
    let disk = "\(devDir("0000:00:06.0"))/virtio1/block/vda"
    try fm.createDirectory(atPath: "\(disk)/holders", withIntermediateDirectories: true)
    try write("254:0\n", "\(disk)/dev")
    let sysBlock = tree.root.appendingPathComponent("block").path
    try fm.createDirectory(atPath: sysBlock, withIntermediateDirectories: true)
    try fm.createSymbolicLink(atPath: "\(sysBlock)/vda", withDestinationPath: disk)
    let net = "\(devDir("0000:00:05.0"))/virtio0/net/eth0"
    try fm.createDirectory(atPath: net, withIntermediateDirectories: true)
    try write("0x1003\n", "\(net)/flags")
    try write("up\n", "\(net)/operstate")
    let sysNet = tree.root.appendingPathComponent("net").path
    try fm.createDirectory(atPath: sysNet, withIntermediateDirectories: true)
    try fm.createSymbolicLink(atPath: "\(sysNet)/eth0", withDestinationPath: net)

    let mounted = binding(sysBlock: sysBlock, sysNet: sysNet, mountInfo: try fixture("mountinfo"))
    let blk = try PCIAddress("0000:00:06.0")
    XCTAssertEqual(
      try mounted.use.evidence(blk), [.mounted(device: blk, block: "vda", mountPoint: "/tmp/life cycle")])
    XCTAssertThrowsError(try mounted.bind(blk, driver: "vfio-pci")) { e in
      XCTAssertTrue("\(e)".contains("/dev/vda is mounted on /tmp/life cycle"), "\(e)")
    }
    let swapped = binding(sysBlock: sysBlock, sysNet: sysNet, swaps: try fixture("swaps"))
    XCTAssertEqual(try swapped.use.evidence(blk), [.swap(device: blk, block: "vda")])
    let eth = try PCIAddress("0000:00:05.0")
    XCTAssertEqual(
      try swapped.use.evidence(eth), [.interfaceUp(device: eth, interface: "eth0", operstate: "up")])
    try write("0x1002\n", "\(net)/flags")
    XCTAssertEqual(try swapped.use.evidence(eth), [], "an interface that is down is not in use")
    // A holder (dm/md) and a partition that is mounted.
    try fm.createDirectory(atPath: "\(disk)/holders/dm-0", withIntermediateDirectories: true)
    try fm.createDirectory(atPath: "\(disk)/vda1", withIntermediateDirectories: true)
    _ = fm.createFile(atPath: "\(disk)/vda1/partition", contents: Data("1\n".utf8))
    try write("254:1\n", "\(disk)/vda1/dev")
    let info = tree.root.appendingPathComponent("mountinfo").path
    try write("40 34 254:1 / /data rw - ext4 /dev/vda1 rw\n", info)
    let held = binding(sysBlock: sysBlock, sysNet: sysNet, mountInfo: info)
    XCTAssertEqual(
      try held.use.evidence(blk),
      [.held(device: blk, block: "vda", holder: "dm-0"), .mounted(device: blk, block: "vda1", mountPoint: "/data")])
    // Binding it to the driver it already has takes nothing away: no refusal, nothing unbound.
    XCTAssertEqual(try held.bind(blk, driver: "virtio-pci"), .init(driver: "virtio-pci", override: nil))
    XCTAssertEqual(try read("\(tree.sys)/bus/pci/drivers/virtio-pci/unbind"), "")
    // Forced: the unbind goes on (the kernel's unbind file gets the address).
    XCTAssertEqual(try held.bind(blk, driver: nil, force: true), .init(driver: "virtio-pci", override: "virtio-pci"))
    XCTAssertEqual(try read("\(tree.sys)/bus/pci/drivers/virtio-pci/unbind"), "0000:00:06.0")
  }

  /// An interface that is up on another member of the device's IOMMU group: the group goes
  /// with the device (VFIO takes the whole group), so the device is in use too.
  func testAGroupMemberInUse() throws {
    try tree.addDevice("0000:00:05.0", driver: "e1000e", group: 7)
    try tree.addDevice("0000:00:05.1", driver: "vfio-pci", group: 7)
    for addr in ["0000:00:05.0", "0000:00:05.1"] {
      try write("0x020000\n", "\(devDir(addr))/class")
      try Data(count: 64).write(to: URL(fileURLWithPath: "\(devDir(addr))/config"))
      try write("(null)\n", "\(devDir(addr))/driver_override")
    }
    let net = "\(devDir("0000:00:05.0"))/net/eth1"
    try fm.createDirectory(atPath: net, withIntermediateDirectories: true)
    try write("0x1003\n", "\(net)/flags")
    try write("up\n", "\(net)/operstate")
    let sysNet = tree.root.appendingPathComponent("net").path
    try fm.createDirectory(atPath: sysNet, withIntermediateDirectories: true)
    try fm.createSymbolicLink(atPath: "\(sysNet)/eth1", withDestinationPath: net)
    let member = try PCIAddress("0000:00:05.0")
    let addr = try PCIAddress("0000:00:05.1")
    XCTAssertThrowsError(try binding(sysNet: sysNet).bind(addr, driver: nil)) { e in
      XCTAssertEqual(
        e as? PCILifecycleError,
        .inUse(addr, action: "unbind", evidence: [.interfaceUp(device: member, interface: "eth1", operstate: "up")]))
      XCTAssertTrue("\(e)".contains("0000:00:05.0: network interface eth1 is up"), "\(e)")
    }
  }

  func testBootVGAIsInUse() throws {
    try addDevice("0000:00:02.0", driver: "i915", cls: "0x030000")
    try write("1\n", "\(devDir("0000:00:02.0"))/boot_vga")
    let addr = try PCIAddress("0000:00:02.0")
    XCTAssertEqual(try binding().use.evidence(addr), [.bootVGA(device: addr)])
  }

  // MARK: the writes, in order

  func testUnbindClearsTheOverrideAndReturnsWhatWasThere() throws {
    try addDevice("0000:00:04.0", driver: "vfio-pci")
    try write("vfio-pci\n", "\(devDir("0000:00:04.0"))/driver_override")
    let previous = try binding().bind(PCIAddress("0000:00:04.0"), driver: nil)
    XCTAssertEqual(previous, .init(driver: "vfio-pci", override: "vfio-pci"))
    XCTAssertEqual(try read("\(devDir("0000:00:04.0"))/driver_override"), "\n")
    XCTAssertEqual(try read("\(tree.sys)/bus/pci/drivers/vfio-pci/unbind"), "0000:00:04.0")
  }

  func testABindingThatDoesNotHappenIsAnErrorAfterTheTimeoutAndIsPutBack() throws {
    try addDevice("0000:00:04.0", driver: nil)
    try fm.createDirectory(atPath: "\(tree.sys)/bus/pci/drivers/vfio-pci", withIntermediateDirectories: true)
    XCTAssertThrowsError(try binding().bind(PCIAddress("0000:00:04.0"), driver: "vfio-pci", timeout: 0.05)) { e in
      guard case .failedAndPutBack(_, let reason, let previous, let problem)? = e as? PCILifecycleError else {
        return XCTFail("\(e)")
      }
      XCTAssertTrue(reason.contains("0000:00:04.0 is not bound to vfio-pci after"), reason)
      XCTAssertTrue(reason.contains("(it has no driver)"), reason)
      XCTAssertNil(previous)
      XCTAssertNil(problem)
      XCTAssertTrue("\(e)".hasSuffix("0000:00:04.0 is without a driver again, as before"), "\(e)")
    }
    XCTAssertEqual(try read("\(tree.sys)/bus/pci/drivers_probe"), "0000:00:04.0")
    XCTAssertEqual(try read("\(devDir("0000:00:04.0"))/driver_override"), "\n", "the override is put back (empty)")
  }

  // MARK: resets

  func testResetMethodsAndTheMethodIsAlwaysPutBack() throws {
    try addDevice("0000:00:04.0", driver: "virtio-pci")
    let dir = devDir("0000:00:04.0")
    let reset = PCIReset(binding: binding())
    let addr = try PCIAddress("0000:00:04.0")
    guard case .failure(let none) = try reset.methods(addr) else { return XCTFail("no file: no methods") }
    XCTAssertTrue("\(none)".contains("no reset file"), "\(none)")
    try write("flr pm bus\n", "\(dir)/reset_method")
    XCTAssertEqual(try reset.methods(addr), .success(["flr", "pm", "bus"]))
    _ = fm.createFile(atPath: "\(dir)/reset", contents: Data())
    XCTAssertEqual(try reset.reset(addr, method: "pm"), "pm")
    XCTAssertEqual(try read("\(dir)/reset"), "1")
    XCTAssertEqual(try read("\(dir)/reset_method"), "flr pm bus", "put back after the reset")
    XCTAssertThrowsError(try reset.reset(addr, method: "acpi")) { e in
      XCTAssertEqual(e as? PCILifecycleError, .unknownResetMethod(addr, method: "acpi", offered: ["flr", "pm", "bus"]))
    }
    // A reset the kernel refuses: reset_method is put back all the same.
    try fm.removeItem(atPath: "\(dir)/reset")
    try fm.createDirectory(atPath: "\(dir)/reset", withIntermediateDirectories: false)
    try write("flr pm bus\n", "\(dir)/reset_method")
    XCTAssertThrowsError(try reset.reset(addr, method: "bus")) { e in
      guard case .resetFailed(_, let method, _, _)? = e as? PCILifecycleError else { return XCTFail("\(e)") }
      XCTAssertEqual(method, "bus")
    }
    XCTAssertEqual(try read("\(dir)/reset_method"), "flr pm bus", "put back after a refused reset")
  }

  func testProcTextUnescaping() {
    XCTAssertEqual(KernelText.unescapeOctal("/tmp/life\\040cycle"), "/tmp/life cycle")
    XCTAssertEqual(KernelText.unescapeOctal("a\\134b\\011"), "a\\b\t")
    XCTAssertEqual(KernelText.unescapeOctal("\\04"), "\\04", "a cut escape stays as it is")
    XCTAssertEqual(KernelText.unescapeOctal("\\999x"), "\\999x", "not octal")
    XCTAssertEqual(PCIDeviceUseProbe.swapNames("Filename Type\n/dev/zram0 partition 1 0 100\n"), ["/dev/zram0"])
    XCTAssertEqual(PCIDeviceUseProbe.mountPoints(of: "8:1", in: "1 2 8:1 / /\n2 3 8:10 / /x\nshort\n"), ["/"])
  }
}
