import Foundation
import XCTest

@testable import BarluaCore

final class PCIBarTests: XCTestCase {
  func testDecodesEachFlag() throws {
    // Flags as real kernels print them.
    let mem64 = try XCTUnwrap(
      PCIBar(index: 0, start: 0x40_0000_0000, end: 0x40_0007_FFFF, flags: 0x14_0204))
    XCTAssertEqual(
      mem64,
      PCIBar(
        index: 0, base: 0x40_0000_0000, size: 0x80000, io: false, prefetchable: false, is64: true))

    let prefetch64 = try XCTUnwrap(
      PCIBar(index: 2, start: 0x387f_fff0_0000, end: 0x387f_fff1_ffff, flags: 0x14_220c))
    XCTAssertEqual(
      prefetch64,
      PCIBar(
        index: 2, base: 0x387f_fff0_0000, size: 0x20000, io: false, prefetchable: true, is64: true))

    let mem32 = try XCTUnwrap(
      PCIBar(index: 1, start: 0xfebd_1000, end: 0xfebd_1fff, flags: 0x4_0200))
    XCTAssertEqual(
      mem32,
      PCIBar(index: 1, base: 0xfebd_1000, size: 0x1000, io: false, prefetchable: false, is64: false)
    )

    let io = try XCTUnwrap(PCIBar(index: 4, start: 0xc040, end: 0xc05f, flags: 0x4_0101))
    XCTAssertEqual(
      io, PCIBar(index: 4, base: 0xc040, size: 0x20, io: true, prefetchable: false, is64: false))

    XCTAssertNil(PCIBar(index: 3, start: 0, end: 0, flags: 0))
  }

  func testParsesOnlyTheSixBarLines() throws {
    let zero = "0x0000000000000000 0x0000000000000000 0x0000000000000000"
    let text =
      [
        "0x00000000fd000000 0x00000000fdffffff 0x0000000000040200",
        "0x00000000e8000000 0x00000000efffffff 0x000000000014220c",
        zero, zero, zero,
        "0x000000000000c000 0x000000000000c07f 0x0000000000040101",
        "0x00000000fb000000 0x00000000fb07ffff 0x0000000000046200",  // line 6: the ROM
      ].joined(separator: "\n") + "\n"
    let bars = try PCIBar.parseResource(text, path: "resource")
    XCTAssertEqual(bars.map(\.index), [0, 1, 5])
    XCTAssertEqual(bars.map(\.size), [0x100_0000, 0x800_0000, 0x80])
    XCTAssertEqual(bars.map(\.io), [false, false, true])
    XCTAssertEqual(bars.map(\.prefetchable), [false, true, false])
  }

  func testRejectsMalformedLinesNamingTheFile() {
    XCTAssertThrowsError(try PCIBar.parseResource("0x10 0x20\n", path: "/x/resource")) { error in
      XCTAssertEqual(
        "\(error)",
        "unexpected contents in /x/resource: '0x10 0x20' (expected three hex numbers: start end flags)"
      )
    }
  }

  func testLinkSpeedBecomesGigatransfers() {
    XCTAssertEqual(PCILink.gigatransfers("8.0 GT/s PCIe"), 8.0)
    XCTAssertEqual(PCILink.gigatransfers("2.5 GT/s PCIe"), 2.5)
    XCTAssertEqual(PCILink.gigatransfers("5 GT/s"), 5.0)  // kernels before 5.x
    XCTAssertNil(PCILink.gigatransfers("Unknown"))
    XCTAssertNil(PCILink.gigatransfers("Unknown speed"))
  }

  private func fixture(_ name: String) throws -> String {
    let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return try String(contentsOf: url.appendingPathComponent("vfio/\(name)"), encoding: .utf8)
  }

  /// /sys/bus/pci/devices/0000:00:03.0/resource of the build host's virtio-net device: BAR0
  /// 64-bit memory, not prefetchable; the other BARs and the ROM unimplemented.
  func testResourceFileFromARealDevice() throws {
    let bars = try PCIBar.parseResource(try fixture("virtio-net-0000_00_03.0-resource"), path: "resource")
    XCTAssertEqual(
      bars,
      [PCIBar(index: 0, base: 0x40_0010_0000, size: 0x80000, io: false, prefetchable: false, is64: true)])
  }

  /// The test-bed guest's ivshmem-plain (kernel 6.1): 13 lines (BARs, ROM, then bridge
  /// windows); BAR0 registers, BAR2 64-bit prefetchable memory.
  func testPrefetchableBarFromTheGuestsIvshmem() throws {
    let bars = try PCIBar.parseResource(try fixture("guest-6.1-ivshmem-resource"), path: "resource")
    XCTAssertEqual(bars.map(\.index), [0, 2])
    XCTAssertEqual(bars[0].size, 0x100)
    XCTAssertFalse(bars[0].prefetchable)
    XCTAssertEqual(bars[1].base, 0xfe00_0000)
    XCTAssertEqual(bars[1].size, 0x40_0000)
    XCTAssertTrue(bars[1].prefetchable)
    XCTAssertTrue(bars[1].is64)
  }
}
