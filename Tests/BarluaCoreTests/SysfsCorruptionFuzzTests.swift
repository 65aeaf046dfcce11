import Foundation
import XCTest

@testable import BarluaCore

/// Sysfs text is input. Every file and link of every device in the captured trees is corrupted
/// in turn (truncated, emptied, garbage, huge values, removed, a dangling link, a directory);
/// discovery must never crash, must list every other device exactly as before, and must still
/// list the corrupted device: read, or reported with its problem.
final class SysfsCorruptionFuzzTests: XCTestCase {
  /// The build VM, the seed's FPGA, and the test-bed guest (bridges, groups, vfio-pci).
  static let trees = ["vm-virtio", "xilinx-7024", "qemu-q35-type1"]
  /// Names are not what is fuzzed: an empty pci.ids keeps thousands of scans quick.
  static let noNames = PCINameDatabase(idsPath: "/dev/null")

  /// The device, file by file: `resource` line 0 with a range of 2^64 bytes first (the crash
  /// this fuzzer was written for), then every other kind of damage.
  func testEveryCorruptionOfEveryFileLeavesTheOtherDevicesListed() throws {
    var cases = 0
    for name in Self.trees {
      let tree = try CorruptibleTree(copying: try PCIFixtures.tree(name))
      let sysfs = PCISysfs(root: tree.devices, names: Self.noNames)
      let baseline = try sysfs.entries()
      XCTAssertTrue(baseline.allSatisfy { $0.info != nil }, "\(name): the captured tree reads")
      for addr in baseline.map(\.addr) {
        for file in try tree.files(of: addr) {
          for damage in Damage.all(for: file) {
            try tree.damage(addr, file, damage)
            defer { tree.restore() }
            cases += 1
            let context = "\(name) \(addr)/\(file) \(damage)"
            let entries = try sysfs.entries()
            XCTAssertEqual(entries.map(\.addr), baseline.map(\.addr), context)
            for (entry, before) in zip(entries, baseline) where entry.addr != addr {
              XCTAssertEqual(entry, before, context)
            }
            // The filters a script uses still find a good device and never throw.
            if let other = baseline.compactMap(\.info).first(where: { $0.addr != addr }) {
              XCTAssertEqual(try sysfs.devices(filter: PCIFilter(addr: other.addr)), [other], context)
            }
            if case .unreadable(let bad)? = entries.first(where: { $0.addr == addr }) {
              XCTAssertFalse(bad.problem.isEmpty, context)
              XCTAssertThrowsError(try sysfs.device(addr), context)
            } else {
              XCTAssertNoThrow(try sysfs.device(addr), context)
            }
            _ = try? sysfs.vfioDevices()
          }
        }
      }
    }
    XCTAssertGreaterThan(cases, 1500)
  }

  /// The line from the report: `0x0 0xffffffffffffffff 0x200` as BAR0 trapped (arithmetic
  /// overflow) in every reader of the device.
  func testResourceRangeOf2To64BytesIsThatDevicesProblem() throws {
    let tree = try CorruptibleTree(copying: try PCIFixtures.tree("vm-virtio"))
    let sysfs = PCISysfs(root: tree.devices)
    let nic = try PCIAddress("0000:00:03.0")
    try tree.damage(nic, "resource", .text("0x0 0xffffffffffffffff 0x200\n"))
    let entries = try sysfs.entries()
    XCTAssertEqual(entries.count, 6)
    XCTAssertEqual(entries.compactMap(\.info).count, 5)
    guard case .unreadable(let bad)? = entries.first(where: { $0.addr == nic }) else {
      return XCTFail("the damaged device is not reported")
    }
    XCTAssertEqual(
      bad.problem,
      "unexpected contents in \(tree.devices)/0000:00:03.0/resource: '0x0 0xffffffffffffffff"
        + " 0x200' (expected a range of at most 2^64-1 bytes)")
    XCTAssertEqual(bad.vendor, 0x1af4)
    XCTAssertEqual(bad.device, 0x1041)
    XCTAssertEqual(bad.driver, "virtio-pci")
    XCTAssertThrowsError(try sysfs.device(nic)) { XCTAssertEqual("\($0)", bad.problem) }
    XCTAssertThrowsError(try Mapping.mapSysfs(nic, bar: 0, sysfs: sysfs)) {
      XCTAssertEqual("\($0)", bad.problem)
    }
    // A filter the readable fields rule out drops it; one they cannot rule out keeps it.
    XCTAssertEqual(try sysfs.entries(filter: PCIFilter(vendor: 0x8086)).map(\.addr.description), ["0000:00:00.0"])
    XCTAssertEqual(try sysfs.entries(filter: PCIFilter(subvendor: 0x1af4)).count, 5)
  }

