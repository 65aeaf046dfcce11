import CBarluaSys
import Foundation
import XCTest

@testable import BarluaCore

/// Region-info answers built byte for byte as the kernel lays them out (the real structs from
/// <linux/vfio.h>; capabilities are placed 8-byte aligned after the fixed structure, `next`
/// and `cap_offset` counted from the start of the answer, as vfio_info_cap_shift leaves them).
final class VFIOCapabilityChainTests: XCTestCase {
  struct Answer {
    var bytes: [UInt8]
    var info: vfio_region_info
  }

  /// A BAR answer with a sparse-mmap capability (`areas`) followed by MSI-X-mappable.
  func buildAnswer(areas: [(UInt64, UInt64)], msix: Bool, flags extra: UInt32 = 0) -> Answer {
    let fixed = MemoryLayout<vfio_region_info>.size
    let sparseFixed = barlua_vfio_sparse_areas_offset()
    let areaSize = MemoryLayout<vfio_region_sparse_mmap_area>.size
    let sparseAt = fixed
    let sparseLen = sparseFixed + areas.count * areaSize
    let msixAt = (sparseAt + sparseLen + 7) & ~7
    let total = msixAt + (msix ? MemoryLayout<vfio_region_info_cap_type>.size : 0)
    var bytes = [UInt8](repeating: 0, count: total)
    var info = vfio_region_info()
    info.argsz = UInt32(total)
    info.flags =
      UInt32(
        BARLUA_VFIO_REGION_INFO_FLAG_READ | BARLUA_VFIO_REGION_INFO_FLAG_WRITE
          | BARLUA_VFIO_REGION_INFO_FLAG_MMAP | BARLUA_VFIO_REGION_INFO_FLAG_CAPS) | extra
    info.index = 0
    info.cap_offset = UInt32(sparseAt)
    info.size = 0x10000
    info.offset = 0
    bytes.withUnsafeMutableBytes { buf in
      buf.storeBytes(of: info, as: vfio_region_info.self)
      var sparse = vfio_region_info_cap_sparse_mmap()
      sparse.header.id = UInt16(BARLUA_VFIO_REGION_INFO_CAP_SPARSE_MMAP)
      sparse.header.version = 1
      sparse.header.next = msix ? UInt32(msixAt) : 0
      sparse.nr_areas = UInt32(areas.count)
      buf.storeBytes(of: sparse, toByteOffset: sparseAt, as: vfio_region_info_cap_sparse_mmap.self)
      for (i, a) in areas.enumerated() {
        var area = vfio_region_sparse_mmap_area()
        area.offset = a.0
        area.size = a.1
        buf.storeBytes(
          of: area, toByteOffset: sparseAt + sparseFixed + i * areaSize,
          as: vfio_region_sparse_mmap_area.self)
      }
      if msix {
        var h = vfio_info_cap_header()
        h.id = UInt16(BARLUA_VFIO_REGION_INFO_CAP_MSIX_MAPPABLE)
        h.version = 1
        h.next = 0
        buf.storeBytes(of: h, toByteOffset: msixAt, as: vfio_info_cap_header.self)
      }
    }
    return Answer(bytes: bytes, info: info)
  }

  func testLayoutMatchesTheKernelHeader() {
    XCTAssertEqual(MemoryLayout<vfio_region_info>.size, 32)
    XCTAssertEqual(MemoryLayout<vfio_info_cap_header>.size, 8)
    XCTAssertEqual(barlua_vfio_sparse_areas_offset(), 16)
    XCTAssertEqual(MemoryLayout<vfio_region_sparse_mmap_area>.size, 16)
  }

  func testSparseAreasAndMSIXMappableAreRead() throws {
    let a = buildAnswer(areas: [(0, 0x1000), (0x3000, 0xd000)], msix: true)
    let region = try a.bytes.withUnsafeBytes { try VFIORegion(info: a.info, buffer: $0) }
    XCTAssertEqual(region.name, "BAR0")
    XCTAssertEqual(region.size, 0x10000)
    XCTAssertTrue(region.read && region.write && region.mmap)
    XCTAssertEqual(
      region.sparse,
      [VFIORegion.Area(offset: 0, size: 0x1000), VFIORegion.Area(offset: 0x3000, size: 0xd000)])
    XCTAssertTrue(region.msixMappable)
    let caps = try a.bytes.withUnsafeBytes {
      try VFIOCapabilityChain.parse($0, first: a.info.cap_offset)
    }
    XCTAssertEqual(caps.map(\.id), [1, 3])
    XCTAssertEqual(caps.map(\.offset), [32, 80])
  }

