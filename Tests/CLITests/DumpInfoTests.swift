import Foundation
import TestSupport
import XCTest

/// `barlua scripts/dump_info.lua`: the seed's listing, checked against lspci on this machine and
/// against the seed note's own lines on the captured FPGA tree.
final class DumpInfoTests: XCTestCase {
  static let repo = Barlua.repository
  static let script = repo + "/scripts/dump_info.lua"
  static let seedTree = repo + "/Tests/BarluaCoreTests/Fixtures/pci/xilinx-7024"
  static let seedDevices = seedTree + "/bus/pci/devices"

  /// The listing in the seed note (bar_memory_mapping_notes.txt of the shared notes), verbatim.
  static let seedListing = """
    Access method : linux-sysfs
    domain=0000 bus=15 dev=00 func=00
      vendor_id=10ee (Xilinx Corporation) device_id=7024 (Device 7024) subvendor_id=0002 subdevice_id=0001
      control: I/O- Mem+ BusMaster-
      IOMMU group: 41
      bar[0] base_addr=387fffe00000 size=100000 is_IO=0 is_prefetchable=1 is_64=1
      bar[2] base_addr=387ffff00000 size=20000 is_IO=0 is_prefetchable=1 is_64=1
      bar[4] base_addr=387ffff20000 size=10000 is_IO=0 is_prefetchable=1 is_64=1
    """

  private func dumpInfo(_ args: [String], sysfs: String? = nil) throws -> Barlua.Result {
    try Barlua.run([DumpInfoTests.script] + args, env: sysfs.map { ["BARLUA_SYSFS_PCI": $0] } ?? [:])
  }

  /// One device of `lspci -D -nn`: `0000:00:03.0 Ethernet controller [0200]: Red Hat, Inc.
  /// Virtio 1.0 network device [1af4:1041] (rev 01)`.
  struct LspciDevice {
    var addr: String
    var classCode: String
    var names: String
    var vendor: String
    var device: String
    var revision: String
  }

  private func lspci(_ args: [String] = []) throws -> [LspciDevice] {
    let r = try ChildProcess.run("/usr/bin/lspci", ["-D", "-nn"] + args)
    XCTAssertEqual(r.status, 0, "lspci \(args): \(r.err)")
    let pattern = try NSRegularExpression(
      pattern: #"^(\S+) .* \[([0-9a-f]{4})\]: (.*) \[([0-9a-f]{4}):([0-9a-f]{4})\](?: \(rev ([0-9a-f]{2})\))?"#)
    return r.out.split(separator: "\n").map(String.init).compactMap { line in
      let range = NSRange(line.startIndex..., in: line)
      guard let m = pattern.firstMatch(in: line, range: range) else {
        XCTFail("lspci line not understood: \(line)")
        return nil
      }
      let group = { (i: Int) -> String in
        Range(m.range(at: i), in: line).map { String(line[$0]) } ?? "00"
      }
      return LspciDevice(
        addr: group(1), classCode: group(2), names: group(3), vendor: group(4), device: group(5),
        revision: group(6))
    }
  }

  /// The listing split into devices: address -> the device's lines.
  private func devices(_ listing: String) -> [(addr: String, lines: [String])] {
    var result: [(addr: String, lines: [String])] = []
    let header = try! NSRegularExpression(
      pattern: "^domain=([0-9a-f]{4}) bus=([0-9a-f]{2}) dev=([0-9a-f]{2}) func=([0-9a-f]{2})$")
    for line in listing.split(separator: "\n").map(String.init) {
      if let m = header.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) {
        let f = (1...4).map { String(line[Range(m.range(at: $0), in: line)!]) }
        result.append(("\(f[0]):\(f[1]):\(f[2]).\(f[3].dropFirst())", []))
      } else if !result.isEmpty {
        result[result.count - 1].lines.append(line)
      }
    }
    return result
  }

