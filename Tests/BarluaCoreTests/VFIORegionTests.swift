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

  /// The refusal `body` throws (nil: none, or another error). LuaWordingTests checks the words.
  private func refusal(_ body: () throws -> Any) -> MappingError? {
    do {
      _ = try body()
      return nil
    } catch {
      return error as? MappingError
    }
  }

  func testWholeBarDefaultsToTheRegionSize() throws {
    XCTAssertEqual(try bar(0, size: 0x10_0000).checkMappable(offset: 0, size: nil), 0x10_0000)
    XCTAssertEqual(try bar(0, size: 0x10_0000).checkMappable(offset: 0x1000, size: nil), 0xf_f000)
    XCTAssertEqual(try bar(0, size: 0x10_0000).checkMappable(offset: 0xff000, size: 0x1000), 0x1000)
  }

  func testEmptyAndNonMappableRegionsAreExplained() {
    XCTAssertEqual(
      refusal { try self.bar(3, size: 0).checkMappable(offset: 0, size: nil) },
      .regionNotImplemented(region: "BAR3"))
    XCTAssertEqual(
      refusal { try self.bar(2, size: 0x100, mmap: false).checkMappable(offset: 0, size: nil) },
      .regionNotMappable(region: "BAR2"))
  }

  func testRangesOutsideTheRegionAreRefused() {
    let b = bar(0, size: 0x10_0000)
    XCTAssertEqual(
      refusal { try b.checkMappable(offset: 0x10_0000, size: nil) },
      .offsetOutsideRegion(region: "BAR0", offset: 0x10_0000, size: 0x10_0000))
    XCTAssertEqual(
      refusal { try b.checkMappable(offset: 0xff000, size: 0x2000) },
      .beyondRegion(region: "BAR0", offset: 0xff000, length: 0x2000, size: 0x10_0000))
    XCTAssertEqual(
      refusal { try b.checkMappable(offset: 0x1000, size: UInt64.max) },
      .beyondRegion(region: "BAR0", offset: 0x1000, length: UInt64.max, size: 0x10_0000))
    XCTAssertEqual(
      refusal { try b.checkMappable(offset: 0, size: 0) },
      .emptyRegionRange(region: "BAR0", offset: 0))
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
      refusal { try b.checkMappable(offset: 0x2000, size: 0x1000) },
      .outsideSparseAreas(region: "BAR0", offset: 0x2000, length: 0x1000, areas: areas))
    // Straddling two areas (and the hole between them) is refused too.
    XCTAssertEqual(
      refusal { try b.checkMappable(offset: 0, size: nil) },
      .outsideSparseAreas(region: "BAR0", offset: 0, length: 0x10000, areas: areas))
    XCTAssertEqual(
      refusal { try self.bar(1, size: 0x1000, sparse: []).checkMappable(offset: 0, size: nil) },
      .outsideSparseAreas(region: "BAR1", offset: 0, length: 0x1000, areas: []))
  }
}
