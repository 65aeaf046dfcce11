import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// Interrupts of a VFIO device delivered to eventfds (`VFIO_DEVICE_SET_IRQS` with
/// `DATA_EVENTFD|ACTION_TRIGGER`): INTx, MSI or MSI-X vectors `start..<start+count`.
///
/// `wait` polls the eventfds with a deadline and returns how many interrupts arrived; for INTx,
/// which VFIO masks each time it fires, `wait` unmasks the line first. `disable()` de-assigns
/// the eventfds and closes them; it is idempotent, and `VFIODevice.close()` calls it.
public final class VFIOInterrupt: @unchecked Sendable {
  public enum Kind: String, Sendable, CaseIterable {
    case intx, msi, msix

    public var index: Int {
      switch self {
      case .intx: Int(BARLUA_VFIO_PCI_INTX_IRQ_INDEX)
      case .msi: Int(BARLUA_VFIO_PCI_MSI_IRQ_INDEX)
      case .msix: Int(BARLUA_VFIO_PCI_MSIX_IRQ_INDEX)
      }
    }

    /// `"INTx"`, `"MSI"`, `"MSI-X"`.
    public var name: String { VFIOIRQ(index: index, count: 0, flags: 0).name }
  }

  /// How a wait ended.
  public enum WaitResult: Equatable, Sendable {
    case fired(UInt64)
    case timeout
    case interrupted
  }

  public let kind: Kind
  public let start: Int
  public let count: Int
  public let addr: String
  /// The eventfds, one per vector; closed by `disable()`.
  public private(set) var eventfds: [FileDescriptor]
  private let deviceFD: FileDescriptor
  /// Interrupts read by `pending()` and not yet returned by `wait`.
  private var carried: UInt64 = 0

  init(kind: Kind, start: Int, count: Int, addr: String, deviceFD: FileDescriptor) throws {
    self.kind = kind
    self.start = start
    self.count = count
    self.addr = addr
    self.deviceFD = deviceFD
    var fds: [FileDescriptor] = []
    for i in 0..<count {
      let fd = barlua_eventfd()
      if fd < 0 { throw SystemError.current("eventfd for \(addr) \(kind.name) vector \(start + i)") }
      fds.append(FileDescriptor(rawValue: fd, path: "eventfd of \(addr) \(kind.name) \(start + i)"))
    }
    // Enabled (non-empty) only once the kernel took the eventfds: a refused enable must not
    // send a disable for an index some other state owns.
    eventfds = []
    try setIRQs(
      flags: BARLUA_VFIO_IRQ_SET_DATA_EVENTFD | BARLUA_VFIO_IRQ_SET_ACTION_TRIGGER,
      start: start, fds: fds.map(\.rawValue), what: "enable"
    ) { e in
      switch e {
      case EINVAL:
        "the kernel refused \(kind.name) vectors \(start)..<\(start + count): INTx, MSI and"
          + " MSI-X exclude each other: disable the other irq of this device first"
      case ENOSPC, ENOMEM:
        "the host has no free interrupt vectors for \(count) more \(kind.name)"
      default: VFIOIoctl.commonHint(e)
      }
    }
    eventfds = fds
  }

  public var isEnabled: Bool { !eventfds.isEmpty }

  /// VFIO_DEVICE_SET_IRQS with `fds` as the data (eventfds) or no data.
  private func setIRQs(
    flags: Int, start: Int, count n: Int? = nil, fds: [Int32], what: String,
    hint: @escaping (Int32) -> String? = VFIOIoctl.commonHint
  ) throws {
    let header = barlua_vfio_irq_set_data_offset()
    var bytes = [UInt8](repeating: 0, count: header + fds.count * 4)
    try bytes.withUnsafeMutableBytes { buffer in
      var set = vfio_irq_set()
      set.argsz = UInt32(buffer.count)
      set.flags = UInt32(flags)
      set.index = UInt32(kind.index)
      set.start = UInt32(start)
      set.count = UInt32(n ?? fds.count)
      buffer.storeBytes(of: set, as: vfio_irq_set.self)
      for (i, fd) in fds.enumerated() {
        buffer.storeBytes(of: fd, toByteOffset: header + i * 4, as: Int32.self)
      }
      try VFIOIoctl.call(
        deviceFD, BARLUA_IOCTL_VFIO_DEVICE_SET_IRQS, buffer.baseAddress!, detail: "\(kind.name), \(what)",
        hint: hint)
    }
  }

