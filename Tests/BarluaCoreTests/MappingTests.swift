import CBarluaSys
import Foundation
import XCTest

@testable import BarluaCore

/// Mapping owns the mmap and the accessor window; unmapping clears the window first.
final class MappingTests: XCTestCase {
  func makeFile(_ size: Int) -> String {
    let path = "/dev/shm/barlua-core-\(getpid())-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: path, contents: Data(count: size))
    addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
  }

  func testWindowSeesTheFileAndUnmapClearsIt() throws {
    let path = makeFile(8192)
    let m = try Mapping.mapFile(path: path)
    XCTAssertEqual(m.size, 8192)
    XCTAssertEqual(m.window.pointee.size, 8192)
    barlua_wr32(m.window.pointee.base! + 16, 0x1234_5678)
    let data = FileManager.default.contents(atPath: path)!
    XCTAssertEqual([UInt8](data[16..<20]), [0x78, 0x56, 0x34, 0x12])
    m.unmap()
    XCTAssertNil(m.window.pointee.base)
    XCTAssertEqual(m.window.pointee.size, 0)
    XCTAssertFalse(m.isMapped)
    m.unmap()  // idempotent
  }

  func testUnalignedOffsetStartsTheWindowInsideThePage() throws {
    let path = makeFile(8192)
    let fh = FileHandle(forWritingAtPath: path)!
    fh.seek(toFileOffset: 0x1234)
    fh.write(Data([0xaa, 0xbb]))
    fh.closeFile()
    let m = try Mapping.mapFile(path: path, offset: 0x1234, size: 2)
    XCTAssertEqual(barlua_rd16(m.window.pointee.base!), 0xbbaa)
  }

  func testErrorsNameCallPathAndRemedy() {
    XCTAssertThrowsError(try Mapping.mapFile(path: "/nonexistent")) { e in
      XCTAssertEqual(
        "\(e)", "stat /nonexistent: No such file or directory (errno 2): check the path (no such file)")
    }
    XCTAssertThrowsError(try Mapping.mapFile(path: "/dev/null", size: 4096)) { e in
      XCTAssertEqual(
        "\(e)", "mmap /dev/null: No such device (errno 19): this file cannot be memory-mapped")
    }
  }

  func testSysfsHints() {
    let info = Mapping.Description(method: .sysfsWC, path: "/sys/bus/pci/devices/x/resource2_wc")
    let e = SystemError("mmap", path: info.path, errno: EINVAL, hint: nil)
    XCTAssertEqual(e.description, "mmap /sys/bus/pci/devices/x/resource2_wc: Invalid argument (errno 22)")
  }
}
