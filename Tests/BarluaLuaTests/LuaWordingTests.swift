import BarluaCore
import Foundation
import XCTest

@testable import BarluaLua

/// The core states causes without Lua; the bindings name the Lua call that helps.
final class LuaWordingTests: XCTestCase {
  static let luaNames = [
    "pci.map", "pci.devices", "vfio.open", "pat.events", "pat.parse", "device:map", "{size=", "{write=", "mmio.map",
  ]

  func testCoreWordingHasNoLuaAndLuaWordingNamesTheCall() {
    let addr = try! PCIAddress("0000:00:02.0")
    let cases: [(Error, String)] = [
      (
        SystemError("open", path: "/x", errno: EPERM, cause: .lockdown(mode: "integrity", file: "/l")),
        "the kernel log (pat.events with debugpat) still works"
      ),
      (
        SystemError("open", path: "/dev/kmsg", errno: ENOENT, cause: .noKernelLogDevice),
        "or read saved text with pat.parse)"
      ),
      (MappingError.noResourceFiles(addr: addr, path: "/r/resource0"), "(map it through VFIO instead: vfio.open)"),
      (
        SystemError("mmap", path: "/f", errno: ENOMEM, cause: .mapCountLimit(count: 65520, limit: 65530)),
        "unmap bars you no longer use (bar:unmap(), or local b <close> = ...)"
      ),
      (MappingError.deviceFileWithoutSize(path: "/dev/mem"), "/dev/mem is a device file with no size: pass {size=...}"),
      (
        SystemError("open", path: "/f", errno: EACCES, cause: .writeRefused(path: "/f", attribute: nil)),
        "the file needs to be readable and writable by you (to only read it: {write=false})"
      ),
      (
        SystemError("open", path: "/f", errno: EPERM, cause: .writeRefused(path: "/f", attribute: .appendOnly)),
        "remove the flag with chattr -a /f if it should be mapped writable (to only read it: {write=false})"
      ),
      (
        VFIOWriteCombiningUnavailable.notOffered(addr: "0000:00:02.0", bar: 2),
        "use pci.map(\"0000:00:02.0\", 2, {wc=true}) on a prefetchable BAR, after closing the VFIO device"
      ),
    ]
    for (error, lua) in cases {
      let core = "\(error)"
      for name in Self.luaNames { XCTAssertFalse(core.contains(name), core) }
      XCTAssertTrue(LuaWording.describe(error).contains(lua), LuaWording.describe(error))
    }
    let causes: [SystemCause] = [
      .lockdown(mode: "integrity", file: "/l"), .debugfsNotMounted(path: "/d"), .noPATMemtypeList, .rootOnly,
      .dmesgRestricted, .kernelLogDenied, .noKernelLogDevice, .noPrintk, .mapCountLimit(count: 65520, limit: 65530),
      .writeRefused(path: "/f", attribute: nil), .writeRefused(path: "/f", attribute: .immutable),
      .writeRefused(path: "/f", attribute: .appendOnly),
    ]
    for cause in causes {
      for name in Self.luaNames { XCTAssertFalse(cause.description.contains(name), cause.description) }
    }
  }

