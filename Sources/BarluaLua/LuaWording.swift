import BarluaCore

#if canImport(Glibc)
  import Glibc
#endif

/// Core errors worded for Lua users: the core states facts and causes without Lua; where the
/// remedy is a Lua call, it is named here.
enum LuaWording {
  /// The message for `error`, raised after the function's name.
  static func describe(_ error: Error) -> String {
    switch error {
    case let e as SystemError: describe(e)
    case let e as MappingError: describe(e)
    case let e as VFIODeviceError: describe(e)
    case let e as VFIOAnswerError: describe(e)
    case let e as DMAError: describe(e)
    case let e as DeviceSelectionError: describe(e)
    case let e as VFIOWriteCombiningUnavailable: describe(e)
    case let e as PCILifecycleError: describe(e)
    default: "\(error)"
    }
  }

  static func describe(_ e: SystemError) -> String {
    switch e.cause {
    case .lockdown(let mode, let file)?:
      "\(e.fact): \(SystemCause.lockdownText(mode: mode, file: file)); the kernel log"
        + " (pat.events with debugpat) still works"
    case .mapCountLimit(let count, let limit)?:
      "\(e.fact): \(SystemCause.mapCountText(count: count, limit: limit)): unmap bars you no longer"
        + " use (bar:unmap(), or local b <close> = ...), or raise the limit as root with"
        + " sysctl -w vm.max_map_count=\(limit * 2)"
    case nil where e.call == "mmap" && e.errno == ENOMEM:
      "\(e.fact): the kernel could not find memory or address space for the mapping: map less"
        + " (a {size=}) or unmap bars you no longer use"
    case .noKernelLogDevice?:
      "\(e.fact): \(SystemCause.noKernelLogDeviceText) or read saved text with pat.parse)"
    case .writeRefused(let path, let attribute)?:
      "\(e.fact): \(SystemCause.writeRefusedText(path: path, attribute: attribute))"
        + " (to only read it: {write=false})"
    default: "\(e)"
    }
  }

  static func describe(_ e: MappingError) -> String {
    switch e {
    case .noResourceFiles(let addr, let path):
      "\(path) does not exist: this kernel exposes no sysfs resource files for \(addr)"
        + " (map it through VFIO instead: vfio.open)"
    case .deviceFileWithoutSize(let path): "\(path) is a device file with no size: pass {size=...}"
    case .barOutOfRange(let bar): "bar \(bar) is out of range (0..5)"
    case .noBar(let addr, let bar, let implemented):
      "\(addr) has no BAR\(bar) (implemented: "
        + (implemented.isEmpty ? "none" : implemented.map { "BAR\($0)" }.joined(separator: ", ")) + ")"
    case .ioPortBar(let addr, let bar): "\(addr) BAR\(bar) is an I/O port BAR: it cannot be memory-mapped"
    case .noWriteCombiningFile(let path, let bar, let prefetchable):
      "\(path) does not exist: the kernel offers write-combining only for prefetchable BARs"
        + " (BAR\(bar) is \(prefetchable ? "prefetchable, but this kernel has no _wc file" : "not prefetchable"))"
    case .emptyMapping(let path): "\(path): nothing to map (size 0)"
    case .rangeTooLarge(let path, let offset, let size):
      "\(path): offset 0x\(hex(offset)) + size 0x\(hex(size)) is too large"
    case .directory(let path): "\(path) is a directory: give a file to map"
    case .notMappableFile(let path): "\(path) is not a regular file or device: it cannot be mapped"
    case .beyondFile(let path, let offset, let size, let fileSize):
      "\(path): offset 0x\(hex(offset)) + size 0x\(hex(size)) exceeds the file size 0x\(hex(fileSize))"
    case .emptyFile(let path): "\(path) is empty (0 bytes): nothing to map"
    case .offsetPastEnd(let path, let offset, let fileSize):
      "\(path): offset 0x\(hex(offset)) is past the end of the file (size 0x\(hex(fileSize)))"
    case .zeroSize(let path): "\(path): size 0: nothing to map"
    case .regionNotImplemented(let region): "\(region) is not implemented (size 0)"
    case .regionNotMappable(let region):
      "\(region) cannot be mmap'ed: the kernel did not set VFIO_REGION_INFO_FLAG_MMAP"
        + " (I/O BAR or a BAR smaller than a page?)"
    case .offsetOutsideRegion(let region, let offset, let size):
      "offset 0x\(hex(offset)) is outside \(region) (size 0x\(hex(size)))"
    case .emptyRegionRange(let region, let offset): "size 0 at offset 0x\(hex(offset)) of \(region): nothing to map"
    case .beyondRegion(let region, let offset, let length, let size):
      "offset 0x\(hex(offset)) + size 0x\(hex(length)) exceeds \(region) size 0x\(hex(size))"
    case .outsideSparseAreas(let region, let offset, let length, let areas):
      "offset 0x\(hex(offset)) size 0x\(hex(length)) is not inside an mmap-able area of \(region): "
        + (areas.isEmpty
          ? "it has none"
          : "areas are " + areas.map { "0x\(hex($0.offset))+0x\(hex($0.size))" }.joined(separator: ", "))
    }
  }

