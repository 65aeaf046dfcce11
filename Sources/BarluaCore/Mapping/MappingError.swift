/// Mapping requests that cannot be carried out, as facts a program words its own way (the Lua
/// bindings word them in `LuaWording`, naming the Lua call that helps).
public enum MappingError: Error, Equatable, Sendable {
  /// The kernel exposes no `resourceN` files for the device at `addr` (`path` is the one
  /// looked for): map the BAR through VFIO instead.
  case noResourceFiles(addr: PCIAddress, path: String)
  /// A character or block device has no size: the caller must give one.
  case deviceFileWithoutSize(path: String)

  // sysfs resource files
  /// A BAR number outside 0...5.
  case barOutOfRange(bar: Int)
  /// The device has no BAR `bar`; `implemented` lists the BARs it has.
  case noBar(addr: PCIAddress, bar: Int, implemented: [Int])
  /// BAR `bar` is an I/O port BAR.
  case ioPortBar(addr: PCIAddress, bar: Int)
  /// No `resourceN_wc` file at `path`: the BAR is not prefetchable, or the kernel has no such
  /// file for it.
  case noWriteCombiningFile(path: String, bar: Int, prefetchable: Bool)

  // files and every mapping
  /// A mapping of 0 bytes was asked of `path`.
  case emptyMapping(path: String)
  /// `offset` + `size` is past what mmap can take.
  case rangeTooLarge(path: String, offset: UInt64, size: UInt64)
  /// `path` is a directory.
  case directory(path: String)
  /// `path` is neither a regular file nor a device.
  case notMappableFile(path: String)
  /// `offset` + `size` runs past the end of the file of `fileSize` bytes.
  case beyondFile(path: String, offset: UInt64, size: UInt64, fileSize: UInt64)
  /// The file is empty.
  case emptyFile(path: String)
  /// `offset` is at or past the end of the file.
  case offsetPastEnd(path: String, offset: UInt64, fileSize: UInt64)
  /// A size of 0 was given for `path`.
  case zeroSize(path: String)

  // VFIO regions (`region` is its name: "BAR0", "ROM", ...)
  /// The region has size 0.
  case regionNotImplemented(region: String)
  /// The kernel did not set VFIO_REGION_INFO_FLAG_MMAP.
  case regionNotMappable(region: String)
  /// `offset` is at or past the end of the region of `size` bytes.
  case offsetOutsideRegion(region: String, offset: UInt64, size: UInt64)
  /// A size of 0 at `offset`.
  case emptyRegionRange(region: String, offset: UInt64)
  /// `offset` + `length` runs past the end of the region.
  case beyondRegion(region: String, offset: UInt64, length: UInt64, size: UInt64)
  /// The range is not inside one of the region's mmap-able `areas` (sparse capability).
  case outsideSparseAreas(region: String, offset: UInt64, length: UInt64, areas: [VFIORegion.Area])
}
