import BarluaCore
import Foundation
import XCTest

/// pci.map's core, Mapping.mapSysfs, over the captured sysfs trees: the refusals people hit
/// (no resource files, no BAR, no _wc for a non-prefetchable BAR) and the mapping itself.
/// The captured trees hold no resourceN files (the capture copies attributes, not BAR
/// contents), so the tests that map add them to a copy, as regular files of the BAR's size.
final class SysfsMappingTests: XCTestCase {
  /// A writable copy of a fixture tree; `files` are created in the device's folder with `size`
  /// bytes each.
  func copy(_ name: String, device: String, files: [String], size: Int) throws -> PCISysfs {
    let dir = NSTemporaryDirectory() + "barlua-sysfs-\(UUID().uuidString)"
    try FileManager.default.copyItem(atPath: try PCIFixtures.tree(name), toPath: dir)
    addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    let devices = dir + "/bus/pci/devices"
    for f in files {
      let path = "\(devices)/\(device)/\(f)"
      XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
      XCTAssertEqual(truncate(path, off_t(size)), 0)
    }
    return PCISysfs(root: devices)
  }

  func testNoResourceFilesIsExplained() throws {
    let sysfs = try PCIFixtures.sysfs("xilinx-7024")
    XCTAssertThrowsError(try Mapping.mapSysfs(PCIAddress("0000:15:00.0"), bar: 0, sysfs: sysfs)) {
      XCTAssertEqual(
        $0 as? MappingError,
        .noResourceFiles(addr: try! PCIAddress("0000:15:00.0"), path: "\(sysfs.root)/0000:15:00.0/resource0"))
    }
  }

  func testAbsentAndOutOfRangeBars() throws {
    let sysfs = try PCIFixtures.sysfs("xilinx-7024")
    let addr = try PCIAddress("0000:15:00.0")
    XCTAssertThrowsError(try Mapping.mapSysfs(addr, bar: 1, sysfs: sysfs)) {
      XCTAssertEqual($0 as? MappingError, .noBar(addr: addr, bar: 1, implemented: [0, 2, 4]))
    }
    XCTAssertThrowsError(try Mapping.mapSysfs(addr, bar: 6, sysfs: sysfs)) {
      XCTAssertEqual($0 as? MappingError, .barOutOfRange(bar: 6))
    }
    XCTAssertThrowsError(try Mapping.mapSysfs(PCIAddress("0000:99:00.0"), bar: 0, sysfs: sysfs)) {
      XCTAssertTrue("\($0)".contains("0000:99:00.0"), "\($0)")
    }
  }

  func testNonPrefetchableBarHasNoWriteCombining() throws {
    // virtio-pci BAR0 in the VM capture: 64-bit memory, not prefetchable (flags 0x140204).
    let sysfs = try copy("vm-virtio", device: "0000:00:01.0", files: ["resource0"], size: 0x80000)
    let addr = try PCIAddress("0000:00:01.0")
    XCTAssertThrowsError(try Mapping.mapSysfs(addr, bar: 0, writeCombining: true, sysfs: sysfs)) {
      XCTAssertEqual(
        $0 as? MappingError,
        .noWriteCombiningFile(path: "\(sysfs.root)/0000:00:01.0/resource0_wc", bar: 0, prefetchable: false))
    }
    let m = try Mapping.mapSysfs(addr, bar: 0, sysfs: sysfs)
    XCTAssertEqual(m.info.method, .sysfs)
    XCTAssertEqual(m.size, 0x80000)
    XCTAssertEqual(m.info.base, 0x40_0000_0000)
    XCTAssertEqual(m.info.prefetchable, false)
    XCTAssertEqual(m.info.index, 0)
    XCTAssertEqual(m.info.addr, "0000:00:01.0")
    XCTAssertEqual(m.info.path, "\(sysfs.root)/0000:00:01.0/resource0")
  }

  func testPrefetchableBarMapsWriteCombining() throws {
    // The FPGA's BAR0: 1 MiB, 64-bit prefetchable (flags 0x14220c).
    let sysfs = try copy(
      "xilinx-7024", device: "0000:15:00.0", files: ["resource0", "resource0_wc"], size: 1 << 20)
    let m = try Mapping.mapSysfs(
      PCIAddress("0000:15:00.0"), bar: 0, writeCombining: true, sysfs: sysfs)
    XCTAssertEqual(m.info.method, .sysfsWC)
    XCTAssertEqual(m.info.method.rawValue, "sysfs-wc")
    XCTAssertEqual(m.size, 1 << 20)
    XCTAssertEqual(m.info.base, 0x387f_ffe0_0000)
    XCTAssertEqual(m.info.prefetchable, true)
    XCTAssertEqual(m.info.path, "\(sysfs.root)/0000:15:00.0/resource0_wc")
    m.window.pointee.base!.advanced(by: 0xffff0).pointee = 0x5a
    m.unmap()
    let data = try XCTUnwrap(FileManager.default.contents(atPath: m.info.path))
    XCTAssertEqual(data[0xffff0], 0x5a, "the write went through the _wc file")
  }

  func testPrefetchableBarWithoutWCFileSaysTheKernelLacksIt() throws {
    let sysfs = try copy("xilinx-7024", device: "0000:15:00.0", files: ["resource2"], size: 0x20000)
    XCTAssertThrowsError(
      try Mapping.mapSysfs(PCIAddress("0000:15:00.0"), bar: 2, writeCombining: true, sysfs: sysfs)
    ) {
      XCTAssertEqual(
        $0 as? MappingError,
        .noWriteCombiningFile(path: "\(sysfs.root)/0000:15:00.0/resource2_wc", bar: 2, prefetchable: true))
    }
  }
}
