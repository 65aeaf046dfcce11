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
    guard (0...5).contains(bar) else { throw UsageError("bar \(bar) is out of range (0..5)") }
    let info = try sysfs.device(addr)
    guard let b = info.bar(bar) else {
      let present = info.bars.map { "BAR\($0.index)" }.joined(separator: ", ")
      throw UsageError(
        "\(addr) has no BAR\(bar) (implemented: \(present.isEmpty ? "none" : present))")
    }
    if b.io {
      throw UsageError("\(addr) BAR\(bar) is an I/O port BAR: it cannot be memory-mapped")
    }
    let dir = sysfs.path(addr)
    let path = "\(dir)/resource\(bar)\(writeCombining ? "_wc" : "")"
    let plain = "\(dir)/resource\(bar)"
    if access(plain, F_OK) != 0 {
      throw MappingError.noResourceFiles(addr: addr, path: plain)
    }
    if writeCombining, access(path, F_OK) != 0 {
      throw UsageError(
        "\(path) does not exist: the kernel offers write-combining only for prefetchable BARs"
          + " (BAR\(bar) is \(b.prefetchable ? "prefetchable, but this kernel has no _wc file" : "not prefetchable"))"
      )
    }
    let description = Description(
      method: writeCombining ? .sysfsWC : .sysfs, index: bar, base: b.base,
      prefetchable: b.prefetchable, addr: addr.description, path: path)
    return try mapFile(
      path: path, size: b.size, method: description.method, description: description,
      writable: writable)
  }
}
