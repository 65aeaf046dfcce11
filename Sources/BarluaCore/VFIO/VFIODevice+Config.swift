import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// The VFIO config region (`VFIO_PCI_CONFIG_REGION_INDEX`) as a `PCIConfigSpace`: `pread` /
/// `pwrite` on the device fd at the region's offset. Usable while the device is open.
final class VFIOConfigRegion: PCIConfigBackend {
  let device: VFIODevice
  let base: UInt64

  init(device: VFIODevice, base: UInt64) {
    self.device = device
    self.base = base
  }

  var isOpen: Bool { device.isOpen }
  func close() {}

  func read(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
    var n: Int
    repeat {
      n = pread(device.fd.rawValue, buffer.baseAddress, buffer.count, off_t(base + UInt64(offset)))
    } while n < 0 && errno == EINTR
    if n < 0 { throw SystemError.current("pread config 0x\(hex(offset))", path: device.fd.path) }
    return n
  }

  func write(_ buffer: UnsafeRawBufferPointer, at offset: Int) throws -> Int {
    var n: Int
    repeat {
      n = pwrite(device.fd.rawValue, buffer.baseAddress, buffer.count, off_t(base + UInt64(offset)))
    } while n < 0 && errno == EINTR
    if n < 0 { throw SystemError.current("pwrite config 0x\(hex(offset))", path: device.fd.path) }
    return n
  }
}

extension VFIODevice {
  /// The device's config space through VFIO (the kernel's virtualised view: vfio-pci shows
  /// the capabilities and hides or emulates some registers). Closing the device ends it.
  public func configSpace(writable: Bool) throws -> PCIConfigSpace {
    try checkOpen()
    let region = try region(Int(BARLUA_VFIO_PCI_CONFIG_REGION_INDEX))
    let size = Int(min(region.size, 4096))
    return PCIConfigSpace(
      backend: VFIOConfigRegion(device: self, base: region.offset),
      path: "VFIO device \(addr) config region", size: size, fullSize: size, writable: writable)
  }
}