  /// The words of the core's facts, exactly (the texts BarluaCoreTests checked before the
  /// core returned facts; the core tests now check the facts themselves).
  func testCoreFactsAreWordedOnce() throws {
    let addr = try PCIAddress("0000:15:00.0")
    let areas = [VFIORegion.Area(offset: 0, size: 0x1000), VFIORegion.Area(offset: 0x3000, size: 0xd000)]
    let q35 = [IOVARange(first: 0, last: 0xfedf_ffff), IOVARange(first: 0xfef0_0000, last: 0x7f_ffff_ffff)]
    let held = IOVARange(first: 0x4000_0000, last: 0x4000_1fff)
    let cases: [(Error, String)] = [
      (
        MappingError.noBar(addr: addr, bar: 1, implemented: [0, 2, 4]),
        "0000:15:00.0 has no BAR1 (implemented: BAR0, BAR2, BAR4)"
      ),
      (MappingError.noBar(addr: addr, bar: 1, implemented: []), "0000:15:00.0 has no BAR1 (implemented: none)"),
      (MappingError.barOutOfRange(bar: 6), "bar 6 is out of range (0..5)"),
      (
        MappingError.noWriteCombiningFile(path: "/d/resource0_wc", bar: 0, prefetchable: false),
        "/d/resource0_wc does not exist: the kernel offers write-combining only for prefetchable BARs"
          + " (BAR0 is not prefetchable)"
      ),
      (
        MappingError.noWriteCombiningFile(path: "/d/resource2_wc", bar: 2, prefetchable: true),
        "/d/resource2_wc does not exist: the kernel offers write-combining only for prefetchable BARs"
          + " (BAR2 is prefetchable, but this kernel has no _wc file)"
      ),
      (MappingError.regionNotImplemented(region: "BAR3"), "BAR3 is not implemented (size 0)"),
      (
        MappingError.regionNotMappable(region: "BAR2"),
        "BAR2 cannot be mmap'ed: the kernel did not set VFIO_REGION_INFO_FLAG_MMAP (I/O BAR or a BAR smaller than a page?)"
      ),
      (
        MappingError.offsetOutsideRegion(region: "BAR0", offset: 0x10_0000, size: 0x10_0000),
        "offset 0x100000 is outside BAR0 (size 0x100000)"
      ),
      (
        MappingError.beyondRegion(region: "BAR0", offset: 0xff000, length: 0x2000, size: 0x10_0000),
        "offset 0xff000 + size 0x2000 exceeds BAR0 size 0x100000"
      ),
      (
        MappingError.beyondRegion(region: "BAR0", offset: 0x1000, length: UInt64.max, size: 0x10_0000),
        "offset 0x1000 + size 0xffffffffffffffff exceeds BAR0 size 0x100000"
      ),
      (MappingError.emptyRegionRange(region: "BAR0", offset: 0), "size 0 at offset 0x0 of BAR0: nothing to map"),
      (
        MappingError.outsideSparseAreas(region: "BAR0", offset: 0x2000, length: 0x1000, areas: areas),
        "offset 0x2000 size 0x1000 is not inside an mmap-able area of BAR0: areas are 0x0+0x1000, 0x3000+0xd000"
      ),
      (
        MappingError.outsideSparseAreas(region: "BAR1", offset: 0, length: 0x1000, areas: []),
        "offset 0x0 size 0x1000 is not inside an mmap-able area of BAR1: it has none"
      ),
      (
        VFIODeviceError.unmappable(addr: "0000:00:03.0", .regionNotImplemented(region: "BAR3")),
        "0000:00:03.0 BAR3 is not implemented (size 0)"
      ),
      (VFIODeviceError.closed(addr: "0000:00:03.0"), "device 0000:00:03.0 is closed"),
      (
        VFIODeviceError.noRegion(addr: "0000:00:03.0", index: 9, count: 9),
        "0000:00:03.0 has no region 9: it reports 9 regions (0-8)"
      ),
      (
        VFIOAnswerError.regionCapabilityChain(.sparseAreasMissing(offset: 32, count: 2)),
        "VFIO_DEVICE_GET_REGION_INFO: malformed capability chain: sparse-mmap capability at 32 claims 2 areas,"
          + " the answer holds fewer"
      ),
      (
        VFIOAnswerError.regionCapabilityChain(.outside(offset: 80, answerBytes: 80)),
        "VFIO_DEVICE_GET_REGION_INFO: malformed capability chain: capability at offset 80 lies outside the 80-byte answer"
      ),
      (
        VFIOAnswerError.regionCapabilityChain(.loop(offset: 32)),
        "VFIO_DEVICE_GET_REGION_INFO: malformed capability chain: the chain loops back to offset 32"
      ),
      (
        VFIOAnswerError.regionInfoTooShort(bytes: 16),
        "VFIO_DEVICE_GET_REGION_INFO: the answer has 16 bytes, fewer than struct vfio_region_info"
      ),
      (
        VFIOAnswerError.iommuInfo(.tooShort(bytes: 20, header: 24)),
        "VFIO_IOMMU_GET_INFO: malformed answer: the answer has 20 bytes, less than the 24-byte header"
      ),
      (
        VFIOAnswerError.iommuInfo(.rangesMissing(offset: 24, count: 1000)),
        "VFIO_IOMMU_GET_INFO: malformed answer: IOVA range capability at 24 claims 1000 ranges, the answer holds fewer"
      ),
      (
        VFIOAnswerError.iommuInfo(.chain(.loop(offset: 24))),
        "VFIO_IOMMU_GET_INFO: malformed answer: capability chain: the chain loops back to offset 24"
      ),
      (
        VFIOAnswerError.iommuInfo(.chain(.outside(offset: 4000, answerBytes: 100))),
        "VFIO_IOMMU_GET_INFO: malformed answer: capability chain: capability at offset 4000 lies outside the"
          + " 100-byte answer"
      ),
      (
        VFIOAnswerError.iommuInfo(.rangeBackwards(index: 0, start: 0x2000, end: 0x1000)),
        "VFIO_IOMMU_GET_INFO: malformed answer: IOVA range 0 starts at 0x2000 after its end 0x1000"
      ),
      (
        VFIOAnswerError.bufferKeptGrowing(request: "VFIO_DEVICE_GET_REGION_INFO(BAR0)", path: "/dev/vfio/devices/x"),
        "VFIO_DEVICE_GET_REGION_INFO(BAR0) on /dev/vfio/devices/x: the kernel kept asking for a larger buffer"
      ),
      (
        DMAError.iovaOverlaps(range: IOVARange(first: 0x4000_1000, last: 0x4000_1fff), clash: held),
        "dma: iova range 0x40001000-0x40001fff overlaps the DMA buffer at 0x40000000-0x40001fff"
      ),
      (
        DMAError.iovaMisaligned(iova: 0x4000_0800, pageSize: 0x1000),
        "dma: iova 0x40000800 is not aligned to the IOMMU page size (0x1000)"
      ),
      (
        DMAError.iovaOutsideValid(range: IOVARange(first: 0xfee0_0000, last: 0xfee0_0fff), valid: q35),
        "dma: iova range 0xfee00000-0xfee00fff is not inside one valid IOVA range of the container"
          + " (0x0-0xfedfffff, 0xfef00000-0x7fffffffff)"
      ),
      (
        DMAError.iovaWraps(iova: 0xffff_ffff_ffff_f000, size: 8192),
        "dma: iova 0xfffffffffffff000 + size 8192 wraps past 2^64"
      ),
      (
        DMAError.noFreeIOVA(length: 4096, valid: [IOVARange(first: 0, last: 0x10_3fff)], mapped: 1),
        "dma: no free IOVA range of 4096 bytes in the container's valid ranges (0x0-0x103fff); 1 buffers are mapped:"
          + " free some"
      ),
    ]
    for (error, words) in cases {
      XCTAssertEqual(LuaWording.describe(error), words)
      for name in Self.luaNames { XCTAssertFalse(LuaWording.describe(error).contains(name), words) }
    }
  }

  /// The core's own error for a file nobody may write, as the core builds it (not a case
  /// written here): a program using BarluaCore reads no Lua in it; the Lua wording names
  /// {write=false}.
  func testRefusedWriteFromTheCoreHasNoLua() throws {
    let path = try readOnlyFile(Data(count: 4096))
    XCTAssertThrowsError(try Mapping.mapFile(path: path)) { error in
      let core = "\(error)"
      for name in Self.luaNames { XCTAssertFalse(core.contains(name), core) }
      XCTAssertTrue(core.hasSuffix(" (or map it read-only)"), core)
      let attribute: FileAttribute? = geteuid() == 0 ? .immutable : nil
      XCTAssertEqual((error as? SystemError)?.cause, .writeRefused(path: path, attribute: attribute))
      let lua = LuaWording.describe(error)
      XCTAssertTrue(lua.hasSuffix(" (to only read it: {write=false})"), lua)
    }
    XCTAssertEqual(try Mapping.mapFile(path: path, writable: false).size, 4096)
  }
}