  /// The caller's binding names the operation; the core says only what is wrong.
  private func checkEnabled() throws {
    guard isEnabled else { throw VFIODeviceError.interruptDisabled(addr: addr, kind: kind.name) }
    guard deviceFD.isOpen else { throw VFIODeviceError.closed(addr: addr) }
  }

  /// Unmasks INTx (VFIO masks it each time it fires). Acknowledge the device's own interrupt
  /// first, or it fires again at once. MSI and MSI-X are not masked: a no-op for them.
  public func unmask() throws {
    try checkEnabled()
    guard kind == .intx else { return }
    try setIRQs(
      flags: BARLUA_VFIO_IRQ_SET_DATA_NONE | BARLUA_VFIO_IRQ_SET_ACTION_UNMASK, start: 0,
      count: 1, fds: [], what: "unmask")
  }

  /// Interrupts arrived and not yet returned by `wait`, without blocking.
  public func pending() throws -> UInt64 {
    try checkEnabled()
    carried += drain()
    return carried
  }

  /// Reads every eventfd's counter (non-blocking: 0 when nothing arrived).
  private func drain() -> UInt64 {
    var total: UInt64 = 0
    for fd in eventfds {
      var value: UInt64 = 0
      if Glibc.read(fd.rawValue, &value, 8) == 8 { total &+= value }
    }
    return total
  }

  /// Waits up to `timeout` seconds (nil: no limit) for an interrupt; returns how many arrived
  /// since the last wait. INTx is unmasked first. Ctrl-C or SIGTERM (caught by whoever runs
  /// the code: barlua_interrupt.h) ends the wait with `.interrupted`, race-free.
  public func wait(timeout: Double?) throws -> WaitResult {
    try checkEnabled()
    if kind == .intx { try unmask() }
    let limit = timeout.map { Int64(min($0, 1e9) * 1e9) }
    let start = barlua_monotonic_ns()
    while true {
      let got = carried + drain()
      if got > 0 {
        carried = 0
        return .fired(got)
      }
      var left: Int64 = -1
      if let limit {
        left = limit - (barlua_monotonic_ns() - start)
        if left <= 0 { return .timeout }
      }
      var fds = eventfds.map { pollfd(fd: $0.rawValue, events: Int16(POLLIN), revents: 0) }
      if barlua_wait(&fds, nfds_t(fds.count), left) < 0 {
        let e = errno
        if e == EINTR { return .interrupted }
        throw SystemError("ppoll", path: "eventfd of \(addr) \(kind.name)", errno: e)
      }
    }
  }

  /// De-assigns the eventfds (VFIO_DEVICE_SET_IRQS, DATA_NONE|ACTION_TRIGGER, count 0) and
  /// closes them. Safe to call more than once, and after the device is closed.
  public func disable() {
    guard isEnabled else { return }
    if deviceFD.isOpen {
      try? setIRQs(
        flags: BARLUA_VFIO_IRQ_SET_DATA_NONE | BARLUA_VFIO_IRQ_SET_ACTION_TRIGGER, start: 0,
        count: 0, fds: [], what: "disable")
    }
    for fd in eventfds { fd.close() }
    eventfds = []
    carried = 0
  }

  deinit { disable() }
}

struct WeakInterrupt {
  weak var interrupt: VFIOInterrupt?
}
