/// Why a change to a device's life cycle (binding, removal, reset) was refused or failed, as
/// facts. A failed system call is a `SystemError` instead. `description` is the message a user
/// sees, with what to do about it.
public enum PCILifecycleError: Error, Equatable, CustomStringConvertible {
  /// A bridge or PCIe port (class 0x06xxxx, or a type 1/2 header): its driver and presence
  /// carry every device below it. Never overridable.
  case bridge(PCIAddress, action: String, classCode: UInt32, headerType: UInt8)
  /// The device (or a member of its IOMMU group) is in use; `evidence` says how.
  case inUse(PCIAddress, action: String, evidence: [PCIDeviceUse])
  /// No driver of that name is registered on the PCI bus (`/sys/bus/pci/drivers/NAME`).
  case noDriver(name: String, path: String)
  /// A driver name that cannot be one (empty, a slash, a newline).
  case badDriverName(String)
  /// The device did not end up bound to `driver` within `waited` seconds; `messages` are the
  /// kernel's log lines about the device from the attempt (its probe error).
  case notBound(PCIAddress, driver: String, boundTo: String?, waited: Double, messages: [String])
  /// A binding failed (`reason`) after the device had been changed; what was there before
  /// (`previous`) was put back, or `problem` says why not.
  case failedAndPutBack(PCIAddress, reason: String, previous: String?, problem: String?)
  /// Ctrl-C (SIGINT) or SIGTERM arrived while waiting (a failed binding is put back first).
  case interrupted(signal: Int32)
  /// The device does not have `method` among the kernel's reset methods.
  case unknownResetMethod(PCIAddress, method: String, offered: [String])
  /// The kernel offers no reset for the device, or cannot tell which (`reason`).
  case noReset(PCIAddress, reason: String)
  /// A rescan below a device that is not a bridge.
  case notABridge(PCIAddress)
  /// A hot reset would also reset these devices, whose groups no open device holds.
  case hotResetUnheld(PCIAddress, devices: [String])
  /// The kernel refused the reset (the errno of the `reset` write) and logged `messages`.
  case resetFailed(PCIAddress, method: String, error: SystemError, messages: [String])
  /// The device is still there after its removal was asked for.
  case stillPresent(PCIAddress)

  public var description: String {
    switch self {
    case .bridge(let addr, let action, let cls, let header):
      return "refusing to \(action) \(addr): it is a bridge or PCIe port (class 0x\(hex(cls, width: 6)),"
        + " header type \(header)); every device below it depends on it: act on the device below"
    case .inUse(let addr, let action, let evidence):
      return "refusing to \(action) \(addr): it is in use: "
        + evidence.map(\.description).joined(separator: "; ")
    case .noDriver(let name, let path):
      return "no driver '\(name)' is registered for PCI devices (\(path) is absent): load it (modprobe \(name))"
    case .badDriverName(let name):
      return "'\(name)' is not a driver name (the names in /sys/bus/pci/drivers)"
    case .notBound(let addr, let driver, let boundTo, let waited, let messages):
      let now = boundTo.map { "it is bound to \($0)" } ?? "it has no driver"
      let log =
        messages.isEmpty
        ? "the kernel logged nothing about it (the driver's id table may not list the device)"
        : "the kernel says: " + messages.joined(separator: " | ")
      return "\(addr) is not bound to \(driver) after \(waited) s (\(now)); \(log)"
    case .failedAndPutBack(let addr, let reason, let previous, let problem):
      let back = previous.map { "bound to \($0)" } ?? "without a driver"
      return problem.map { "\(reason); putting \(addr) back \(back) failed: \($0)" }
        ?? "\(reason); \(addr) is \(back) again, as before"
    case .interrupted(let signal):
      return signal == 15 ? "terminated (SIGTERM)" : "interrupted!"
    case .unknownResetMethod(let addr, let method, let offered):
      return "\(addr) has no reset method '\(method)'; the kernel offers: "
        + (offered.isEmpty ? "none" : offered.joined(separator: ", "))
    case .noReset(let addr, let reason):
      return "\(addr) cannot be reset through sysfs: \(reason)"
    case .notABridge(let addr):
      return "\(addr) is not a bridge or port, so nothing is below it to rescan (rescan the whole bus instead)"
    case .hotResetUnheld(let addr, let devices):
      return "a hot reset of \(addr) would also reset \(devices.joined(separator: ", ")), which no open"
        + " device of this process holds: open each of them through VFIO first (the kernel needs every"
        + " affected group)"
    case .resetFailed(let addr, let method, let error, let messages):
      let log = messages.isEmpty ? "" : "; the kernel says: " + messages.joined(separator: " | ")
      return "the \(method) reset of \(addr) failed: \(error)\(log)"
    case .stillPresent(let addr):
      return "\(addr) is still present after writing its remove file"
    }
  }
}
