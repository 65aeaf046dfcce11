import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

/// Binding a device to a driver, or unbinding it, through `driver_override`, the driver's
/// `unbind` and the bus's `drivers_probe` (never `new_id`, which would claim every device of
/// that ID). Refuses bridges and ports always, and devices in use unless forced.
public struct PCIDriverBinding: Sendable {
  /// What was there before: give it back to restore.
  public struct Previous: Equatable, Sendable {
    public var driver: String?
    public var override: String?
  }

  /// What `driver_override` holds after binding.
  public enum Override: Equatable, Sendable {
    /// The new driver's name (it then survives a re-probe); empty when unbinding.
    case driver
    /// Cleared.
    case none
    /// This name.
    case name(String)
  }

  public var sysfs: PCISysfs
  public var use: PCIDeviceUseProbe

  public init(sysfs: PCISysfs = PCISysfs(), use: PCIDeviceUseProbe? = nil) {
    self.sysfs = sysfs
    self.use = use ?? PCIDeviceUseProbe(sysfs: sysfs)
  }

  /// The bus's folder (`/sys/bus/pci`), the parent of `root`.
  public var busPath: String {
    let suffix = "/devices"
    return sysfs.root.hasSuffix(suffix) ? String(sysfs.root.dropLast(suffix.count)) : "\(sysfs.root)/.."
  }

  /// `driver_override`, nil when empty (the kernel shows "(null)").
  public func override(_ addr: PCIAddress) throws -> String? {
    let text = try SysfsFiles.readTextIfPresent("\(sysfs.path(addr))/driver_override")
    guard let text, !text.isEmpty, text != "(null)" else { return nil }
    return text
  }

  /// Refuses bridges and ports (class 0x06xxxx or a type 1/2 header).
  public func refuseBridge(_ addr: PCIAddress, action: String) throws {
    let dir = sysfs.path(addr)
    let cls = try SysfsFiles.readHex("\(dir)/class", as: UInt32.self)
    let config = try SysfsFiles.readBytes("\(dir)/config", limit: 64)
    let header = config.count > 0x0E ? config[0x0E] & 0x7F : 0
    if cls >> 16 == 0x06 || header == 1 || header == 2 {
      throw PCILifecycleError.bridge(addr, action: action, classCode: cls, headerType: header)
    }
  }

  /// Refuses a device in use: always when only this process closing it would help, else
  /// unless `force`.
  public func refuseInUse(_ addr: PCIAddress, action: String, force: Bool) throws {
    let evidence = try use.evidence(addr)
    let hard = evidence.filter(\.blocksEvenWhenForced)
    if !hard.isEmpty { throw PCILifecycleError.inUse(addr, action: action, evidence: hard) }
    if !force, !evidence.isEmpty { throw PCILifecycleError.inUse(addr, action: action, evidence: evidence) }
  }

  /// Binds `addr` to `driver` (nil: unbinds it) and waits up to `timeout` seconds for the
  /// binding. Returns what was there.
  @discardableResult
  public func bind(
    _ addr: PCIAddress, driver: String?, override: Override = .driver, force: Bool = false,
    timeout: Double = 10
  ) throws -> Previous {
    guard try sysfs.exists(addr) else { throw PCIError.noDevice(addr, root: sysfs.root) }
    for name in [driver, { if case .name(let n) = override { n } else { nil } }()].compactMap({ $0 }) {
      if name.isEmpty || name.contains("/") || name.contains("\n") || name == "." || name == ".." {
        throw PCILifecycleError.badDriverName(name)
      }
    }
    let action = driver == nil ? "unbind" : "rebind"
    try refuseBridge(addr, action: action)
    let current = try sysfs.driver(addr)
    let previous = Previous(driver: current, override: try self.override(addr))
    if let current, current != driver { try refuseInUse(addr, action: action, force: force) }
    if let driver {
      let path = "\(busPath)/drivers/\(driver)"
      guard try SysfsFiles.exists(path) else { throw PCILifecycleError.noDriver(name: driver, path: path) }
    }
    let dir = sysfs.path(addr)
    do {
      try SysfsWrite.write("\(dir)/driver_override", driver.map { "\($0)\n" } ?? "\n")
      if let current, current != driver {
        try SysfsWrite.write("\(dir)/driver/unbind", addr.description)
      }
      if let driver, current != driver { try probe(addr, driver: driver, timeout: timeout) }
    } catch {
      // The new binding did not happen: put back what was there, then say what happened.
      let restored = putBack(addr, previous)
      if case PCILifecycleError.interrupted = error { throw error }
      throw PCILifecycleError.failedAndPutBack(
        addr, reason: "\(error)", previous: previous.driver, problem: restored)
    }
    switch override {
    case .driver: break
    case .none: if driver != nil { try SysfsWrite.write("\(dir)/driver_override", "\n") }
    case .name(let name): try SysfsWrite.write("\(dir)/driver_override", "\(name)\n")
    }
    return previous
  }

