import Foundation
import XCTest

/// pci.config, the config object, barlua.pcie, pci.link/retrain/link_disable, pci.aer/aer_mask
/// and pci.serial from Lua, on a sysfs-shaped tree (`BARLUA_SYSFS_PCI`) holding config spaces
/// captured in the test bed (Tests/BarluaCoreTests/Fixtures/config/README.md).
final class PCIConfigModuleTests: XCTestCase {
  static let fixtures: String = {
    var url = URL(fileURLWithPath: "\(#filePath)")
    for _ in 0..<2 { url.deleteLastPathComponent() }
    return url.path + "/BarluaCoreTests/Fixtures/config/qemu-q35-6.1"
  }()

  static let nic = "0000:03:00.0"  // e1000e: PM, MSI, Express v1, MSI-X, AER, DSN
  static let port = "0000:00:06.0"  // its root port
  static let edu = "0000:00:01.0"  // conventional PCI, MSI only

  var lua: LuaHarness!
  var root = ""
  let fm = FileManager.default

  override func setUpWithError() throws {
    lua = LuaHarness()
    root = NSTemporaryDirectory() + "barlua-lua-config-\(getpid())-\(UUID().uuidString)"
    for addr in [Self.nic, Self.port, Self.edu] {
      try fm.createDirectory(atPath: "\(root)/\(addr)", withIntermediateDirectories: true)
      try fm.copyItem(atPath: "\(Self.fixtures)/\(addr).config", toPath: "\(root)/\(addr)/config")
    }
    // The kernel's counter files, as 6.1 writes them, with a few errors counted.
    let counters = [
      "aer_dev_correctable":
        "RxErr 0\nBadTLP 2\nBadDLLP 0\nRollover 0\nTimeout 0\nNonFatalErr 0\nCorrIntErr 1\nHeaderOF 0\nTOTAL_ERR_COR 3\n",
      "aer_dev_nonfatal": "Undefined 0\nDLP 0\nSDES 0\nTLP 0\nFCP 0\nCmpltTO 4\nTOTAL_ERR_NONFATAL 4\n",
      "aer_dev_fatal": "Undefined 0\nDLP 0\nSDES 1\nTOTAL_ERR_FATAL 1\n",
    ]
    for (name, text) in counters {
      try text.write(toFile: "\(root)/\(Self.nic)/\(name)", atomically: false, encoding: .utf8)
    }
    setenv("BARLUA_SYSFS_PCI", root, 1)
  }

  override func tearDown() {
    unsetenv("BARLUA_SYSFS_PCI")
    try? fm.removeItem(atPath: root)
  }

  func bytes(_ addr: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(addr)/config")))
  }

  func testConfigObject() throws {
    XCTAssertEqual(
      try lua.eval(
        """
        local c <close> = pci.config("03:00.0")
        return table.concat({tostring(c), c.size, c.method, tostring(c.writable), c.addr,
          string.format("%04x %08x %02x", c:read16(0), c:read32(0), c:read8(0x0e))}, "|")
        """),
      "config 0000:03:00.0 sysfs 4096 bytes|4096|sysfs|false|0000:03:00.0|8086 10d38086 00")
    XCTAssertEqual(
      try lua.eval(
        """
        local c <close> = pci.config("0000:03:00.0")
        local t = {}
        for _, cap in ipairs(c:capabilities()) do
          t[#t + 1] = string.format("%s@%x/%s/%s", cap.name, cap.offset, tostring(cap.version), tostring(cap.extended))
        end
        return table.concat(t, " ")
        """),
      "pm@c8/2/false msi@d0/nil/false express@e0/1/false msix@a0/nil/false aer@100/2/true dsn@140/1/true")
    XCTAssertEqual(
      try lua.eval(
        """
        local c <close> = pci.config("0000:03:00.0")
        return table.concat({c:find("aer"), c:find(1, true), c:find("msi"), c:find(0x10),
          tostring(c:find(0x99)), tostring(c:find("acs")), tostring(c:find(3)), c:find("dsn", true)}, " ")
        """),
      "256 256 208 224 nil nil nil 320")
  }

