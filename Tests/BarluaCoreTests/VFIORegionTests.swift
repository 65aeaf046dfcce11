import CBarluaSys
import XCTest

@testable import BarluaCore

final class VFIORegionTests: XCTestCase {
  func testNamesFollowVFIOPCIRegionIndices() {
    XCTAssertEqual((0...5).map(VFIORegion.name), ["BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5"])
    XCTAssertEqual(VFIORegion.name(Int(BARLUA_VFIO_PCI_ROM_REGION_INDEX)), "ROM")
    XCTAssertEqual(VFIORegion.name(Int(BARLUA_VFIO_PCI_CONFIG_REGION_INDEX)), "CONFIG")
    XCTAssertEqual(VFIORegion.name(Int(BARLUA_VFIO_PCI_VGA_REGION_INDEX)), "VGA")
    XCTAssertEqual(VFIORegion.name(9), "region 9")
    XCTAssertEqual(VFIORegion.name(6), "ROM")
    XCTAssertEqual(VFIORegion.name(7), "CONFIG")
  }

  private func bar(_ index: Int, size: UInt64, mmap: Bool = true, sparse: [VFIORegion.Area]? = nil)
    -> VFIORegion
  {
    VFIORegion(
      index: index, size: size, offset: UInt64(index) << 40, read: true, write: true, mmap: mmap,
      sparse: sparse)
  }

  private func message(_ body: () throws -> Any) -> String {
    do {
      _ = try body()
      return "no error"
    } catch {
      return "\(error)"
    }
  }

  func testWholeBarDefaultsToTheRegionSize() throws {
    XCTAssertEqual(try bar(0, size: 0x10_0000).checkMappable(offset: 0, size: nil), 0x10_0000)
    XCTAssertEqual(try bar(0, size: 0x10_0000).checkMappable(offset: 0x1000, size: nil), 0xf_f000)
    XCTAssertEqual(try bar(0, size: 0x10_0000).checkMappable(offset: 0xff000, size: 0x1000), 0x1000)
  }

  func testEmptyAndNonMappableRegionsAreExplained() {
    XCTAssertEqual(
      message { try self.bar(3, size: 0).checkMappable(offset: 0, size: nil) },
      "BAR3 is not implemented (size 0)")
    XCTAssertEqual(
      message { try self.bar(2, size: 0x100, mmap: false).checkMappable(offset: 0, size: nil) },
      "BAR2 cannot be mmap'ed: the kernel did not set VFIO_REGION_INFO_FLAG_MMAP"
        + " (I/O BAR or a BAR smaller than a page?)")
  }

  func testRangesOutsideTheRegionAreRefused() {
    let b = bar(0, size: 0x10_0000)
    XCTAssertEqual(
      message { try b.checkMappable(offset: 0x10_0000, size: nil) },
      "offset 0x100000 is outside BAR0 (size 0x100000)")
    XCTAssertEqual(
      message { try b.checkMappable(offset: 0xff000, size: 0x2000) },
      "offset 0xff000 + size 0x2000 exceeds BAR0 size 0x100000")
    XCTAssertEqual(
      message { try b.checkMappable(offset: 0x1000, size: UInt64.max) },
      "offset 0x1000 + size 0xffffffffffffffff exceeds BAR0 size 0x100000")
    XCTAssertEqual(
      message { try b.checkMappable(offset: 0, size: 0) },
      "size 0 at offset 0x0 of BAR0: nothing to map")
  }

  func testSparseRegionsMapOnlyInsideOneArea() throws {
    let areas = [
      VFIORegion.Area(offset: 0, size: 0x1000), VFIORegion.Area(offset: 0x3000, size: 0xd000),
    ]
    let b = bar(0, size: 0x10000, sparse: areas)
    XCTAssertEqual(try b.checkMappable(offset: 0, size: 0x1000), 0x1000)
    XCTAssertEqual(try b.checkMappable(offset: 0x3000, size: nil), 0xd000)
    XCTAssertEqual(try b.checkMappable(offset: 0x4000, size: 0x1000), 0x1000)
    XCTAssertEqual(
      message { try b.checkMappable(offset: 0x2000, size: 0x1000) },
      "offset 0x2000 size 0x1000 is not inside an mmap-able area of BAR0:"
        + " areas are 0x0+0x1000, 0x3000+0xd000")
    // Straddling two areas (and the hole between them) is refused too.
    XCTAssertEqual(
      message { try b.checkMappable(offset: 0, size: nil) },
      "offset 0x0 size 0x10000 is not inside an mmap-able area of BAR0:"
        + " areas are 0x0+0x1000, 0x3000+0xd000")
    XCTAssertEqual(
      message { try self.bar(1, size: 0x1000, sparse: []).checkMappable(offset: 0, size: nil) },
      "offset 0x0 size 0x1000 is not inside an mmap-able area of BAR1: it has none")
  }
}
