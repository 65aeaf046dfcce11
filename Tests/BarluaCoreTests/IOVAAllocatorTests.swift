import BarluaCore
import XCTest

/// The IOVA allocator over a container's valid ranges: first fit, page-aligned, never below
/// 1 MiB, never overlapping; requested IOVAs checked for alignment, range and overlap.
final class IOVAAllocatorTests: XCTestCase {
  /// The ranges type1 reports in the test bed's q35 guest with intel-iommu (aw-bits 39): the
  /// x86 MSI window 0xfee00000-0xfeefffff is excluded.
  let q35 = [
    IOVARange(first: 0, last: 0xfedf_ffff), IOVARange(first: 0xfef0_0000, last: 0x7f_ffff_ffff),
  ]

  func testFirstFitFromOneMiBPageAligned() throws {
    var a = IOVAAllocator(valid: q35)
    XCTAssertEqual(try a.allocate(size: 4096), 0x10_0000)
    XCTAssertEqual(try a.allocate(size: 1), 0x10_1000, "sizes round up to whole pages")
    XCTAssertEqual(try a.allocate(size: 4097), 0x10_2000)
    XCTAssertEqual(try a.allocate(size: 64), 0x10_4000)
    XCTAssertEqual(a.used.count, 4)
  }

  func testReleasedSpaceIsReused() throws {
    var a = IOVAAllocator(valid: q35)
    let first = try a.allocate(size: 8192)
    let second = try a.allocate(size: 4096)
    a.release(iova: first)
    XCTAssertEqual(try a.allocate(size: 4096), first)
    XCTAssertEqual(try a.allocate(size: 4096), first + 4096)
    XCTAssertEqual(try a.allocate(size: 4096), second + 4096)
  }

  func testAllocationSkipsTheHoleBetweenRanges() throws {
    var a = IOVAAllocator(valid: q35)
    try a.reserve(iova: 0x10_0000, size: 0xfed0_0000)  // 0x100000 ... 0xfedfffff: all of range 1
    XCTAssertEqual(try a.allocate(size: 4096), 0xfef0_0000, "next range, past the MSI window")
  }

  func testRequestedIOVAMustBeAlignedInsideAndFree() throws {
    var a = IOVAAllocator(valid: q35)
    try a.reserve(iova: 0x4000_0000, size: 8192)
    let held = IOVARange(first: 0x4000_0000, last: 0x4000_1fff)
    XCTAssertThrowsError(try a.reserve(iova: 0x4000_1000, size: 4096)) {
      XCTAssertEqual(
        $0 as? DMAError, .iovaOverlaps(range: IOVARange(first: 0x4000_1000, last: 0x4000_1fff), clash: held))
    }
    XCTAssertThrowsError(try a.reserve(iova: 0x3fff_f000, size: 8192)) {
      XCTAssertEqual(
        $0 as? DMAError, .iovaOverlaps(range: IOVARange(first: 0x3fff_f000, last: 0x4000_0fff), clash: held))
    }
    XCTAssertThrowsError(try a.reserve(iova: 0x4000_0800, size: 4096)) {
      XCTAssertEqual($0 as? DMAError, .iovaMisaligned(iova: 0x4000_0800, pageSize: 0x1000))
    }
    XCTAssertThrowsError(try a.reserve(iova: 0xfee0_0000, size: 4096)) {
      XCTAssertEqual(
        $0 as? DMAError, .iovaOutsideValid(range: IOVARange(first: 0xfee0_0000, last: 0xfee0_0fff), valid: q35))
    }
    XCTAssertThrowsError(try a.reserve(iova: 0xfedf_f000, size: 8192), "spans the MSI window")
    XCTAssertThrowsError(try a.reserve(iova: 0xffff_ffff_ffff_f000, size: 8192)) {
      XCTAssertEqual($0 as? DMAError, .iovaWraps(iova: 0xffff_ffff_ffff_f000, size: 8192))
    }
    // Adjacent is fine, and allocation steps around the reserved block.
    try a.reserve(iova: 0x4000_2000, size: 4096)
    var b = IOVAAllocator(valid: [IOVARange(first: 0x10_0000, last: 0x10_3fff)])
    try b.reserve(iova: 0x10_1000, size: 4096)
    XCTAssertEqual(try b.allocate(size: 4096), 0x10_0000)
    XCTAssertEqual(try b.allocate(size: 8192), 0x10_2000)
  }

  func testFullSpaceIsAnErrorNamingTheRanges() throws {
    var a = IOVAAllocator(valid: [IOVARange(first: 0, last: 0x10_3fff)])
    _ = try a.allocate(size: 0x4000)
    XCTAssertThrowsError(try a.allocate(size: 4096)) {
      XCTAssertEqual(
        $0 as? DMAError, .noFreeIOVA(length: 4096, valid: [IOVARange(first: 0, last: 0x10_3fff)], mapped: 1))
    }
    XCTAssertThrowsError(try a.allocate(size: 0))
    XCTAssertThrowsError(try a.allocate(size: UInt64.max))
  }

  func testRangesAtTheTopOfTheSpace() throws {
    var a = IOVAAllocator(valid: [IOVARange(first: 0xffff_ffff_ffff_e000, last: UInt64.max)])
    XCTAssertEqual(try a.allocate(size: 4096), 0xffff_ffff_ffff_e000)
    XCTAssertEqual(try a.allocate(size: 4096), 0xffff_ffff_ffff_f000)
    XCTAssertThrowsError(try a.allocate(size: 4096), "full, and no wrap to 0")
  }
}
