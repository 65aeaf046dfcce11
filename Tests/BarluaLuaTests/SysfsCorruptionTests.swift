import Foundation
import XCTest

/// The corrupt-sysfs fuzz through the Lua API: a captured tree (`BARLUA_SYSFS_PCI`) with one
/// device's files damaged in turn. `pci.devices()` and `vfio.devices()` list every device (the
/// damaged one with an `error` field when it cannot be read), `pci.device` and `pci.map` of it
/// raise a Lua error, and nothing crashes.
final class SysfsCorruptionTests: XCTestCase {
  static let fixtures: String = {
    var url = URL(fileURLWithPath: "\(#filePath)")
    for _ in 0..<2 { url.deleteLastPathComponent() }
    return url.path + "/BarluaCoreTests/Fixtures/pci"
  }()

  var lua: LuaHarness!
  var root = ""
  let fm = FileManager.default

  override func setUpWithError() throws {
    lua = LuaHarness()
    root = NSTemporaryDirectory() + "barlua-lua-corrupt-\(getpid())-\(UUID().uuidString)"
  }

  override func tearDown() {
    unsetenv("BARLUA_SYSFS_PCI")
    try? fm.removeItem(atPath: root)
  }

  private func use(_ tree: String) throws -> String {
    try? fm.removeItem(atPath: root)
    try fm.copyItem(atPath: "\(Self.fixtures)/\(tree)", toPath: root)
    setenv("BARLUA_SYSFS_PCI", root + "/bus/pci/devices", 1)
    return root + "/bus/pci/devices"
  }

  /// `addr error` for each listed device (`-` when it has none), one per line.
  private func listing(_ call: String) throws -> String {
    try lua.eval(
      """
      local out = {}
      for i, d in ipairs(\(call)) do out[i] = d.addr .. ' ' .. (d.error and 'error' or '-') end
      return table.concat(out, '\\n')
      """)
  }

  func testResourceOf2To64BytesIsReportedOnThatDeviceOnly() throws {
    let devices = try use("vm-virtio")
    try "0x0 0xffffffffffffffff 0x200\n".write(
      toFile: "\(devices)/0000:00:03.0/resource", atomically: false, encoding: .utf8)
    XCTAssertEqual(
      try listing("pci.devices()"),
      """
      0000:00:00.0 -
      0000:00:01.0 -
      0000:00:02.0 -
      0000:00:03.0 error
      0000:00:04.0 -
      0000:00:05.0 -
      """)
    let problem =
      "unexpected contents in \(devices)/0000:00:03.0/resource: '0x0 0xffffffffffffffff 0x200'"
      + " (expected a range of at most 2^64-1 bytes)"
    XCTAssertEqual(try lua.eval("return pci.devices{addr='00:03.0'}[1].error"), problem)
    XCTAssertEqual(
      try lua.eval("local d = pci.devices{vendor=0x1af4, device=0x1041}[1] return d.driver .. ' ' .. d.vendor"),
      "virtio-pci 6900")
    XCTAssertEqual(lua.error("pci.device('00:03.0')"), "test:1: pci.device: \(problem)")
    XCTAssertEqual(lua.error("pci.map('00:03.0', 0)"), "test:1: pci.map: \(problem)")
    XCTAssertEqual(try lua.eval("return pci.device('00:04.0').addr"), "0000:00:04.0")
  }

  /// The files discovery depends on, of every device of the test-bed guest's tree, damaged two ways, through
  /// pci.devices, pci.device, pci.map and vfio.devices.
  func testEveryFileDamagedThroughTheLuaAPI() throws {
    let devices = try use("qemu-q35-type1")
    let good = try listing("pci.devices()")
    let addrs = try fm.contentsOfDirectory(atPath: devices).sorted()
    XCTAssertEqual(good, addrs.map { "\($0) -" }.joined(separator: "\n"))
    let goodVFIO = try listing("vfio.devices()")
    XCTAssertEqual(goodVFIO.split(separator: "\n").count, 5)
    var cases = 0
    for addr in addrs {
      for file in ["class", "config", "driver", "iommu_group", "resource", "vendor"] {
        let path = "\(devices)/\(addr)/\(file)"
        guard fm.fileExists(atPath: path) else { continue }
        let backup = root + "/saved"
        try fm.moveItem(atPath: path, toPath: backup)
        for damage in ["\u{1}\u{2}garbage\u{ff}", "0x0 0xffffffffffffffff 0x200\n"] {
          cases += 1
          try? fm.removeItem(atPath: path)
          _ = fm.createFile(atPath: path, contents: Data(damage.utf8))
          let context = "\(addr)/\(file) \(damage.debugDescription)"
          let list = try listing("pci.devices()")
          let lines = list.split(separator: "\n")
          XCTAssertEqual(lines.map { String($0.prefix(12)) }, addrs, context)
          XCTAssertEqual(
            lines.filter { !$0.hasPrefix(addr) }, good.split(separator: "\n").filter { !$0.hasPrefix(addr) },
            context)
          for call in ["pci.device('\(addr)')", "pci.map('\(addr)', 0)", "vfio.devices()"] {
            do {
              _ = try lua.eval("return \(call)")
            } catch let e as LuaFailure {
              XCTAssertTrue(e.message.hasPrefix("test:1: "), "\(context) \(call): \(e.message)")
            }
          }
        }
        try fm.removeItem(atPath: path)
        try fm.moveItem(atPath: backup, toPath: path)
      }
    }
    XCTAssertGreaterThan(cases, 100)
    XCTAssertEqual(try listing("vfio.devices()"), goodVFIO)
  }
}
