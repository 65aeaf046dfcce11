/// Requests an open (or closed) VFIO device cannot carry out, as facts: a program words them
/// for its users (the Lua bindings do, in `LuaWording`). `addr` is the device's address.
public enum VFIODeviceError: Error, Equatable, Sendable {
  /// The device (or the interrupt's device) was closed: the one "closed" error.
  case closed(addr: String)
  /// The device reports `count` regions; `index` is not one of them.
  case noRegion(addr: String, index: Int, count: Int)
  /// A range of one of the device's regions that cannot be mapped (`MappingError`'s region
  /// cases), with the device it belongs to.
  indirect case unmappable(addr: String, MappingError)

  // config space
  /// A config access width other than 1, 2 or 4.
  case configWidth(Int)
  /// `offset` is not a multiple of `width`.
  case configMisaligned(offset: UInt64, width: Int)
  /// `offset` + `width` runs past the config region of `size` bytes.
  case configBeyond(offset: UInt64, width: Int, size: UInt64)
  /// `value` has bits above `width` bytes.
  case configValueTooWide(value: UInt32, width: Int)
  /// `call` ("pread"/"pwrite") of `path` moved `moved` of `width` bytes.
  case configShortTransfer(call: String, path: String, offset: UInt64, moved: Int, width: Int)

  /// The kernel cannot reset the device (no VFIO_DEVICE_FLAGS_RESET).
  case resetUnsupported(addr: String)

  // interrupts (`kind` is "INTx", "MSI" or "MSI-X")
  /// A vector below 0 or a count outside 1...64.
  case irqOutOfRange(vector: Int, count: Int)
  /// The device has no interrupts of `kind`; `offered` names the kinds it has.
  case noInterrupts(addr: String, kind: String, offered: [String])
  /// Vectors `vector..<vector+count` past the `available` the device offers.
  case vectorsBeyond(addr: String, kind: String, vector: Int, count: Int, available: Int)
  /// Another interrupt object holds vectors `start..<start+count` of `kind`.
  case interruptInUse(addr: String, kind: String, start: Int, count: Int)
  /// The interrupt object was disabled.
  case interruptDisabled(addr: String, kind: String)
}