  static func describe(_ e: VFIODeviceError) -> String {
    switch e {
    case .closed(let addr): "device \(addr) is closed"
    case .noRegion(let addr, let index, let count):
      "\(addr) has no \(index >= 0 ? VFIORegion.name(index) : "region \(index)"): it reports"
        + " \(count) regions (0-\(count - 1))"
    case .unmappable(let addr, let why): "\(addr) \(describe(why))"
    case .configWidth(let width): "width \(width) is not 1, 2 or 4"
    case .configMisaligned(let offset, let width): "offset 0x\(hex(offset)) is not \(width)-byte aligned"
    case .configBeyond(let offset, let width, let size):
      "offset 0x\(hex(offset)) + \(width) exceeds config space size 0x\(hex(size))"
    case .configValueTooWide(let value, let width): "value 0x\(hex(value)) does not fit in \(width * 8) bits"
    case .configShortTransfer(let call, let path, let offset, let moved, let width):
      "\(call) of \(path) at config offset 0x\(hex(offset)) moved \(moved) of \(width) bytes"
    case .resetUnsupported(let addr): "device \(addr) does not support reset (VFIO_DEVICE_FLAGS_RESET not set)"
    case .irqOutOfRange(let vector, let count):
      "irq: vector \(vector) and count \(count) are out of range (vector >= 0, count 1..64)"
    case .noInterrupts(let addr, let kind, let offered):
      "irq: \(addr) has no \(kind) interrupts (it offers "
        + (offered.isEmpty ? "none" : offered.joined(separator: ", ")) + ")"
    case .vectorsBeyond(let addr, let kind, let vector, let count, let available):
      "irq: vectors \(vector)..\(vector + count - 1) exceed the \(available) \(kind)"
        + " vector\(available == 1 ? "" : "s") \(addr) offers (0..\(available - 1))"
    case .interruptInUse(let addr, let kind, let start, let count):
      "irq: \(addr) \(kind) is already enabled by another irq ("
        + (count == 1 ? "vector \(start)" : "vectors \(start)..\(start + count - 1)") + "): disable it first"
    case .interruptDisabled(let addr, let kind): "\(addr) \(kind) is disabled"
    }
  }

  static func describe(_ e: VFIOAnswerError) -> String {
    switch e {
    case .bufferKeptGrowing(let request, let path):
      "\(request) on \(path): the kernel kept asking for a larger buffer"
    case .regionCapabilityChain(let fault):
      "VFIO_DEVICE_GET_REGION_INFO: malformed capability chain: \(describe(fault))"
    case .regionInfoTooShort(let bytes):
      "VFIO_DEVICE_GET_REGION_INFO: the answer has \(bytes) bytes, fewer than struct vfio_region_info"
    case .iommuInfo(let fault): "VFIO_IOMMU_GET_INFO: malformed answer: \(describe(fault))"
    case .apiVersion(let path, let version, let expected):
      "\(path): VFIO API version \(version), barlua speaks version \(expected)"
    case .noNoIOMMU(let path):
      "\(path): the kernel does not offer VFIO_NOIOMMU_IOMMU: load vfio with"
        + " enable_unsafe_noiommu_mode=1 (needs CONFIG_VFIO_NOIOMMU)"
    case .noType1(let path):
      "\(path): the kernel offers neither VFIO_TYPE1v2_IOMMU nor VFIO_TYPE1_IOMMU: modprobe vfio_iommu_type1"
    }
  }

  static func describe(_ fault: VFIOChainFault) -> String {
    switch fault {
    case .outside(let offset, let bytes): "capability at offset \(offset) lies outside the \(bytes)-byte answer"
    case .loop(let offset): "the chain loops back to offset \(offset)"
    case .sparseCutShort(let offset): "sparse-mmap capability at \(offset) is cut short"
    case .sparseAreasMissing(let offset, let count):
      "sparse-mmap capability at \(offset) claims \(count) areas, the answer holds fewer"
    }
  }

