/// Why a config-space access, a capability walk or a link/AER operation cannot be done: facts
/// (offsets, sizes, the list and entry involved). A failed system call is a `SystemError`.
public enum PCIConfigError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Which capability list a walk followed.
  public enum List: String, Sendable {
    case standard, extended
  }

  /// `width` is not 1, 2 or 4 bytes.
  case badWidth(width: Int)
  /// `offset` is not a multiple of `width`.
  case misaligned(offset: Int, width: Int)
  /// `[offset, offset + width)` is not inside the `size` bytes this user may access of `path`;
  /// `fullSize` is the device's whole config space (larger than `size` when only root may read
  /// the rest).
  case outOfRange(offset: Int, width: Int, size: Int, fullSize: Int, path: String)
  /// The object was opened for reading only.
  case readOnly(path: String)
  /// The object was closed.
  case closed(path: String)
  /// A `pread`/`pwrite` moved fewer bytes than asked.
  case shortTransfer(call: String, path: String, offset: Int, moved: Int, width: Int)
  /// The entry at `from` (or the header's pointer register, when `from` is 0x14 or 0x34 in the
  /// standard list) points at `to`, which was visited before.
  case capabilityLoop(list: List, from: Int, to: Int, path: String)
  /// A pointer into the header: the standard header (below 0x40) for the standard list, the
  /// first 256 bytes for the extended list.
  case pointerIntoHeader(list: List, from: Int, to: Int, path: String)
  /// A pointer past the end of what can be read (`size`; `fullSize` the device's whole space).
  case pointerPastEnd(list: List, from: Int, to: Int, size: Int, fullSize: Int, path: String)
  /// The entry at `offset` reads as all ones (`header`): the device is gone or the chain is
  /// broken.
  case brokenEntry(list: List, offset: Int, header: UInt32, path: String)
  /// The device has no PCI Express capability (so no link, no link control).
  case notPCIExpress(path: String)
  /// The device lacks the capability `name` that the operation needs.
  case noCapability(name: String, path: String)
  /// Link control belongs to a downstream port (root port, switch downstream port); this
  /// device is `portType` (the PCI Express capability's Device/Port Type); `upstream` is the
  /// port above it, when sysfs shows one.
  case notADownstreamPort(portType: PCIExpressPortType, upstream: PCIAddress?, path: String)
  /// The target speed is not one the port supports (`supported`, GT/s).
  case unsupportedSpeed(speed: Double, supported: [Double], path: String)
  /// A register write that the device did not take: `register` at `offset` was written with
  /// `wrote` (in `bits`) and reads back `read` (hardware, or an emulation, that keeps the bit
  /// read-only).
  case writeIgnored(register: String, offset: Int, bits: UInt32, wrote: UInt32, read: UInt32, path: String)
  /// The link of `path` cannot be trained to another speed: its PCI Express capability is
  /// version 1, without Link Control 2.
  case noTargetSpeed(path: String)

  /// The offset of a capability-list entry, in the form lspci prints it.
  static func at(_ offset: Int) -> String { "0x\(hex(offset, width: 2))" }

  public var description: String {
    switch self {
    case .badWidth(let width):
      return "width \(width) is not 1, 2 or 4 bytes"
    case .misaligned(let offset, let width):
      return "offset 0x\(hex(offset)) is not \(width)-byte aligned"
    case .outOfRange(let offset, let width, let size, let fullSize, let path):
      var text = "offset 0x\(hex(offset)) + \(width) exceeds the config space size 0x\(hex(size)) of \(path)"
      if offset < fullSize, size < fullSize {
        text += " (the kernel lets only root, CAP_SYS_ADMIN, read past byte \(size) of the 0x\(hex(fullSize)))"
      }
      return text
    case .readOnly(let path):
      return "\(path) was opened for reading only"
    case .closed(let path):
      return "config space \(path) is closed"
    case .shortTransfer(let call, let path, let offset, let moved, let width):
      return "\(call) of \(path) at offset 0x\(hex(offset)) moved \(moved) of \(width) bytes"
    case .capabilityLoop(let list, let from, let to, let path):
      return "\(list.rawValue) capability list of \(path) loops: the pointer at \(Self.at(from)) points"
        + " back to \(Self.at(to))"
    case .pointerIntoHeader(let list, let from, let to, let path):
      let header = list == .standard ? "the 64-byte header" : "the first 256 bytes (not extended space)"
      return "\(list.rawValue) capability list of \(path): the pointer at \(Self.at(from)) points to"
        + " \(Self.at(to)), inside \(header)"
    case .pointerPastEnd(let list, let from, let to, let size, let fullSize, let path):
      var text =
        "\(list.rawValue) capability list of \(path): the pointer at \(Self.at(from)) points to"
        + " \(Self.at(to)), past the end of the readable config space (0x\(hex(size)) bytes)"
      if to < fullSize, size < fullSize {
        text += "; the kernel lets only root (CAP_SYS_ADMIN) read past byte \(size)"
      }
      return text
    case .brokenEntry(let list, let offset, let header, let path):
      return "\(list.rawValue) capability list of \(path): the entry at \(Self.at(offset)) reads"
        + " 0x\(hex(header)) (all ones: the device does not answer, or the chain is broken)"
    case .notPCIExpress(let path):
      return "\(path) has no PCI Express capability (a conventional PCI device: no link)"
    case .noCapability(let name, let path):
      return "\(path) has no \(name) capability"
    case .notADownstreamPort(let type, let upstream, let path):
      let above = upstream.map { ": use the port above it, \($0)" } ?? ""
      return "\(path) is a \(type.description), not a root port or switch downstream port: link"
        + " control is done by the port above the link\(above)"
    case .unsupportedSpeed(let speed, let supported, let path):
      let list = supported.map { PCIExpressLink.speedText($0) }.joined(separator: ", ")
      return "\(path) does not support \(PCIExpressLink.speedText(speed)) GT/s (supported: \(list) GT/s)"
    case .writeIgnored(let register, let offset, let bits, let wrote, let read, let path):
      return "\(path) did not take the write of \(register) (0x\(hex(offset))): wrote 0x\(hex(wrote))"
        + " in bits 0x\(hex(bits)), it reads back 0x\(hex(read)) (the device keeps these bits read-only)"
    case .noTargetSpeed(let path):
      return "\(path) has a version 1 PCI Express capability without Link Control 2: its target"
        + " link speed cannot be set"
    }
  }
}