  private func field(_ lines: [String], _ pattern: String) -> String? {
    let re = try! NSRegularExpression(pattern: pattern)
    for line in lines {
      if let m = re.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)),
        let r = Range(m.range(at: 1), in: line)
      {
        return String(line[r])
      }
    }
    return nil
  }

  /// Every device lspci lists, in the same order, with the same ids, names, class and revision.
  func testListsThisMachinesDevicesAsLspciDoes() throws {
    let r = try dumpInfo([])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertEqual(r.err, "")
    XCTAssertTrue(r.out.hasPrefix("Access method : linux-sysfs\n"), r.out)
    let listed = devices(r.out)
    let want = try lspci()
    XCTAssertFalse(want.isEmpty, "lspci lists no device")
    XCTAssertEqual(listed.map(\.addr), want.map(\.addr))
    for (got, l) in zip(listed, want) {
      let ids = #"vendor_id=([0-9a-f]{4}) \((.*)\) device_id=([0-9a-f]{4}) \((.*)\) subvendor_id"#
      XCTAssertEqual(field(got.lines, ids), l.vendor, got.addr)
      let deviceId = field(got.lines, #"device_id=([0-9a-f]{4}) "#)
      XCTAssertEqual(deviceId, l.device, got.addr)
      // lspci prints "Vendor Device" names; where pci.ids lacks the device, "Vendor Device"
      // (the word) — dump_info prints "Device 0d57" as lspci without -nn does.
      let vendorName = field(got.lines, #"vendor_id=[0-9a-f]{4} \((.*)\) device_id"#) ?? "?"
      let deviceName = field(got.lines, #"device_id=[0-9a-f]{4} \((.*)\) subvendor_id"#) ?? "?"
      // Without a vendor name lspci -nn prints only "Device"; dump_info says "Vendor 1234".
      let lspciDeviceName = deviceName == "Device \(l.device)" ? "Device" : deviceName
      let lspciNames =
        vendorName == "Vendor \(l.vendor)" ? lspciDeviceName : "\(vendorName) \(lspciDeviceName)"
      XCTAssertEqual(lspciNames, l.names, got.addr)
      XCTAssertEqual(field(got.lines, #"^  class=([0-9a-f]{4})[0-9a-f]{2} "#), l.classCode, got.addr)
      XCTAssertEqual(field(got.lines, #"^  class=[0-9a-f]{6} revision=([0-9a-f]{2})$"#), l.revision, got.addr)
      let driver = try? FileManager.default.destinationOfSymbolicLink(
        atPath: "/sys/bus/pci/devices/\(got.addr)/driver")
      XCTAssertEqual(
        field(got.lines, "^  driver: (.*)$"), driver.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "none",
        got.addr)
      XCTAssertNotNil(field(got.lines, #"^  control: (I/O[+-] Mem[+-] BusMaster[+-])$"#), got.addr)
    }
  }

  /// The seed note's lines, verbatim, from the captured FPGA tree; the lines dump_info adds
  /// (class, driver, NUMA node, link) are the only difference.
  func testSeedDeviceListingEqualsTheSeedNote() throws {
    let r = try dumpInfo([], sysfs: DumpInfoTests.seedDevices)
    XCTAssertEqual(r.status, 0, r.err)
    let added = ["  class=", "  driver: ", "  NUMA node: ", "  link: "]
    let lines = r.out.split(separator: "\n").map(String.init)
    let seedPart = lines.filter { line in !added.contains { line.hasPrefix($0) } }
    XCTAssertEqual(seedPart.joined(separator: "\n"), DumpInfoTests.seedListing)
    XCTAssertEqual(
      lines.filter { line in added.contains { line.hasPrefix($0) } },
      [
        "  class=058000 revision=00", "  driver: vfio-pci", "  NUMA node: -1",
        "  link: 5.0 GT/s PCIe x4 (max 5.0 GT/s PCIe x4)",
      ])
    // Every filter form selects it.
    for filter in ["0000:15:00.0", "15:00.0", "10ee:7024", "10ee", "0x10ee:0x7024"] {
      let f = try dumpInfo([filter], sysfs: DumpInfoTests.seedDevices)
      XCTAssertEqual(f.out, r.out, filter)
      XCTAssertEqual(f.status, 0, filter)
    }
  }

  /// A link that trained below its maximum gets a warning (a copy of the FPGA tree, its link
  /// degraded to 2.5 GT/s x1).
  func testWarnsWhenTheLinkTrainedBelowItsMaximum() throws {
    let tree = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: tree) }
    XCTAssertEqual(try ChildProcess.run("/bin/cp", ["-a", DumpInfoTests.seedTree + "/.", tree]).status, 0)
    let dev = tree + "/bus/pci/devices/0000:15:00.0"
    try "2.5 GT/s PCIe\n".write(toFile: dev + "/current_link_speed", atomically: false, encoding: .utf8)
    try "1\n".write(toFile: dev + "/current_link_width", atomically: false, encoding: .utf8)
    let r = try dumpInfo([], sysfs: tree + "/bus/pci/devices")
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(
      r.out.contains(
        "  link: 2.5 GT/s PCIe x1 (max 5.0 GT/s PCIe x4)\n"
          + "  WARNING: the link trained below its maximum: 2.5 GT/s PCIe x1, capable of 5.0 GT/s PCIe x4\n"),
      r.out)
    // Width alone is enough.
    try "5.0 GT/s PCIe\n".write(toFile: dev + "/current_link_speed", atomically: false, encoding: .utf8)
    let w = try dumpInfo([], sysfs: tree + "/bus/pci/devices")
    XCTAssertTrue(w.out.contains("WARNING: the link trained below its maximum: 5.0 GT/s PCIe x1"), w.out)
    let full = try dumpInfo([], sysfs: DumpInfoTests.seedDevices)
    XCTAssertFalse(full.out.contains("WARNING"), full.out)
  }

  /// A device whose `resource` says BAR0 spans 2^64 bytes (it used to trap): the listing
  /// prints that device's problem where it stands and goes on with the others; exit status 1.
  func testUnreadableDeviceIsReportedAndTheListingGoesOn() throws {
    let tree = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: tree) }
    XCTAssertEqual(
      try ChildProcess.run(
        "/bin/cp", ["-a", DumpInfoTests.repo + "/Tests/BarluaCoreTests/Fixtures/pci/vm-virtio/.", tree]
      ).status, 0)
    let devices = tree + "/bus/pci/devices"
    try "0x0 0xffffffffffffffff 0x200\n".write(
      toFile: devices + "/0000:00:03.0/resource", atomically: false, encoding: .utf8)
    let r = try dumpInfo([], sysfs: devices)
    XCTAssertEqual(r.status, 1, r.err)
    XCTAssertEqual(r.err, "dump_info: 1 device could not be read (see ERROR above)\n")
    XCTAssertTrue(
      r.out.contains(
        "domain=0000 bus=00 dev=03 func=00\n  ERROR: cannot read this device: unexpected contents in"
          + " \(devices)/0000:00:03.0/resource: '0x0 0xffffffffffffffff 0x200' (expected a range of"
          + " at most 2^64-1 bytes)\ndomain=0000 bus=00 dev=04 func=00\n"), r.out)
    XCTAssertEqual(r.out.components(separatedBy: "domain=").count - 1, 6, r.out)
    XCTAssertEqual(r.out.components(separatedBy: "  bar[").count - 1, 4, r.out)
    let one = try dumpInfo(["00:04.0"], sysfs: devices)
    XCTAssertEqual(one.status, 0, one.err)
  }

  /// Each filter form on this machine selects what lspci -s / -d selects.
  func testFiltersSelectWhatLspciSelects() throws {
    let all = try lspci()
    let first = try XCTUnwrap(all.last)
    let short = String(first.addr.dropFirst(5))
    let cases: [(String, [String])] = [
      (first.addr, ["-s", first.addr]), (short, ["-s", short]),
      ("\(first.vendor):\(first.device)", ["-d", "\(first.vendor):\(first.device)"]),
      (first.vendor, ["-d", "\(first.vendor):"]),
      ("0x\(first.vendor)", ["-d", "\(first.vendor):"]),
    ]
    for (filter, lspciArgs) in cases {
      let r = try dumpInfo([filter])
      XCTAssertEqual(r.status, 0, "\(filter): \(r.err)")
      XCTAssertEqual(devices(r.out).map(\.addr), try lspci(lspciArgs).map(\.addr), filter)
    }
    // Several filters: the devices matching any, each once, by address.
    let two = try dumpInfo([first.addr, all[0].addr, first.addr])
    XCTAssertEqual(devices(two.out).map(\.addr), Set([all[0].addr, first.addr]).sorted())
  }

  func testMalformedFiltersAreClearErrors() throws {
    let forms = "expected dom:bus:dev.func, bus:dev.func, vendor:device or vendor (hex)"
    for bad in ["zz", "10ee:7024:1", "12345", "", ":", "10ee:", "g0:00.0"] {
      let r = try dumpInfo([bad])
      XCTAssertEqual(r.status, 1, bad)
      XCTAssertEqual(r.out, "", bad)
      XCTAssertTrue(r.err.hasPrefix("dump_info: bad filter '\(bad)': \(forms)"), r.err)
    }
    let slot = try dumpInfo(["00:20.0"])
    XCTAssertEqual(slot.status, 1)
    XCTAssertEqual(
      slot.err,
      "dump_info: bad filter '00:20.0': \(forms); bad PCI address '00:20.0': expected DDDD:BB:SS.F or BB:SS.F (hex);"
        + " slot 0x20 is above 0x1f\n")
    let none = try dumpInfo(["dead:beef"])
    XCTAssertEqual(none.status, 1)
    XCTAssertEqual(none.err, "dump_info: no PCI device matches dead:beef (run without a filter to list all)\n")
    let option = try dumpInfo(["--bogus"])
    XCTAssertEqual(option.status, 1)
    XCTAssertTrue(option.err.contains("Error: unknown option '--bogus'"), option.err)
    XCTAssertTrue(option.err.hasPrefix("Usage: dump_info [-h] [--vfio] [<filter>] ..."), option.err)
  }

  /// --vfio on a device that cannot be opened prints the reason and the listing goes on. The
  /// FPGA tree's device is on vfio-pci, but this machine has no /dev/vfio/41.
  func testVFIOViewPrintsWhyADeviceCannotBeOpened() throws {
    let r = try dumpInfo(["--vfio"], sysfs: DumpInfoTests.seedDevices)
    XCTAssertEqual(r.status, 0, r.err)
    let lines = r.out.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, 13, r.out)
    let vfioLine = lines.last ?? ""
    if FileManager.default.fileExists(atPath: "/dev/vfio") {
      XCTAssertTrue(vfioLine.hasPrefix("  VFIO: cannot open: open /dev/vfio/41: "), vfioLine)
    } else {
      XCTAssertEqual(
        vfioLine,
        "  VFIO: cannot open: open /dev/vfio: No such file or directory (errno 2): vfio is not loaded: modprobe vfio-pci"
      )
    }
    // Devices not on vfio-pci (all of this machine's) get no VFIO view.
    let host = try dumpInfo(["--vfio"])
    XCTAssertEqual(host.status, 0, host.err)
    XCTAssertEqual(host.out, try dumpInfo([]).out)
  }
}
