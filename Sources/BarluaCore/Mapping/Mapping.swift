import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// One mmap'ed window onto device (or file) memory.
///
/// A `Mapping` owns the `mmap` and the `barlua_window` that accessors read through. `unmap()`
/// is idempotent: it clears the window first (so any bar pointing at it refuses further use),
/// then calls `munmap`. Whoever holds the last reference owns the mapping; a VFIO device also
/// keeps its mappings so that closing the device unmaps them. `DMABuffer` is a Mapping of
/// anonymous memory that a device reads and writes, so every bar method serves it too.
public class Mapping: @unchecked Sendable {
  /// How the memory was mapped; the raw values are what Lua's `bar.method` shows.
  public enum Method: String, Sendable {
    case vfio
    case vfioWC = "vfio-wc"
    case sysfs
    case sysfsWC = "sysfs-wc"
    case file
    case dma
  }

  /// Describes a mapping for people and for `tostring(bar)`.
  public struct Description: Sendable {
    public var method: Method
    /// BAR number, nil for files.
    public var index: Int?
    /// Physical address of the mapped range, when known.
    public var base: UInt64?
    public var prefetchable: Bool?
    /// PCI address of the device, nil for files.
    public var addr: String?
    /// File the mapping came from (resource file, VFIO device fd path, regular file).
    public var path: String
  }

  public let window: UnsafeMutablePointer<barlua_window>
  public let size: UInt64
  public let info: Description
  /// False for a read-only mapping (`PROT_READ`): the Lua bar refuses every write to it.
  public let writable: Bool
  private var region: UnsafeMutableRawPointer?
  private let regionLength: Int

  /// Maps `size` bytes of `fd` at `offset` shared, read/write (or read-only when `writable` is
  /// false: `fd` then need only be open for reading). `offset` need not be page-aligned: the
  /// page-aligned range around it is mapped and the window starts inside it.
  public init(
    fd: Int32, offset: UInt64, size: UInt64, info: Description, writable: Bool = true
  ) throws {
    guard size > 0 else {
      throw MappingError.emptyMapping(path: info.path)
    }
    guard size <= UInt64(Int.max) / 2, offset <= UInt64(Int64.max) - size else {
      throw MappingError.rangeTooLarge(path: info.path, offset: offset, size: size)
    }
    let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
    let alignedOffset = offset & ~(page - 1)
    let delta = offset - alignedOffset
    let length = Int(delta + size)
    let prot = writable ? PROT_READ | PROT_WRITE : PROT_READ
    // barlua_mmap keeps the heap able to grow at vm.max_map_count (barlua_heap_reserve.h): a
    // mapping that would leave the process past the limit fails with ENOMEM, and on ENOMEM the
    // heap reserve is free again before any text is allocated.
    let p = barlua_mmap(length, prot, MAP_SHARED, fd, off_t(alignedOffset))
    guard let p, p != MAP_FAILED else {
      let e = errno
      throw Mapping.explained(SystemError("mmap", path: info.path, errno: e), info, writable: writable)
    }
    region = p
    regionLength = length
    self.size = size
    self.info = info
    self.writable = writable
    window = .allocate(capacity: 1)
    window.initialize(
      to: barlua_window(
        base: p.advanced(by: Int(delta)).assumingMemoryBound(to: UInt8.self), size: size))
    _ = barlua_guard_install()
  }

  /// Adopts memory a subclass has already mapped (anonymous DMA memory): `length` bytes at
  /// `region`, of which the first `size` are seen through the window.
  init(adopting region: UnsafeMutableRawPointer, length: Int, size: UInt64, info: Description) {
    self.region = region
    regionLength = length
    writable = true
    self.size = size
    self.info = info
    window = .allocate(capacity: 1)
    window.initialize(
      to: barlua_window(base: region.assumingMemoryBound(to: UInt8.self), size: size))
    _ = barlua_guard_install()
  }

  public var isMapped: Bool { region != nil }

  /// Unmaps; later accesses through the window are refused. Safe to call more than once.
  public func unmap() {
    window.pointee.base = nil
    window.pointee.size = 0
    if let region {
      munmap(region, regionLength)
      self.region = nil
    }
  }

  deinit {
    unmap()
    window.deinitialize(count: 1)
    window.deallocate()
  }

  /// `error`, a failed `open` or `mmap` of `info.path`, with what barlua knows of its cause:
  /// a structured `cause` where a program may act on it, a `hint` in words otherwise.
  static func explained(_ error: SystemError, _ info: Description, writable: Bool) -> SystemError {
    guard let e = error.errno else { return error }
    var error = error
    switch (e, info.method) {
    case (EINVAL, .sysfs), (EINVAL, .sysfsWC):
      error.hint =
        "another driver owns this range (e.g. the device is open through VFIO;"
        + " CONFIG_IO_STRICT_DEVMEM): close it or unbind the driver first"
    case (EPERM, .sysfs), (EPERM, .sysfsWC), (EACCES, .sysfs), (EACCES, .sysfsWC):
      error.hint =
        "run as root; under Secure Boot the kernel lockdown forbids mapping PCI resource"
        + " files (see /sys/kernel/security/lockdown)"
    case (ENODEV, _):
      error.hint = "this file cannot be memory-mapped"
    case (EPERM, .file), (EACCES, .file):
      // An immutable or append-only file refuses writing even to root: say so, not "permissions".
      let attribute = FileAttribute.refusingWrites(info.path)
      if writable {
        error.cause = .writeRefused(path: info.path, attribute: attribute)
      } else {
        error.hint = attribute?.text(path: info.path) ?? "the file needs to be readable by you"
      }
    case (ENOMEM, _):
      error.hint =
        "the kernel could not find memory or address space for the mapping: map less or"
        + " unmap mappings you no longer use"
      if error.call == "mmap" { error.cause = mapCountCause() }
    default:
      break
    }
    return error
  }

  /// mmap's ENOMEM when the process has as many mappings as vm.max_map_count allows.
  static func mapCountCause() -> SystemCause? {
    guard let limit = readInteger("/proc/sys/vm/max_map_count"),
      case let lines = barlua_count_lines("/proc/self/maps"), lines >= 0,
      case let count = Int(lines), count + 16 >= limit
    else { return nil }
    return .mapCountLimit(count: count, limit: limit)
  }

  private static func readInteger(_ path: String) -> Int? {
    guard let text = try? SystemFile.readText(path, limit: 32) else { return nil }
    return Int(text.trimmingSpaces())
  }
}

extension String {
  fileprivate func trimmingSpaces() -> String {
    var s = Substring(self)
    while let c = s.first, c == " " || c == "\n" || c == "\t" { s = s.dropFirst() }
    while let c = s.last, c == " " || c == "\n" || c == "\t" { s = s.dropLast() }
    return String(s)
  }
}