  func testNoCapsFlagMeansNoSparseList() throws {
    var a = buildAnswer(areas: [(0, 0x1000)], msix: false)
    a.info.flags &= ~UInt32(BARLUA_VFIO_REGION_INFO_FLAG_CAPS)
    let region = try a.bytes.withUnsafeBytes { try VFIORegion(info: a.info, buffer: $0) }
    XCTAssertNil(region.sparse)
    XCTAssertFalse(region.msixMappable)
  }

  func testAnEmptySparseListIsKept() throws {
    let a = buildAnswer(areas: [], msix: false)
    let region = try a.bytes.withUnsafeBytes { try VFIORegion(info: a.info, buffer: $0) }
    XCTAssertEqual(region.sparse, [])
  }

  func testTruncatedAnswersAreRejected() {
    // The kernel did not fit the chain (argsz grew) but a caller parsed the short buffer.
    let sparseOnly = buildAnswer(areas: [(0, 0x1000), (0x3000, 0xd000)], msix: false)
    let short = Array(sparseOnly.bytes.prefix(56))
    XCTAssertThrowsError(
      try short.withUnsafeBytes { try VFIORegion(info: sparseOnly.info, buffer: $0) }
    ) { error in
      XCTAssertEqual(
        error as? VFIOAnswerError, .regionCapabilityChain(.sparseAreasMissing(offset: 32, count: 2)))
    }
    let a = buildAnswer(areas: [(0, 0x1000), (0x3000, 0xd000)], msix: true)
    let cut = Array(a.bytes.prefix(80))
    XCTAssertThrowsError(try cut.withUnsafeBytes { try VFIORegion(info: a.info, buffer: $0) }) {
      XCTAssertEqual($0 as? VFIOAnswerError, .regionCapabilityChain(.outside(offset: 80, answerBytes: 80)))
    }
  }

  func testLoopsAreRejected() {
    var a = buildAnswer(areas: [(0, 0x1000)], msix: true)
    // Point the MSI-X header's next back at the sparse capability.
    a.bytes.withUnsafeMutableBytes { buf in
      buf.storeBytes(of: UInt32(32), toByteOffset: 64 + 4, as: UInt32.self)
    }
    XCTAssertThrowsError(
      try a.bytes.withUnsafeBytes { try VFIOCapabilityChain.parse($0, first: 32) }
    ) {
      XCTAssertEqual($0 as? VFIOChainFault, .loop(offset: 32))
    }
  }

  /// The answer a real kernel (6.1, test-bed guest, vfio-pci) gave for BAR1 of a
  /// virtio-rng-pci device: the BAR holding the MSI-X table, so it carries
  /// VFIO_REGION_INFO_CAP_MSIX_MAPPABLE (argsz 40 = 32 + one 8-byte header).
  func testRealKernelAnswerWithMSIXMappable() throws {
    let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
      .appendingPathComponent("vfio/guest-6.1-virtio-rng-BAR1-region-info.bin")
    let answer = [UInt8](try Data(contentsOf: url))
    XCTAssertEqual(answer.count, 40)
    let region = try VFIORegion(answer: answer)
    XCTAssertEqual(region.index, 1)
    XCTAssertEqual(region.name, "BAR1")
    XCTAssertEqual(region.size, 0x1000)
    XCTAssertEqual(region.offset, 0x100_0000_0000)
    XCTAssertTrue(region.read && region.write && region.mmap)
    XCTAssertTrue(region.msixMappable)
    XCTAssertNil(region.sparse)
    XCTAssertEqual(try region.checkMappable(offset: 0, size: nil), 0x1000)
    // Cut before the capability: the chain points outside the answer.
    XCTAssertThrowsError(try VFIORegion(answer: Array(answer.prefix(36))))
    XCTAssertThrowsError(try VFIORegion(answer: Array(answer.prefix(16)))) {
      XCTAssertEqual($0 as? VFIOAnswerError, .regionInfoTooShort(bytes: 16))
    }
  }
}
