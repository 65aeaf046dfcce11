#if canImport(Glibc)
  import Glibc
#endif

extension Mapping {
  /// Maps BAR `bar` of the device at `addr` through `/sys/bus/pci/devices/ADDR/resourceN`
  /// (uncached) or `resourceN_wc` (write-combining; the kernel creates it only for
  /// prefetchable memory BARs). `writable` false maps it read-only.
  public static func mapSysfs(
    _ addr: PCIAddress, bar: Int, writeCombining: Bool = false, writable: Bool = true,
    sysfs: PCISysfs = PCISysfs()
  ) throws -> Mapping {
    guard (0...5).contains(bar) else { throw MappingError.barOutOfRange(bar: bar) }
    let info = try sysfs.device(addr, names: false)
    guard let b = info.bar(bar) else {
      throw MappingError.noBar(addr: addr, bar: bar, implemented: info.bars.map(\.index))
    }
    if b.io {
      throw MappingError.ioPortBar(addr: addr, bar: bar)
    }
    let dir = sysfs.path(addr)
    let path = "\(dir)/resource\(bar)\(writeCombining ? "_wc" : "")"
    let plain = "\(dir)/resource\(bar)"
    if access(plain, F_OK) != 0 {
      throw MappingError.noResourceFiles(addr: addr, path: plain)
    }
    if writeCombining, access(path, F_OK) != 0 {
      throw MappingError.noWriteCombiningFile(path: path, bar: bar, prefetchable: b.prefetchable)
    }
    let description = Description(
      method: writeCombining ? .sysfsWC : .sysfs, index: bar, base: b.base,
      prefetchable: b.prefetchable, addr: addr.description, path: path)
    return try mapFile(
      path: path, size: b.size, method: description.method, description: description,
      writable: writable)
  }
}
