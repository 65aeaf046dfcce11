import Foundation
import TestSupport
import XCTest

/// barlua.boards: which files are read and which wins, BARLUA_BOARDS, the Device Serial
/// Number match, t.device's skip and errors, malformed and unsafe files.
///
/// The PCI tree is the q35 type1 guest capture (Tests/BarluaCoreTests/Fixtures/pci/
/// qemu-q35-type1, see its README) copied to a temporary folder. Its two edu devices
/// (00:01.0, 02:01.0) get a 4096-byte config: the captured 64 bytes, zeros, and a Device Serial
/// Number extended capability at 0x100 laid out as the PCIe Base Specification 7.9.3 defines
/// it (header: id 0x0003, version 1, next 0; then the serial's low and high dwords). QEMU's edu
/// has no DSN, and no captured tree here has one: that capability is constructed, the rest real.
final class BoardsTests: XCTestCase {
  static let capture = Barlua.repository + "/Tests/BarluaCoreTests/Fixtures/pci/qemu-q35-type1"
  static let serialA = "0123456789abcdef"
  static let serialB = "fedcba9876543210"

  /// A copy of the capture with DSNs on the edus; returns its devices folder.
  private func tree() throws -> String {
    let dir = Barlua.tempDir()
    let cp = try ChildProcess.run("/bin/cp", ["-a", Self.capture, dir + "/tree"])
    XCTAssertEqual(cp.status, 0, cp.err)
    let devices = dir + "/tree/bus/pci/devices"
    for (addr, serial) in [("0000:00:01.0", Self.serialA), ("0000:02:01.0", Self.serialB)] {
      let path = "\(devices)/\(addr)/config"
      var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
      bytes += [UInt8](repeating: 0, count: 4096 - bytes.count)
      let value = UInt64(serial, radix: 16)!
      let words: [UInt32] = [0x0001_0003, UInt32(value & 0xffff_ffff), UInt32(value >> 32)]
      for (i, w) in words.enumerated() {
        for b in 0..<4 { bytes[0x100 + i * 4 + b] = UInt8((w >> (8 * UInt32(b))) & 0xff) }
      }
      try FileManager.default.removeItem(atPath: path)
      try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
    return devices
  }

  /// Writes a boards file with mode 0644 (what the loader accepts).
  private func boards(_ text: String, in dir: String, name: String = "boards.lua") -> String {
    let path = dir + "/" + name
    Barlua.write(text, to: path)
    chmod(path, 0o644)
    return path
  }

  private func run(_ code: String, env: [String: String]) throws -> ChildProcess {
    try Barlua.run(["-e", code], env: env)
  }

  func testFilesInOrderAndBarluaBoardsReplacesThem() throws {
    let code = "print(table.concat(require('barlua.boards').files(), ' '))"
    XCTAssertEqual(
      try run(code, env: ["XDG_CONFIG_HOME": "/x/cfg", "HOME": "/h"]).out,
      "/etc/barlua/boards.lua /x/cfg/barlua/boards.lua\n")
    XCTAssertEqual(try run(code, env: ["HOME": "/h"]).out, "/etc/barlua/boards.lua /h/.config/barlua/boards.lua\n")
    // A relative XDG_CONFIG_HOME is invalid (XDG Base Directory spec): ignored.
    XCTAssertEqual(
      try run(code, env: ["XDG_CONFIG_HOME": "rel", "HOME": "/h"]).out,
      "/etc/barlua/boards.lua /h/.config/barlua/boards.lua\n")
    XCTAssertEqual(try run(code, env: ["BARLUA_BOARDS": "/p/b.lua", "HOME": "/h"]).out, "/p/b.lua\n")
  }

  func testLaterFileWinsPerName() throws {
    let dir = Barlua.tempDir()
    let sys = boards("return { dut = {vendor = 0x1234}, lab = {addr = '0000:00:02.0'} }", in: dir, name: "sys.lua")
    let user = boards("return { dut = {vendor = 0x1af4, device = 0x1110} }", in: dir, name: "user.lua")
    let r = try run(
      """
      local b = require 'barlua.boards'
      local l = b._load({'\(sys)', '/nonexistent/boards.lua', '\(user)'})
      print(b.describe(l.names.dut), l.sources.dut == '\(user)', b.describe(l.names.lab))
      """, env: [:])
    XCTAssertEqual(r.out, "{device=0x1110, vendor=0x1af4}\ttrue\t{addr=\"0000:00:02.0\"}\n", r.err)
    // End to end through XDG_CONFIG_HOME (and /etc/barlua, absent on the build machines).
    let cfg = Barlua.tempDir()
    try FileManager.default.createDirectory(atPath: cfg + "/barlua", withIntermediateDirectories: true)
    _ = boards("return { dut = {vendor = 0x1af4}, b2 = {class = 0x0200} }", in: cfg + "/barlua")
    let e = try run(
      "local b = require 'barlua.boards'; print(table.concat(b.list(), ','), b.find('dut').vendor, b.find('zz'))",
      env: ["XDG_CONFIG_HOME": cfg])
    XCTAssertEqual(e.out, "b2,dut\t6900\tnil\n", e.err)
    // BARLUA_BOARDS replaces the XDG file.
    let only = boards("return { other = {vendor = 1} }", in: dir, name: "only.lua")
    let o = try run(
      "local b = require 'barlua.boards'; print(table.concat(b.list(), ','))",
      env: ["XDG_CONFIG_HOME": cfg, "BARLUA_BOARDS": only])
    XCTAssertEqual(o.out, "other\n", o.err)
    let missing = try run("require('barlua.boards').list()", env: ["BARLUA_BOARDS": dir + "/nope.lua"])
    XCTAssertTrue(missing.err.contains("BARLUA_BOARDS names \(dir)/nope.lua: No such file or directory"), missing.err)
  }

  func testSerialSelectsTheBoardAmongIdenticalDevices() throws {
    let devices = try tree()
    let dir = Barlua.tempDir()
    let file = boards(
      """
      return {
        dut = { vendor = 0x1234, device = 0x11e8, serial = "\(Self.serialA)" },
        spare = { vendor = 0x1234, device = 0x11e8, serial = "fe-dc-ba-98-76-54-32-10" },
        either = { vendor = 0x1234, device = 0x11e8 },
        gone = { vendor = 0x1234, serial = "0000000000000001" },
      }
      """, in: dir)
    let env = ["BARLUA_BOARDS": file, "BARLUA_SYSFS_PCI": devices]
    let r = try run(
      """
      local function addrs(l) local a = {} for i, d in ipairs(l) do a[i] = d.addr end return table.concat(a, ' ') end
      print(addrs(pci.devices{board = 'dut'}))
      print(addrs(pci.devices{board = 'spare'}))
      print(addrs(pci.devices{board = 'either'}))
      print(addrs(pci.devices{serial = '\(Self.serialB.uppercased())'}))
      print(#pci.devices{board = 'gone'})
      print(require('barlua.boards').read_serial('0000:00:01.0'))
      print(require('barlua.boards').read_serial('0000:00:02.0'))
      """, env: env)
    XCTAssertEqual(
      r.out,
      """
      0000:00:01.0
      0000:02:01.0
      0000:00:01.0 0000:02:01.0
      0000:02:01.0
      0
      \(Self.serialA)
      nil\t0000:00:02.0: only 64 bytes of config space readable (the extended configuration space needs root)

      """, r.err)
    // t.device: the one device; several: an error listing them; absent: the script is skipped.
    let one = try run("local t = require 'barlua.test'; print(t.device('dut').addr); t.ok(true)", env: env)
    XCTAssertEqual(one.out, "TAP version 13\n0000:00:01.0\nok 1\n1..1\n", one.err)
    let many = try run("local t = require 'barlua.test'; t.device('either')", env: env)
    XCTAssertTrue(
      many.err.contains(
        "test.device: board \"either\" matches 2 devices: 0000:00:01.0, 0000:02:01.0; add addr= or serial= to the board"
      ),
      many.err)
    XCTAssertNotEqual(many.status, 0)
    let manyFilter = try run("local t = require 'barlua.test'; t.device{vendor = 0x1234}", env: env)
    XCTAssertTrue(manyFilter.err.contains("test.device: {vendor=0x1234} matches 2 devices"), manyFilter.err)
    for name in ["gone", "nosuch"] {  // a board whose device is absent; a board in no file
      let s = try run("local t = require 'barlua.test'; t.device('\(name)'); t.ok(false, 'never')", env: env)
      XCTAssertEqual(s.out, "TAP version 13\n1..0 # SKIP no board \"\(name)\" on this machine\n", s.err)
      XCTAssertEqual(s.status, 0)
    }
    let late = try run("local t = require 'barlua.test'; t.ok(true); t.device('gone')", env: env)
    XCTAssertTrue(
      late.err.contains("test.device: no board \"gone\" on this machine (call t.device before the first test"), late.err
    )
    // vfio.open{board=}: the board's one device, or an error naming the board and the matches.
    let v0 = try run("vfio.open{board = 'gone'}", env: env)
    XCTAssertTrue(
      v0.err.contains(#"vfio.open: no device matches board "gone" {serial="0000000000000001", vendor=0x1234}"#), v0.err)
    let v2 = try run("vfio.open{board = 'either'}", env: env)
    XCTAssertTrue(
      v2.err.contains(
        "vfio.open: board \"either\" {device=0x11e8, vendor=0x1234} matches 2 devices: 0000:00:01.0, 0000:02:01.0"),
      v2.err)
    let vu = try run("vfio.open{board = 'unknown'}", env: env)
    XCTAssertTrue(vu.err.contains("vfio.open: no board \"unknown\" in \(file)"), vu.err)
    XCTAssertTrue(vu.err.hasPrefix("barlua: (command line):1: "), "the error points at the caller: \(vu.err)")
  }

  func testMalformedFilesNameFileAndLine() throws {
    let dir = Barlua.tempDir()
    let cases: [(String, String)] = [
      ("return {\n  dut = { vendor = 0x1234 \n", "boards.lua:3: '}' expected (to close '{' at line 2) near <eof>"),
      (
        "local x = 1\nreturn { dut = io.open('/etc/passwd') }\n",
        "boards.lua:2: attempt to index a nil value (global 'io')"
      ),
      (
        "return {\n  a = {vendor = 1},\n  dut = { vendr = 0x1234 },\n}\n",
        "boards.lua:3: board \"dut\": unknown key vendr"
      ),
      (
        "return {\n  dut = { serial = '12345' },\n}\n",
        "boards.lua:2: board \"dut\": serial \"12345\" is not a Device Serial Number"
      ),
      (
        "return {\n  dut = { vendor = '0x1234' },\n}\n",
        "boards.lua:2: board \"dut\": vendor must be an integer, got string"
      ),
      ("return 5\n", "the file must return a table {NAME = filter, ...}, got number"),
      ("while true do end\n", "boards.lua: ran more than 10000000 instructions (a loop?)"),
      ("return { ['a b'] = {} }\n", "board name \"a b\" must be a string of letters"),
      ("os.execute('true')\n", "boards.lua:1: attempt to index a nil value (global 'os')"),
    ]
    for (text, want) in cases {
      let file = boards(text, in: dir)
      let r = try run("print(require('barlua.boards').find('dut'))", env: ["BARLUA_BOARDS": file])
      XCTAssertTrue(r.err.contains(want), "\(text): \(r.err)")
      XCTAssertTrue(r.err.contains(dir), "names the file: \(r.err)")
      XCTAssertNotEqual(r.status, 0)
    }
  }

  func testFileOthersCanWriteIsRefused() throws {
    let dir = Barlua.tempDir()
    let file = boards("return { dut = {vendor = 1} }", in: dir)
    chmod(file, 0o664)
    let r = try run("require('barlua.boards').list()", env: ["BARLUA_BOARDS": file])
    XCTAssertTrue(
      r.err.contains(
        "barlua.boards: refusing to load \(file) is writable by its group (mode 0664): chmod go-w \(file)"),
      r.err)
    chmod(file, 0o646)
    let o = try run("require('barlua.boards').list()", env: ["BARLUA_BOARDS": file])
    XCTAssertTrue(o.err.contains("is writable by others (mode 0646)"), o.err)
    chmod(file, 0o644)
    XCTAssertEqual(try run("print(#require('barlua.boards').list())", env: ["BARLUA_BOARDS": file]).out, "1\n")
    let d = try run("require('barlua.boards').list()", env: ["BARLUA_BOARDS": dir])
    XCTAssertTrue(d.err.contains("\(dir) is a directory, not a regular file"), d.err)
  }
}