  func testConfigErrors() {
    let nic = Self.nic
    lua.assertErrors([
      (
        "local c = pci.config('\(nic)') c:write16(4, 0)",
        "config:write16: config space of \(nic) was opened for reading only: open it with"
          + " pci.config(\"\(nic)\", {write=true}) (as root) to write"
      ),
      ("local c = pci.config('\(nic)') c:read32(2)", "config:read32: offset 0x2 is not 4-byte aligned"),
      (
        "local c = pci.config('\(nic)') c:read8(4096)",
        "config:read8: offset 0x1000 + 1 exceeds the config space size 0x1000 of \(root)/\(nic)/config"
      ),
      ("local c = pci.config('\(nic)') c:read8(-1)", "config:read8: offset -1 is negative"),
      (
        "local c = pci.config('\(nic)', {write=true}) c:write8(0, 256)",
        "config:write8: value 256 does not fit in 8 bits (0..0xff)"
      ),
      (
        "local c = pci.config('\(nic)') c:close() c:read8(0)",
        "config:read8: config space \(root)/\(nic)/config is closed"
      ),
      ("pci.config('\(nic)', {writable=true})", "pci.config: unknown option 'writable' (expected write)"),
      ("pci.config('0000:09:00.0')", "pci.config: no PCI device 0000:09:00.0 in \(root) (lspci -D lists them)"),
      ("pci.config(5)", "pci.config: address must be a string, got number"),
      (
        "local c = pci.config('\(nic)') c:find('aer', false)",
        "config:find: 'aer' is an extended capability, but extended is false"
      ),
      (
        "local c = pci.config('\(nic)') c:find(0x100)",
        "config:find: capability id 256 is out of range (0..0xff for standard capabilities)"
      ),
      (
        "local c = pci.config('\(nic)') c.read8(5, 0)",
        "config:read8: expected a config as self (call it as config:read8(...)), got number"
      ),
    ])
    XCTAssertTrue(
      lua.error("local c = pci.config('\(nic)') c:find('aerr')").hasPrefix(
        "test:1: config:find: unknown capability name 'aerr' (known: acs, aer, af, agp, agp8x,"))
  }

  func testWritesGoToTheFileAndPcieBind() throws {
    XCTAssertEqual(
      try lua.eval(
        """
        local pcie = require "barlua.pcie"
        local c <close> = pci.config("0000:03:00.0", {write = true})
        local cfg = pcie.bind(c)
        local before = cfg.header.command.value
        cfg.header.command.bus_master_enable = 1
        local after = c:read16(4)
        local names = {}
        for k in pairs(cfg) do names[#names + 1] = k end
        table.sort(names)
        return table.concat({cfg.express.link_status.current_link_speed,
          cfg.express.link_status.negotiated_link_width, cfg.header.vendor_id,
          string.format("%x%08x", cfg.dsn.serial_number_upper, cfg.dsn.serial_number_lower),
          cfg.aer.uncorrectable_error_severity.surprise_down_error,
          cfg.msi.message_control.address_64_bit_capable, before, after,
          table.concat(names, ",")}, " ")
        """),
      "1 1 32902 525400ffff123456 1 1 259 263 aer,dsn,express,header,msi,msix,pm")
    XCTAssertEqual(try bytes(Self.nic)[4], 7, "Bus Master Enable written to the file, I/O and Memory kept")
    XCTAssertTrue(
      lua.error(
        "local cfg = require('barlua.pcie').bind(pci.config('\(Self.nic)')) cfg.express.link_status.link_training = 1"
      ).contains("express.link_status (0x12) is read-only"))
    XCTAssertEqual(
      lua.error("require('barlua.pcie').bind({})"),
      "test:1: pcie.bind: argument must be a config object (pci.config(addr) or device:config()), got table")
    XCTAssertEqual(
      try lua.eval("return tostring(require('barlua.pcie').bind(pci.config('\(Self.port)')).header)"),
      "type1 registers on config 0000:00:06.0 sysfs 4096 bytes header at 0x0")
  }

