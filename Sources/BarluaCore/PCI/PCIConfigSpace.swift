#if canImport(Glibc)
  import Glibc
#endif

/// Where config-space bytes come from: the sysfs `config` file, a VFIO device's config region,
/// or bytes in memory (fixtures). Each transfer is one `pread`/`pwrite` of exactly the bytes
/// asked for; `PCIConfigSpace` has checked the offset, width and size before.
public protocol PCIConfigBackend: AnyObject {
  /// Reads `buffer.count` bytes at `offset`; returns how many were read.
  func read(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int
  /// Writes `buffer` at `offset`; returns how many were written.
  func write(_ buffer: UnsafeRawBufferPointer, at offset: Int) throws -> Int
  /// Whether the source can still be used (a VFIO device closes under the object).
  var isOpen: Bool { get }
  func close()
}

/// A device's configuration space: 8/16/32-bit little-endian reads and writes checked against
/// the size this user may access, and the capability walk (`PCICapability.swift`).
///
/// Never mapped: every access is one `pread`/`pwrite` (the kernel turns it into config cycles
/// of that width, under its own lock).
public final class PCIConfigSpace: @unchecked Sendable {
  /// What errors name: the sysfs path, or `VFIO device ADDR config region`.
  public let path: String
  /// The bytes this user may access (sysfs: 64 or 128 for non-root, else 256 or 4096).
  public let size: Int
  /// The device's whole config space (256 or 4096).
  public let fullSize: Int
  public let writable: Bool
  private let backend: PCIConfigBackend

  public init(backend: PCIConfigBackend, path: String, size: Int, fullSize: Int, writable: Bool) {
    self.backend = backend
    self.path = path
    self.size = size
    self.fullSize = max(fullSize, size)
    self.writable = writable
  }

  /// Config space held in memory (a fixture, a saved dump): `bytes.count` is its size, capped
  /// at 4096.
  public convenience init(bytes: [UInt8], path: String = "config bytes", writable: Bool = false) {
    let backend = PCIConfigBytes(Array(bytes.prefix(4096)))
    self.init(
      backend: backend, path: path, size: backend.bytes.count, fullSize: backend.bytes.count,
      writable: writable)
  }

  /// The sysfs `config` file of `addr` under `sysfs` (`open(2)` read-only, or read-write with
  /// `writable`). The size is what the kernel lets this user read: it gives non-root readers
  /// only the first 64 bytes (128 for CardBus bridges) and ends the file there.
  public static func open(_ addr: PCIAddress, sysfs: PCISysfs = PCISysfs(), writable: Bool = false) throws
    -> PCIConfigSpace
  {
    guard try sysfs.exists(addr) else { throw PCIError.noDevice(addr, root: sysfs.root) }
    let path = "\(sysfs.path(addr))/config"
    let fd = try FileDescriptor.open(path, flags: writable ? O_RDWR : O_RDONLY) { e in
      e == EACCES || e == EPERM
        ? (writable ? "writing config space needs root" : SysfsFiles.permissionHint) : nil
    }
    var st = stat()
    guard fstat(fd.rawValue, &st) == 0 else { throw SystemError.current("fstat", path: path) }
    let backend = PCIConfigFile(fd)
    let fileSize = min(max(Int(st.st_size), 0), 4096)
    // A regular file (a fixture) is read whole; sysfs ends the file early for non-root.
    var size = fileSize
    for candidate in [fileSize, 128, 64] where candidate > 0 && candidate <= fileSize {
      size = candidate
      if try backend.readable(at: candidate - 1) { break }
    }
    return PCIConfigSpace(backend: backend, path: path, size: size, fullSize: fileSize, writable: writable)
  }

  public var isOpen: Bool { backend.isOpen }

  public func close() { backend.close() }

  private func check(_ offset: Int, _ width: Int) throws {
    guard backend.isOpen else { throw PCIConfigError.closed(path: path) }
    guard width == 1 || width == 2 || width == 4 else { throw PCIConfigError.badWidth(width: width) }
    guard offset >= 0, offset % width == 0 else { throw PCIConfigError.misaligned(offset: offset, width: width) }
    guard offset <= size - width else {
      throw PCIConfigError.outOfRange(offset: offset, width: width, size: size, fullSize: fullSize, path: path)
    }
  }

