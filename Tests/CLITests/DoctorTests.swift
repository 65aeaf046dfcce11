import Foundation
import TestSupport
import XCTest

/// barlua-doctor on the host: a machine without VFIO gets a clean report (no crash, every line
/// ok/warn/fail with its evidence, --json that lua-cjson reads), and the checks that read /sys
/// follow BARLUA_SYSFS_PCI's root. The device path (every check ok in both modes, each
/// condition broken and restored) is Tests/guest/62-doctor.sh.
final class DoctorTests: XCTestCase {
  static let script = Barlua.repository + "/scripts/doctor.lua"
  static let capture = Barlua.repository + "/Tests/BarluaCoreTests/Fixtures/pci/qemu-q35-type1"

  private func doctor(_ args: [String], env: [String: String] = [:]) throws -> ChildProcess {
    try Barlua.run([Self.script] + args, env: env, name: "barlua-doctor")
  }

  private static let line = try! NSRegularExpression(
    pattern: #"^(ok  |warn|fail) [a-z]+\.[a-z_]+ +\S.*$"#)

  private func assertReport(_ out: String, file: StaticString = #filePath, line: UInt = #line) {
    let lines = out.split(separator: "\n").map(String.init)
    XCTAssertGreaterThan(lines.count, 10, out, file: file, line: line)
    for l in lines.dropLast() {
      XCTAssertNotNil(
        Self.line.firstMatch(in: l, range: NSRange(l.startIndex..., in: l)), "malformed line: \(l)", file: file,
        line: line)
      if l.hasPrefix("fail") || l.hasPrefix("warn") {
        XCTAssertTrue(l.contains("; fix: "), "a fail or warn names its fix: \(l)", file: file, line: line)
      }
    }
    XCTAssertNotNil(
      lines.last?.range(of: #"^\d+ ok, \d+ warn, \d+ fail \(VFIO mode: "#, options: .regularExpression), out,
      file: file, line: line)
  }

  func testThisHostGetsACleanReportAndJSON() throws {
    let r = try doctor([])
    XCTAssertTrue(r.status == 0 || r.status == 1, "status \(r.status): \(r.err)")
    XCTAssertEqual(r.err, "")
    assertReport(r.out)
    XCTAssertEqual(r.status == 0, r.out.contains(", 0 fail ("), "exit status follows the fails")
    let j = try doctor(["--json"])
    XCTAssertEqual(j.status, r.status)
    let decoded = try ChildProcess.run(
      "/usr/bin/lua5.4",
      [
        "-e",
        """
        local t = require('cjson').decode(io.read('a'))
        local n = 0
        for _, c in ipairs(t.checks) do
          assert(({ok=1, warn=1, fail=1})[c.status], c.status)
          assert(type(c.check) == 'string' and type(c.evidence) == 'string')
          n = n + 1
        end
        io.write(n, ' ', t.summary.ok + t.summary.warn + t.summary.fail)
        """,
      ], stdin: j.out)
    XCTAssertEqual(decoded.status, 0, decoded.err)
    let count = r.out.split(separator: "\n").count - 1
    XCTAssertEqual(decoded.out, "\(count) \(count)")
  }

  /// The /sys checks read the tree BARLUA_SYSFS_PCI points into: the q35 type1 capture (see its
  /// README) plus what the same guest showed elsewhere in /sys (Tests/guest/62-doctor.sh prints
  /// it: class/iommu/dmar0, the vfio modules), with lockdown set to integrity and the no-IOMMU
  /// parameter off, as a locked-down machine without an IOMMU driver would show them.
  func testSysfsChecksFollowTheCapturedRoot() throws {
    let dir = Barlua.tempDir()
    XCTAssertEqual(try ChildProcess.run("/bin/cp", ["-a", Self.capture, dir + "/sys"]).status, 0)
    let sys = dir + "/sys"
    let fm = FileManager.default
    for d in ["module/vfio/parameters", "module/vfio_pci", "kernel/security"] {
      try fm.createDirectory(atPath: "\(sys)/\(d)", withIntermediateDirectories: true)
    }
    Barlua.write("none [integrity] confidentiality\n", to: sys + "/kernel/security/lockdown")
    Barlua.write("N\n", to: sys + "/module/vfio/parameters/enable_unsafe_noiommu_mode")
    let env = ["BARLUA_SYSFS_PCI": sys + "/bus/pci/devices"]
    let r = try doctor([], env: env)
    XCTAssertEqual(r.status, 1, r.out + r.err)
    assertReport(r.out)
    let want = [
      "fail mapping.lockdown   \(sys)/kernel/security/lockdown: none [integrity] confidentiality (lockdown=integrity refuses mmap of sysfs resource files",
      "fail vfio.iommu         \(sys)/class/iommu is empty; fix: enable VT-d/AMD-Vi",
      "fail vfio.modules       not loaded (no \(sys)/module/NAME): vfio_iommu_type1; fix: modprobe vfio-pci vfio_iommu_type1",
      "fail vfio.noiommu       \(sys)/module/vfio/parameters/enable_unsafe_noiommu_mode = N and there is no IOMMU: VFIO cannot open any device; fix: echo 1 > \(sys)/module/vfio/parameters/enable_unsafe_noiommu_mode",
      "fail vfio.group         0000:02:01.0: IOMMU group 5 is not viable (a member is on another driver); fix: bind every device of \(sys)/kernel/iommu_groups/5/devices to vfio-pci (or none)",
    ]
    for w in want { XCTAssertTrue(r.out.contains(w), "lacks \(w)\n\(r.out)") }
    // With an IOMMU and the parameter on: those pass.
    try fm.createDirectory(atPath: sys + "/class/iommu/dmar0", withIntermediateDirectories: true)
    try fm.createDirectory(atPath: sys + "/module/vfio_iommu_type1", withIntermediateDirectories: true)
    Barlua.write("[none] integrity confidentiality\n", to: sys + "/kernel/security/lockdown")
    let ok = try doctor(["0000:00:01.0"], env: env)
    for w in [
      "ok   mapping.lockdown   \(sys)/kernel/security/lockdown: [none] integrity confidentiality\n",
      "ok   vfio.iommu         \(sys)/class/iommu: dmar0\n",
      "ok   vfio.modules       loaded: vfio, vfio_pci, vfio_iommu_type1\n",
      "ok   vfio.driver        0000:00:01.0 is bound to vfio-pci\n",
      "ok   device.device      0000:00:01.0 1234:11e8",
    ] {
      XCTAssertTrue(ok.out.contains(w), "lacks \(w)\n\(ok.out)")
    }
    let other = try doctor(["0000:00:06.0"], env: env)
    XCTAssertTrue(
      other.out.contains("fail vfio.driver        0000:00:06.0 is bound to virtio-pci; fix: bind it to vfio-pci"),
      other.out)
    let absent = try doctor(["0000:7f:00.0"], env: env)
    XCTAssertEqual(absent.status, 1)
    XCTAssertTrue(absent.out.contains("fail device.device      "), absent.out)
    let bad = try doctor(["--frobnicate"])
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.err.contains("unknown option '--frobnicate'"), bad.err)
  }
}
