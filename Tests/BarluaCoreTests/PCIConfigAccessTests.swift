import BarluaCore
import Foundation
import XCTest

/// Reads, writes and their checks; the config file opened through a sysfs-shaped tree; link
/// control and AER masks on writable copies of captured config spaces.
final class PCIConfigAccessTests: XCTestCase {
  var tree: String!

  override func setUpWithError() throws {
    tree = NSTemporaryDirectory() + "barlua-config-\(getpid())-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: tree + "/0000:03:00.0", withIntermediateDirectories: true)
    let bytes = try PCIConfigFixtureTests.bytes("qemu-q35-6.1", "0000:03:00.0")
    try Data(bytes).write(to: URL(fileURLWithPath: tree + "/0000:03:00.0/config"))
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: tree) }

  func fixture(_ addr: String, writable: Bool = true) throws -> PCIConfigSpace {
    PCIConfigSpace(bytes: try PCIConfigFixtureTests.bytes("qemu-q35-6.1", addr), path: addr, writable: writable)
  }

  func testFileReadsAndRefusedWrites() throws {
    let addr = try PCIAddress("0000:03:00.0")
    let space = try PCIConfigSpace.open(addr, sysfs: PCISysfs(root: tree))
    XCTAssertEqual(space.size, 4096)
    XCTAssertEqual(try space.read16(0), 0x8086)
    XCTAssertEqual(try space.read32(0), 0x10D3_8086)
    XCTAssertEqual(try space.read8(0x0E), 0)
    XCTAssertThrowsError(try space.write(4, width: 2, value: 0)) { e in
      XCTAssertEqual(e as? PCIConfigError, .readOnly(path: tree + "/0000:03:00.0/config"))
    }
    XCTAssertThrowsError(try space.read(2, width: 4)) { e in
      XCTAssertEqual(e as? PCIConfigError, .misaligned(offset: 2, width: 4))
    }
    XCTAssertThrowsError(try space.read(4096, width: 1)) { e in
      XCTAssertEqual("\(e)", "offset 0x1000 + 1 exceeds the config space size 0x1000 of \(tree!)/0000:03:00.0/config")
    }
    XCTAssertThrowsError(try space.read(0, width: 3)) { e in XCTAssertEqual(e as? PCIConfigError, .badWidth(width: 3)) }
    space.close()
    XCTAssertThrowsError(try space.read8(0)) { e in
      XCTAssertEqual(e as? PCIConfigError, .closed(path: tree + "/0000:03:00.0/config"))
    }
    XCTAssertThrowsError(try PCIConfigSpace.open(try PCIAddress("0000:09:00.0"), sysfs: PCISysfs(root: tree))) { e in
      XCTAssertEqual(e as? PCIError, .noDevice(try! PCIAddress("0000:09:00.0"), root: tree))
    }
  }

  func testFileWritesLittleEndian() throws {
    let addr = try PCIAddress("0000:03:00.0")
    let space = try PCIConfigSpace.open(addr, sysfs: PCISysfs(root: tree), writable: true)
    try space.write(0x3C, width: 1, value: 0x0B)
    try space.write(0x40, width: 4, value: 0x1234_5678)
    XCTAssertEqual(try space.read16(0x42), 0x1234)
    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: tree + "/0000:03:00.0/config")))
    XCTAssertEqual(Array(bytes[0x40..<0x44]), [0x78, 0x56, 0x34, 0x12])
    XCTAssertEqual(bytes[0x3C], 0x0B)
  }

  func testSizeFollowsWhatCanBeRead() throws {
    // A truncated capture of 100 bytes is 100 bytes; an empty file is 0 and every read fails.
    let dir = tree + "/0000:03:00.0/config"
    try Data(try PCIConfigFixtureTests.bytes("qemu-q35-6.1", "0000:03:00.0").prefix(100)).write(
      to: URL(fileURLWithPath: dir))
    XCTAssertEqual(try PCIConfigSpace.open(try PCIAddress("03:00.0"), sysfs: PCISysfs(root: tree)).size, 100)
    try Data().write(to: URL(fileURLWithPath: dir))
    let empty = try PCIConfigSpace.open(try PCIAddress("03:00.0"), sysfs: PCISysfs(root: tree))
    XCTAssertEqual(empty.size, 0)
    XCTAssertThrowsError(try empty.read8(0))
    XCTAssertThrowsError(try empty.capabilities()) { e in
      XCTAssertEqual(e as? PCIConfigError, .outOfRange(offset: 6, width: 2, size: 0, fullSize: 0, path: dir))
    }
  }

  func testLinkDisableAndRetrainOnARootPort() throws {
    let port = try fixture("0000:00:04.0")
    let cap = try XCTUnwrap(try port.expressCapability())
    XCTAssertEqual(try port.setLinkDisabled(true, upstream: nil), false)
    XCTAssertEqual(try port.read16(cap + 0x10) & 0x10, 0x10)
    XCTAssertEqual(try port.link()?.disabled, true)
    XCTAssertEqual(try port.setLinkDisabled(false, upstream: nil), true)
    XCTAssertEqual(try port.read16(cap + 0x10) & 0x10, 0)

    let before = try port.read16(cap + 0x30)
    guard case .trained(let link) = try port.retrain(speed: 8, timeoutNs: 100_000_000, upstream: nil) else {
      return XCTFail("not trained")
    }
    XCTAssertEqual(link.speed, 16, "the copy does not train: the status stays as captured")
    XCTAssertEqual(try port.read16(cap + 0x30) & 0xF, 3, "Target Link Speed 8 GT/s")
    XCTAssertEqual(try port.read16(cap + 0x30) & ~0xF, before & ~0xF, "other bits kept")
    XCTAssertThrowsError(try port.retrain(speed: 64, timeoutNs: 1, upstream: nil)) { e in
      XCTAssertEqual("\(e)", "0000:00:04.0 does not support 64 GT/s (supported: 2.5, 5, 8, 16 GT/s)")
    }
    // Link Training stuck on: a timeout after the deadline, with the link as last read.
    try port.write(cap + 0x12, width: 2, value: UInt32(try port.read16(cap + 0x12)) | 1 << 11)
    let start = DispatchTime.now().uptimeNanoseconds
    guard case .timeout(let stuck) = try port.retrain(speed: nil, timeoutNs: 30_000_000, upstream: nil) else {
      return XCTFail("no timeout")
    }
    XCTAssertTrue(stuck.training)
    XCTAssertGreaterThanOrEqual(DispatchTime.now().uptimeNanoseconds - start, 30_000_000)
  }

  /// A device that keeps every register read-only (as QEMU 7.2's root ports keep Link Disable
  /// and Target Link Speed): the write "succeeds", the read-back says it did not take.
  final class ReadOnlyRegisters: PCIConfigBackend {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var isOpen: Bool { true }
    func close() {}
    func read(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
      for i in 0..<buffer.count { buffer[i] = bytes[offset + i] }
      return buffer.count
    }
    func write(_ buffer: UnsafeRawBufferPointer, at offset: Int) throws -> Int { buffer.count }
  }

  func testWritesTheDeviceIgnoresAreErrors() throws {
    let bytes = try PCIConfigFixtureTests.bytes("qemu-q35-6.1", "0000:00:04.0")
    let port = PCIConfigSpace(
      backend: ReadOnlyRegisters(bytes), path: "rp", size: 4096, fullSize: 4096, writable: true)
    XCTAssertThrowsError(try port.setLinkDisabled(true, upstream: nil)) { e in
      XCTAssertEqual(
        "\(e)",
        "rp did not take the write of Link Control Link Disable (0x64): wrote 0x10 in bits 0x10, it reads"
          + " back 0x0 (the device keeps these bits read-only)")
    }
    XCTAssertThrowsError(try port.retrain(speed: 5, timeoutNs: 1, upstream: nil)) { e in
      XCTAssertEqual(
        e as? PCIConfigError,
        .writeIgnored(
          register: "Link Control 2 Target Link Speed", offset: 0x84, bits: 0xF, wrote: 2, read: 4, path: "rp"))
    }
    let (before, now) = try port.setAERMasks(uncorrectable: 0x20, correctable: 1)
    XCTAssertEqual(before.uncorrectable, now.uncorrectable, "the mask as read back: unchanged")
    XCTAssertEqual(now.correctable, before.correctable)
  }

  func testLinkControlRefusesEndpoints() throws {
    let nic = try fixture("0000:03:00.0")
    let up = try PCIAddress("0000:00:06.0")
    XCTAssertThrowsError(try nic.setLinkDisabled(true, upstream: up)) { e in
      XCTAssertEqual(
        "\(e)",
        "0000:03:00.0 is a PCI Express endpoint, not a root port or switch downstream port: link control"
          + " is done by the port above the link: use the port above it, 0000:00:06.0")
    }
    XCTAssertThrowsError(try fixture("0000:00:01.0").retrain(speed: nil, timeoutNs: 1, upstream: nil)) { e in
      XCTAssertEqual(e as? PCIConfigError, .notPCIExpress(path: "0000:00:01.0"))
    }
    XCTAssertNil(try fixture("0000:00:01.0").link(), "conventional PCI: no link")
  }

  func testAERMasksReturnTheOldOnes() throws {
    let nic = try fixture("0000:03:00.0")
    let old = try XCTUnwrap(try nic.aerRegisters())
    let (before, now) = try nic.setAERMasks(uncorrectable: 1 << 5 | 1 << 14, correctable: nil)
    XCTAssertEqual(now.uncorrectable, 1 << 5 | 1 << 14)
    XCTAssertEqual(before.uncorrectable, old.uncorrectableMask)
    XCTAssertEqual(before.correctable, old.correctableMask)
    XCTAssertEqual(try nic.aerRegisters()?.uncorrectableMask, 1 << 5 | 1 << 14)
    XCTAssertEqual(try nic.aerRegisters()?.correctableMask, old.correctableMask)
    XCTAssertThrowsError(try fixture("0000:00:01.0").setAERMasks(uncorrectable: 0, correctable: 0)) { e in
      XCTAssertEqual("\(e)", "0000:00:01.0 has no AER (Advanced Error Reporting) capability")
    }
    XCTAssertThrowsError(try fixture("0000:03:00.0", writable: false).setAERMasks(uncorrectable: 0, correctable: nil))
  }

  func testAERCounterLinesThatAreNotCounts() {
    let c = PCIAER.Counters(
      text: "RxErr 1\nbad line\nBadTLP x\n\u{1b}[31m 5\nTimeout 3\nNeg -1\nTOTAL_ERR_COR 4\n", path: "f")
    XCTAssertEqual(c.counts.map(\.name), ["RxErr", "Timeout", "TOTAL_ERR_COR"])
    XCTAssertEqual(c.counts.map(\.count), [1, 3, 4])
    XCTAssertEqual(c.problems.count, 4)
    XCTAssertEqual(c.problems[2], "f line 4: '?[31m 5' is not 'NAME count'")
    XCTAssertEqual(PCIAER.names(1 << 0 | 1 << 14 | 1 << 30, uncorrectable: false), ["RxErr", "CorrIntErr", "bit30"])
    let many = PCIAER.Counters(text: String(repeating: "A 1\n", count: 300), path: "f")
    XCTAssertEqual(many.counts.count, 256)
  }
}
