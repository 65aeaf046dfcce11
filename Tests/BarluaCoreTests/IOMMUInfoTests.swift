import BarluaCore
import XCTest

/// VFIO_IOMMU_GET_INFO answers laid out as the kernel writes them (include/uapi/linux/vfio.h:
/// `struct vfio_iommu_type1_info {u32 argsz, flags; u64 iova_pgsizes; u32 cap_offset; pad}`,
/// then capabilities `{u16 id, version; u32 next}`; IOVA_RANGE (id 1) is `{header; u32
/// nr_iovas, reserved; {u64 start, end}[]}`, MIGRATION id 2, DMA_AVAIL id 3).
final class IOMMUInfoTests: XCTestCase {
  struct Answer {
    var bytes: [UInt8] = []
    mutating func u16(_ v: UInt16) { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
    mutating func u32(_ v: UInt32) { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
    mutating func u64(_ v: UInt64) { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
  }

  /// A 6.1/6.12 type1 answer: page sizes, then IOVA_RANGE, MIGRATION and DMA_AVAIL.
  func kernelAnswer(ranges: [(UInt64, UInt64)], nr: UInt32? = nil, rangeNext: UInt32? = nil)
    -> [UInt8]
  {
    var a = Answer()
    let rangeCap = 24
    let migration = rangeCap + 16 + 16 * ranges.count
    let avail = migration + 24
    a.u32(UInt32(avail + 12))  // argsz
    a.u32(3)  // PGSIZES | CAPS
    a.u64(0x4020_1000)  // 4K | 2M | 1G
    a.u32(UInt32(rangeCap))
    a.u32(0)
    a.u16(1)
    a.u16(1)
    a.u32(rangeNext ?? UInt32(migration))
    a.u32(nr ?? UInt32(ranges.count))
    a.u32(0)
    for (s, e) in ranges {
      a.u64(s)
      a.u64(e)
    }
    a.u16(2)
    a.u16(1)
    a.u32(UInt32(avail))  // MIGRATION {flags, pgsize_bitmap, max_dirty}
    a.u32(0)
    a.u32(0)
    a.u64(0x1000)
    a.u64(0)
    a.u16(3)
    a.u16(1)
    a.u32(0)
    a.u32(65535)  // DMA_AVAIL {avail}
    return a.bytes
  }

  func testRangesFromTheCapabilityChain() throws {
    let info = try IOMMUInfo.parse(
      kernelAnswer(ranges: [(0, 0xfedf_ffff), (0xfef0_0000, 0x7f_ffff_ffff)]))
    XCTAssertEqual(info.pageSizes, 0x4020_1000)
    XCTAssertEqual(info.minimumPageSize, 4096)
    XCTAssertEqual(
      info.ranges,
      [IOVARange(first: 0, last: 0xfedf_ffff), IOVARange(first: 0xfef0_0000, last: 0x7f_ffff_ffff)])
    XCTAssertEqual(info.ranges?.map(\.description), ["0x0-0xfedfffff", "0xfef00000-0x7fffffffff"])
  }

  func testNoCapabilitiesMeansNoRanges() throws {
    var a = Answer()
    a.u32(24)
    a.u32(1)
    a.u64(0x1000)
    a.u32(0)
    a.u32(0)
    let info = try IOMMUInfo.parse(a.bytes)
    XCTAssertNil(info.ranges)
    XCTAssertEqual(info.pageSizes, 0x1000)
  }

  func testMalformedAnswersAreErrorsNotEmptyLists() {
    // The facts of each; LuaWordingTests checks their words.
    let cases: [(String, [UInt8], IOMMUInfoFault)] = [
      ("short", Array(kernelAnswer(ranges: [(0, 1)]).prefix(20)), .tooShort(bytes: 20, header: 24)),
      (
        "count beyond the answer", kernelAnswer(ranges: [(0, 0xfff)], nr: 1000),
        .rangesMissing(offset: 24, count: 1000)
      ),
      ("chain loops", kernelAnswer(ranges: [(0, 0xfff)], rangeNext: 24), .chain(.loop(offset: 24))),
      (
        "next outside", kernelAnswer(ranges: [(0, 0xfff)], rangeNext: 4000),
        .chain(.outside(offset: 4000, answerBytes: 100))
      ),
      (
        "start after end", kernelAnswer(ranges: [(0x2000, 0x1000)]),
        .rangeBackwards(index: 0, start: 0x2000, end: 0x1000)
      ),
    ]
    for (name, bytes, fault) in cases {
      XCTAssertThrowsError(try IOMMUInfo.parse(bytes), name) {
        XCTAssertEqual($0 as? VFIOAnswerError, .iommuInfo(fault), name)
      }
    }
  }

  /// Every truncation of a real answer parses or throws, never traps.
  func testEveryTruncationIsSafe() {
    let full = kernelAnswer(ranges: [(0, 0xfedf_ffff), (0xfef0_0000, 0x7f_ffff_ffff)])
    for n in 0...full.count {
      _ = try? IOMMUInfo.parse(Array(full.prefix(n)))
    }
  }

  /// Random corruption of a real answer (bytes flipped anywhere, 20,000 rounds with a fixed
  /// seed): every answer parses or throws, never traps, and parsed ranges are well formed.
  func testRandomCorruptionIsSafe() {
    let full = kernelAnswer(ranges: [(0, 0xfedf_ffff), (0xfef0_0000, 0x7f_ffff_ffff)])
    var state: UInt64 = 0x9e37_79b9_7f4a_7c15
    func next() -> UInt64 {
      state ^= state << 13
      state ^= state >> 7
      state ^= state << 17
      return state
    }
    for _ in 0..<20_000 {
      var bytes = full
      for _ in 0..<(1 + Int(next() % 4)) {
        bytes[Int(next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: next())
      }
      if let info = try? IOMMUInfo.parse(bytes), let ranges = info.ranges {
        XCTAssertTrue(ranges.allSatisfy { $0.first <= $0.last })
      }
    }
  }
}