  func testResourceBoundsAreChecked() throws {
    let path = "resource"
    XCTAssertThrowsError(try PCIBar.parseResource("0x0 0xffffffffffffffff 0x200", path: path))
    XCTAssertEqual(
      try PCIBar.parseResource("0x1 0xffffffffffffffff 0x200", path: path).first?.size,
      0xffff_ffff_ffff_ffff)
    // end before start: not a BAR (as before), never a negative size.
    XCTAssertEqual(try PCIBar.parseResource("0x2000 0x1000 0x200", path: path), [])
    XCTAssertThrowsError(try PCIBar.parseResource("0x0 0x1ffffffffffffffff 0x200", path: path))
    XCTAssertThrowsError(try PCIBar.parseResource("0x0 0x-1 0x200", path: path))
  }
}

/// One kind of damage to a sysfs entry.
enum Damage: CustomStringConvertible {
  case truncated
  case empty
  case text(String)
  case garbage(seed: UInt64)
  case missing
  case dangling
  case directory

  var description: String {
    switch self {
    case .truncated: "truncated"
    case .empty: "empty"
    case .text(let t): "text \(t.debugDescription)"
    case .garbage(let seed): "garbage(\(seed))"
    case .missing: "missing"
    case .dangling: "dangling link"
    case .directory: "a directory"
    }
  }

  /// Every kind, with huge and malformed values in the file's own syntax.
  static func all(for file: String) -> [Damage] {
    var damages: [Damage] = [.truncated, .empty, .garbage(seed: 1), .missing, .dangling, .directory]
    let huge = ["0xffffffffffffffff\n", "0x10000000000000000\n", "-99999999999999999999999\n"]
    damages += huge.map { .text($0) }
    if file == "resource" {
      damages += [
        "0x0 0xffffffffffffffff 0x200\n",
        "0xffffffffffffffff 0xffffffffffffffff 0x40200\n",
        "0x1000 0xfff 0x200\n",
        "0x0 0xffffffffffffffff 0x100\n0x0 0xffffffffffffffff 0x100\n",
        "0x0000000000001000 0x0000000000001fff\n",
        String(repeating: "0x0 0x0 0x0\n", count: 10_000),
      ].map { .text($0) }
    }
    return damages
  }
}

/// A writable copy of a captured tree; `damage` changes one entry of one device and `restore`
/// puts it back.
final class CorruptibleTree {
  let root: String
  var devices: String { root + "/bus/pci/devices" }
  private let fm = FileManager.default
  private var saved: (path: String, backup: String)?

  init(copying tree: String) throws {
    root = NSTemporaryDirectory() + "barlua-corrupt-\(getpid())-\(UUID().uuidString)"
    try fm.copyItem(atPath: tree, toPath: root)
  }

  deinit { try? fm.removeItem(atPath: root) }

  /// The device's own files and links (`driver`, `iommu_group`, `vendor`, `resource`, ...).
  func files(of addr: PCIAddress) throws -> [String] {
    try fm.contentsOfDirectory(atPath: "\(devices)/\(addr)").sorted()
  }

  func damage(_ addr: PCIAddress, _ file: String, _ damage: Damage) throws {
    let path = "\(devices)/\(addr)/\(file)"
    let backup = "\(root)/saved-entry"
    try fm.moveItem(atPath: path, toPath: backup)
    saved = (path, backup)
    let original = (try? Data(contentsOf: URL(fileURLWithPath: backup))) ?? Data()
    switch damage {
    case .truncated: _ = fm.createFile(atPath: path, contents: original.prefix(original.count / 2))
    case .empty: _ = fm.createFile(atPath: path, contents: Data())
    case .text(let text): _ = fm.createFile(atPath: path, contents: Data(text.utf8))
    case .garbage(let seed):
      var state = seed &* 0x9E37_79B9_7F4A_7C15
      let bytes = (0..<max(original.count, 16)).map { _ -> UInt8 in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 56)
      }
      _ = fm.createFile(atPath: path, contents: Data(bytes))
    case .missing: break
    case .dangling: try fm.createSymbolicLink(atPath: path, withDestinationPath: "../no-such-entry")
    case .directory: try fm.createDirectory(atPath: path, withIntermediateDirectories: false)
    }
  }

  func restore() {
    guard let (path, backup) = saved else { return }
    try? fm.removeItem(atPath: path)
    try? fm.moveItem(atPath: backup, toPath: path)
    saved = nil
  }
}