  /// Reads `width` (1, 2 or 4) bytes at `offset`, little-endian.
  public func read(_ offset: Int, width: Int) throws -> UInt32 {
    try check(offset, width)
    var value: UInt32 = 0
    let n = try withUnsafeMutableBytes(of: &value) {
      try backend.read(UnsafeMutableRawBufferPointer(rebasing: $0[0..<width]), at: offset)
    }
    guard n == width else {
      throw PCIConfigError.shortTransfer(call: "pread", path: path, offset: offset, moved: n, width: width)
    }
    return UInt32(littleEndian: value)
  }

  /// Writes the low `width` bytes of `value` at `offset`, little-endian.
  public func write(_ offset: Int, width: Int, value: UInt32) throws {
    try check(offset, width)
    guard writable else { throw PCIConfigError.readOnly(path: path) }
    var le = value.littleEndian
    let n = try withUnsafeBytes(of: &le) {
      try backend.write(UnsafeRawBufferPointer(rebasing: $0[0..<width]), at: offset)
    }
    guard n == width else {
      throw PCIConfigError.shortTransfer(call: "pwrite", path: path, offset: offset, moved: n, width: width)
    }
  }

  public func read8(_ offset: Int) throws -> UInt8 { UInt8(try read(offset, width: 1)) }
  public func read16(_ offset: Int) throws -> UInt16 { UInt16(try read(offset, width: 2)) }
  public func read32(_ offset: Int) throws -> UInt32 { try read(offset, width: 4) }

  /// Read-modify-write of the bits in `mask` of the `width`-byte register at `offset`; returns
  /// the value before.
  @discardableResult
  public func update(_ offset: Int, width: Int, mask: UInt32, to bits: UInt32) throws -> UInt32 {
    let before = try read(offset, width: width)
    try write(offset, width: width, value: (before & ~mask) | (bits & mask))
    return before
  }
}

/// The sysfs `config` file (or any file): `pread`/`pwrite`, EINTR retried.
final class PCIConfigFile: PCIConfigBackend {
  let fd: FileDescriptor
  init(_ fd: FileDescriptor) { self.fd = fd }

  var isOpen: Bool { fd.isOpen }
  func close() { fd.close() }

  func read(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
    var n: Int
    repeat { n = pread(fd.rawValue, buffer.baseAddress, buffer.count, off_t(offset)) } while n < 0 && errno == EINTR
    if n < 0 { throw SystemError.current("pread config 0x\(hex(offset))", path: fd.path) }
    return n
  }

  func write(_ buffer: UnsafeRawBufferPointer, at offset: Int) throws -> Int {
    var n: Int
    repeat { n = pwrite(fd.rawValue, buffer.baseAddress, buffer.count, off_t(offset)) } while n < 0 && errno == EINTR
    if n < 0 {
      let e = errno
      let hint = e == EPERM ? "writing config space needs root, and kernel lockdown forbids it" : nil
      throw SystemError("pwrite config 0x\(hex(offset))", path: fd.path, errno: e, hint: hint)
    }
    return n
  }

  /// Whether one byte at `offset` can be read (sysfs returns 0 bytes past what this user may
  /// read).
  func readable(at offset: Int) throws -> Bool {
    var byte: UInt8 = 0
    return try withUnsafeMutableBytes(of: &byte) { try read($0, at: offset) } == 1
  }
}

/// Config space in memory: reads of what is there, writes change the copy.
final class PCIConfigBytes: PCIConfigBackend {
  var bytes: [UInt8]
  private var open = true
  init(_ bytes: [UInt8]) { self.bytes = bytes }

  var isOpen: Bool { open }
  func close() { open = false }

  func read(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
    let n = max(0, min(buffer.count, bytes.count - offset))
    for i in 0..<n { buffer[i] = bytes[offset + i] }
    return n
  }

  func write(_ buffer: UnsafeRawBufferPointer, at offset: Int) throws -> Int {
    let n = max(0, min(buffer.count, bytes.count - offset))
    for i in 0..<n { bytes[offset + i] = buffer[i] }
    return n
  }
}