  /// Writes `drivers_probe` and waits for `driver`; the kernel's words when it is not bound.
  private func probe(_ addr: PCIAddress, driver: String, timeout: Double) throws {
    let mark = try? KernelLog.mark()
    try SysfsWrite.write("\(busPath)/drivers_probe", addr.description)
    let started = barlua_monotonic_ns()
    let bound = try PCIWaiter.until(timeout: timeout) { try sysfs.driver(addr) == driver ? true : nil }
    if bound == nil {
      let waited = Double(barlua_monotonic_ns() - started) / 1e9
      let messages =
        mark.flatMap { try? KernelLog.records(since: $0) }?.map(\.message)
        .filter { $0.contains(addr.description) || $0.contains(driver) } ?? []
      throw PCILifecycleError.notBound(
        addr, driver: driver, boundTo: try sysfs.driver(addr), waited: (waited * 10).rounded() / 10,
        messages: Array(messages.suffix(8)))
    }
  }

  /// Puts `previous` back after a failed binding (not interruptible: a pending Ctrl-C is
  /// reported after it, bounded to 2 s). Returns nil when done, else what went wrong.
  private func putBack(_ addr: PCIAddress, _ previous: Previous) -> String? {
    let dir = sysfs.path(addr)
    do {
      let now = try sysfs.driver(addr)
      if let wanted = previous.driver, now != wanted {
        try SysfsWrite.write("\(dir)/driver_override", "\(wanted)\n")
        if now != nil { try SysfsWrite.write("\(dir)/driver/unbind", addr.description) }
        try SysfsWrite.write("\(busPath)/drivers_probe", addr.description)
        let deadline = barlua_monotonic_ns() + 2_000_000_000
        while try sysfs.driver(addr) != wanted, barlua_monotonic_ns() < deadline { usleep(10_000) }
        if try sysfs.driver(addr) != wanted { return "it did not bind to \(wanted) again" }
      }
      try SysfsWrite.write("\(dir)/driver_override", (previous.override ?? "") + "\n")
      return nil
    } catch {
      return "\(error)"
    }
  }
}

/// Polling waits that Ctrl-C and SIGTERM end (barlua_interrupt.h).
public enum PCIWaiter {
  /// Calls `check` every `interval` seconds until it returns a value or `timeout` seconds
  /// pass (nil then). Throws `PCILifecycleError.interrupted` when a signal arrives.
  public static func until<T>(
    timeout: Double, interval: Double = 0.01, _ check: () throws -> T?
  ) throws -> T? {
    let deadline = barlua_monotonic_ns() + Int64(max(0, min(timeout, 1e9)) * 1e9)
    while true {
      if let value = try check() { return value }
      let left = deadline - barlua_monotonic_ns()
      if left <= 0 { return nil }
      if barlua_sleep(min(left, Int64(interval * 1e9))) < 0 {
        throw PCILifecycleError.interrupted(signal: barlua_interrupt_pending())
      }
    }
  }
}
