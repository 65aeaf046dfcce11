import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// The VFIO device features barlua asks about, and why write-combining through VFIO is never
/// offered.
///
/// Only feature numbers that a released kernel's `include/uapi/linux/vfio.h` defines are ever
/// sent (`VFIOFeatures.released`): a number an unmerged patch series proposes can be given to a
/// different feature upstream, and barlua would then be setting that one. Today the list is
/// `VFIO_DEVICE_FEATURE_DMA_BUF` = 11 (6.19; Debian's 7.2 has it): export a BAR range as a
/// dma-buf, which has no `mmap`. VFIO maps every BAR uncached-minus (`pgprot_noncached` in
/// `vfio_pci_core_mmap`), and no released kernel defines a feature that sets a BAR's memory
/// attribute (`VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR` exists only as patch series, numbered 13
/// in some revisions and 14 in others), so write-combining through VFIO is "not offered" on
/// every kernel, whatever the probes say; `pci.map(addr, bar, {wc=true})` is the way.
public struct VFIOFeatures: Sendable, Equatable {
  /// `VFIO_DEVICE_FEATURE_DMA_BUF` (mainline 6.19, include/uapi/linux/vfio.h).
  public static let dmaBuf: UInt32 = 11
  /// Every feature number barlua may send with `VFIO_DEVICE_FEATURE`: each one is defined in a
  /// released kernel's uapi header. `send` refuses any other.
  public static let released: Set<UInt32> = [dmaBuf]

  /// The PROBE answer for `VFIO_DEVICE_FEATURE_DMA_BUF` (GET): 0 when offered, else errno
  /// (ENOTTY before 6.19).
  public var dmaBufErrno: Int32

  public init(dmaBufErrno: Int32) { self.dmaBufErrno = dmaBufErrno }

  /// The kernel exports this device's BARs as dma-bufs.
  public var dmaBufOffered: Bool { dmaBufErrno == 0 }
  /// Write-combining through VFIO: never (see the type's documentation).
  public var writeCombining: Bool { false }

  /// Asks the kernel about every released feature through `send`, which performs one
  /// `VFIO_DEVICE_FEATURE` ioctl on the `{argsz, flags}` header it is given and returns 0 or
  /// the errno. Tests pass a recorder; devices pass the real ioctl.
  public static func probe(send: (inout [UInt32]) -> Int32) -> VFIOFeatures {
    var header: [UInt32] = [
      8, UInt32(BARLUA_VFIO_DEVICE_FEATURE_PROBE | BARLUA_VFIO_DEVICE_FEATURE_GET) | dmaBuf,
    ]
    return VFIOFeatures(dmaBufErrno: send(&header))
  }

  /// One VFIO_DEVICE_FEATURE ioctl on `fd` with `words` (`{argsz, flags, data...}`): 0 or the
  /// errno. A feature number that is not in `released` is never sent: EINVAL, as if the kernel
  /// had refused it. Every VFIO_DEVICE_FEATURE barlua makes goes through here.
  public static func send(fd: Int32, _ words: inout [UInt32]) -> Int32 {
    guard words.count >= 2, words[0] == UInt32(words.count * 4),
      released.contains(featureNumber(words[1]))
    else { return EINVAL }
    let r = words.withUnsafeMutableBytes {
      barlua_ioctl_ptr(fd, BARLUA_VFIO_DEVICE_FEATURE, $0.baseAddress!)
    }
    return r < 0 ? errno : 0
  }

  /// The feature number in a `VFIO_DEVICE_FEATURE` flags word (bits 0-15,
  /// VFIO_DEVICE_FEATURE_MASK).
  public static func featureNumber(_ flags: UInt32) -> UInt32 { flags & 0xffff }
}

/// Why a write-combining VFIO mapping cannot be made, as a fact (the Lua bindings name the
/// Lua call that helps).
public enum VFIOWriteCombiningUnavailable: Error, Equatable, Sendable, CustomStringConvertible {
  /// No released kernel offers it, for BAR `bar` (nil: any BAR) of `addr`.
  case notOffered(addr: String, bar: Int?)

  /// What is missing and why, without advice.
  public static let missingText =
    "write-combining through VFIO is not offered: no released kernel defines a VFIO feature"
    + " that maps a BAR write-combining (VFIO maps BARs uncached-minus; the dma-buf export,"
    + " VFIO_DEVICE_FEATURE_DMA_BUF, has no mmap)"

  public var description: String {
    switch self {
    case .notOffered(let addr, let bar):
      "\(Self.missingText): map "
        + (bar.map { "BAR\($0) of \(addr) through its sysfs resource\($0)_wc file" }
          ?? "a BAR of \(addr) through its sysfs resourceN_wc file")
        + " (prefetchable BARs only), after closing the VFIO device"
    }
  }
}

extension VFIODevice {
  /// The features this device's kernel offers (VFIO_DEVICE_FEATURE with PROBE). Never
  /// throws: a failed probe is the answer.
  public func features() -> VFIOFeatures {
    VFIOFeatures.probe { header in sendFeature(&header) }
  }

  func sendFeature(_ words: inout [UInt32]) -> Int32 {
    guard fd.isOpen else { return EBADF }
    return VFIOFeatures.send(fd: fd.rawValue, &words)
  }

  /// `map(bar, {wc=true})` through VFIO: always refused, naming the reason and the sysfs
  /// alternative. Nothing is sent to the kernel.
  public func mapWriteCombining(bar: Int, offset: UInt64 = 0, size: UInt64? = nil) throws
    -> Mapping
  {
    _ = try mappableRange(bar: bar, offset: offset, size: size)
    throw VFIOWriteCombiningUnavailable.notOffered(addr: addr, bar: bar)
  }
}