  static func describe(_ fault: IOMMUInfoFault) -> String {
    switch fault {
    case .tooShort(let bytes, let header): "the answer has \(bytes) bytes, less than the \(header)-byte header"
    case .chain(let chain): "capability chain: \(describe(chain))"
    case .rangesCutShort(let offset): "IOVA range capability at \(offset) is cut short"
    case .rangesMissing(let offset, let count):
      "IOVA range capability at \(offset) claims \(count) ranges, the answer holds fewer"
    case .rangeBackwards(let index, let start, let end):
      "IOVA range \(index) starts at 0x\(hex(start)) after its end 0x\(hex(end))"
    }
  }

  static func describe(_ e: DMAError) -> String {
    let ranges = { (valid: [IOVARange]) in valid.map(\.description).joined(separator: ", ") }
    return switch e {
    case .sizeOutOfRange(let size, let maximum): "dma: size \(size) is out of range (1 .. \(maximum), 1 GiB)"
    case .sizeUnmappable(let size): "dma: size \(size) cannot be mapped"
    case .noFreeIOVA(let length, let valid, let mapped):
      "dma: no free IOVA range of \(length) bytes in the container's valid ranges"
        + " (\(ranges(valid))); \(mapped) buffers are mapped: free some"
    case .iovaMisaligned(let iova, let pageSize):
      "dma: iova 0x\(hex(iova)) is not aligned to the IOMMU page size (0x\(hex(pageSize)))"
    case .iovaWraps(let iova, let size): "dma: iova 0x\(hex(iova)) + size \(size) wraps past 2^64"
    case .iovaOutsideValid(let range, let valid):
      "dma: iova range \(range) is not inside one valid IOVA range of the container (\(ranges(valid)))"
    case .iovaOverlaps(let range, let clash): "dma: iova range \(range) overlaps the DMA buffer at \(clash)"
    case .noAllocator: "dma: no IOVA allocator"
    case .iovaInNoIOMMU(let addr, let iova):
      "dma: \(addr) is in no-IOMMU mode: the device uses physical addresses, so an iova"
        + " (0x\(hex(iova))) cannot be chosen; leave it out"
    case .noHugePages(let addr, let size, let pages, let hugePageSize, let pageSize):
      "dma: \(addr) is in no-IOMMU mode: a buffer larger than one page (\(size) bytes) must be"
        + " physically contiguous, which takes huge pages, and \(pages) free huge page"
        + "\(pages == 1 ? "" : "s") of \(hugePageSize / 1024) KiB are not there (HugePages_Free in"
        + " /proc/meminfo): reserve them with `sysctl vm.nr_hugepages=\(pages)` (or"
        + " vm.nr_hugepages in /etc/sysctl.conf), or use buffers of at most \(pageSize) bytes"
    case .notContiguous(let length, let page, let frame, let expected, let hugePageSize):
      "dma: the \(length / 1024) KiB no-IOMMU buffer is not physically contiguous (page \(page)"
        + " is at frame 0x\(hex(frame)), not 0x\(hex(expected))): use buffers of"
        + " at most one huge page (\(hugePageSize / 1024) KiB)"
    case .pagemapShort(let path, let got, let want): "dma: \(path) gave \(got) of \(want) bytes"
    case .pageNotPresent(let page, let path): "dma: page \(page) of the locked buffer is not present (\(path))"
    case .framesHidden(let path):
      "dma: \(path) hides physical addresses from this process (every frame reads"
        + " 0): no-IOMMU DMA needs CAP_SYS_ADMIN to read them: run as root"
    }
  }

  static func describe(_ e: DeviceSelectionError) -> String {
    switch e {
    case .notOne(let matches) where matches.isEmpty: "the filter matches no device (pci.devices() lists them)"
    case .notOne(let matches):
      "the filter matches \(matches.count) devices, it must match one: "
        + matches.map { entry in
          switch entry {
          case .readable(let d):
            "\(d.addr) \(hex(d.vendor, width: 4)):\(hex(d.device, width: 4)) \(d.driver ?? "no driver")"
          case .unreadable(let bad): "\(bad.addr) (unreadable: \(bad.problem))"
          }
        }.joined(separator: "; ")
    }
  }

  static func describe(_ e: VFIOWriteCombiningUnavailable) -> String {
    switch e {
    case .notOffered(let addr, let bar):
      "\(VFIOWriteCombiningUnavailable.missingText): use pci.map(\"\(addr)\","
        + " \(bar.map(String.init) ?? "bar"), {wc=true}) on a prefetchable BAR, after closing the"
        + " VFIO device"
    }
  }

  static func describe(_ e: PCILifecycleError) -> String {
    switch e {
    case .inUse(_, _, let evidence) where !evidence.contains(where: \.blocksEvenWhenForced):
      "\(e) (stop using it first, or pass {force=true} if you know it is safe)"
    case .hotResetUnheld:
      "\(e) (vfio.open each; pci.reset(addr, {method=\"bus\"}) resets through sysfs instead)"
    default: "\(e)"
    }
  }
}