  func testLinkAERAndSerial() throws {
    XCTAssertEqual(
      try lua.eval(
        """
        local l = pci.link("0000:03:00.0")
        local p = pci.link("0000:00:06.0")
        return table.concat({l.speed, l.width, l.max_speed, l.max_width, tostring(l.training),
          tostring(l.dll_active), tostring(l.degraded), p.speed, p.max_speed, p.max_width,
          tostring(p.degraded), tostring(pci.link("0000:00:01.0"))}, " ")
        """),
      "2.5 1 2.5 1 false false false 2.5 16 32 false nil")
    XCTAssertEqual(
      try lua.eval(
        """
        local a = pci.aer("0000:03:00.0")
        return table.concat({a.correctable.BadTLP, a.correctable.CorrIntErr, a.correctable.TOTAL_ERR_COR,
          a.nonfatal.CmpltTO, a.fatal.SDES, a.status.correctable, a.status.uncorrectable,
          #a.status.correctable_errors, string.format("%x %x %x", a.mask.uncorrectable, a.mask.correctable, a.severity),
          tostring(a.problems), tostring(pci.aer("0000:00:01.0"))}, " ")
        """),
      "2 1 3 4 1 0 0 0 0 e000 462030 nil nil")
    XCTAssertEqual(try lua.eval("return pci.serial('03:00.0')"), "525400ffff123456")
    XCTAssertEqual(try lua.eval("return tostring(pci.serial('00:01.0'))"), "nil")
  }

  func testAERMaskRoundTrip() throws {
    let original = try bytes(Self.nic)
    XCTAssertEqual(
      try lua.eval(
        """
        local old, set = pci.aer_mask("0000:03:00.0", {uncorrectable = 0x4020})
        local now = pci.aer("0000:03:00.0").mask
        assert(set.uncorrectable == 0x4020 and set.correctable == old.correctable, "the masks as read back")
        local back = pci.aer_mask("0000:03:00.0", old)
        return string.format("%x %x %x %x %x", old.uncorrectable, old.correctable, now.uncorrectable,
          back.uncorrectable, pci.aer("0000:03:00.0").mask.uncorrectable)
        """),
      "0 e000 4020 4020 0")
    XCTAssertEqual(try bytes(Self.nic), original, "restored")
    lua.assertErrors([
      (
        "pci.aer_mask('\(Self.nic)')",
        "pci.aer_mask: argument 2 must be a table {uncorrectable=, correctable=} (the masks to set;"
          + " pci.aer(addr).mask reads them)"
      ),
      (
        "pci.aer_mask('\(Self.nic)', {uncorrectable = -1})",
        "pci.aer_mask: option uncorrectable -1 does not fit in 32 bits (0..0xffffffff)"
      ),
      (
        "pci.aer_mask('\(Self.edu)', {correctable = 0})",
        "pci.aer_mask: \(root)/\(Self.edu)/config has no AER (Advanced Error Reporting) capability"
      ),
    ])
  }

  func testLinkControl() throws {
    let original = try bytes(Self.port)
    XCTAssertEqual(
      try lua.eval(
        """
        local was = pci.link_disable("0000:00:06.0", true)
        local now = pci.link("0000:00:06.0").disabled
        local back = pci.link_disable("0000:00:06.0", false)
        local l = pci.retrain("0000:00:06.0", {speed = 5, timeout = 0.5})
        return table.concat({tostring(was), tostring(now), tostring(back), l.speed}, " ")
        """),
      "false true true 2.5")
    // The root port's PCI Express capability is at 0x54: Link Control 2 at 0x84.
    let got = try bytes(Self.port)
    XCTAssertEqual(got[0x54 + 0x30] & 0xF, 2, "Target Link Speed 5 GT/s")
    XCTAssertEqual(got[0x54 + 0x30] & 0xF0, original[0x54 + 0x30] & 0xF0, "the other bits kept")
    XCTAssertEqual(got[0x54 + 0x10] & 0x10, 0, "Link Disable cleared again")
    lua.assertErrors([
      (
        "pci.retrain('\(Self.nic)')",
        "pci.retrain: \(root)/\(Self.nic)/config is a PCI Express endpoint, not a root port or switch"
          + " downstream port: link control is done by the port above the link"
      ),
      (
        "pci.retrain('\(Self.port)', {speed = 3})",
        "pci.retrain: option speed 3.0 is not a PCI Express speed (2.5, 5, 8, 16, 32 or 64 GT/s)"
      ),
      (
        "pci.retrain('\(Self.port)', {timeout = 0})",
        "pci.retrain: option timeout 0.0 is out of range (0 < timeout <= 60 seconds)"
      ),
      ("pci.retrain('\(Self.port)', {speed = '5'})", "pci.retrain: option speed must be a number, got string"),
      ("pci.link_disable('\(Self.port)')", "pci.link_disable: disable must be a boolean, got no value"),
      (
        "pci.link_disable('\(Self.edu)', true)",
        "pci.link_disable: \(root)/\(Self.edu)/config has no PCI Express capability (a conventional PCI device: no link)"
      ),
    ])
  }
}
