/// Resetting one device through sysfs: `reset_method` (kernel 5.15+) lists the methods in the
/// order the kernel tries them; `reset` (write 1) resets with them. A method asked for is set
/// in `reset_method` for the one reset and the previous list is always written back.
public struct PCIReset: Sendable {
  public var binding: PCIDriverBinding
  public var sysfs: PCISysfs { binding.sysfs }

  public init(binding: PCIDriverBinding = PCIDriverBinding()) { self.binding = binding }

  /// The methods in the kernel's order, or the reason the kernel cannot tell.
  public func methods(_ addr: PCIAddress) throws -> Result<[String], PCILifecycleError> {
    guard try sysfs.exists(addr) else { throw PCIError.noDevice(addr, root: sysfs.root) }
    let dir = sysfs.path(addr)
    guard let text = try SysfsFiles.readTextIfPresent("\(dir)/reset_method") else {
      let reason =
        try SysfsFiles.exists("\(dir)/reset")
        ? "this kernel has no reset_method file (it came with 5.15); the reset file exists, so some method is offered"
        : "the kernel offers no reset method for it (no reset file)"
      return .failure(.noReset(addr, reason: reason))
    }
    let methods = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    if methods.isEmpty { return .failure(.noReset(addr, reason: "its reset_method file is empty")) }
    return .success(methods)
  }

  /// Resets `addr` with `method` (nil: the kernel's order). Returns the method used (for nil:
  /// the first the kernel offers, the one it tries first). Refuses bridges, and a device in
  /// use unless `force`.
  @discardableResult
  public func reset(_ addr: PCIAddress, method: String? = nil, force: Bool = false) throws -> String {
    guard try sysfs.exists(addr) else { throw PCIError.noDevice(addr, root: sysfs.root) }
    try binding.refuseBridge(addr, action: "reset")
    let offered: [String]
    switch try methods(addr) {
    case .success(let m): offered = m
    case .failure(let e): throw e
    }
    if try sysfs.driver(addr) != nil {
      // A VFIO user does not stop a reset (the kernel saves and restores its config space).
      let evidence = try binding.use.evidence(addr).filter {
        if case .vfioOpen = $0 { return false }
        return true
      }
      if !force, !evidence.isEmpty { throw PCILifecycleError.inUse(addr, action: "reset", evidence: evidence) }
    }
    let dir = sysfs.path(addr)
    guard let method else {
      try resetWrite(addr, method: offered[0])
      return offered[0]
    }
    guard offered.contains(method) else {
      throw PCILifecycleError.unknownResetMethod(addr, method: method, offered: offered)
    }
    try SysfsWrite.write("\(dir)/reset_method", method)
    // Put back even when the reset fails; a signal meanwhile only sets a flag (barlua_interrupt.h).
    defer { try? SysfsWrite.write("\(dir)/reset_method", offered.joined(separator: " ")) }
    try resetWrite(addr, method: method)
    return method
  }

  /// Writes `reset`; a refusal carries what the kernel logged about the device and its port
  /// meanwhile (e.g. "Data Link Layer Link Active not set in 1000 msec" when a bus reset's
  /// link did not come back).
  private func resetWrite(_ addr: PCIAddress, method: String) throws {
    let mark = try? KernelLog.mark()
    do {
      try SysfsWrite.write("\(sysfs.path(addr))/reset", "1")
    } catch {
      let parent = PCIDeviceUseProbe.realPath(sysfs.path(addr)).map { path in
        String(path.split(separator: "/").dropLast().last ?? "")
      }
      let names = [addr.description] + (parent.map { [$0] } ?? [])
      let messages =
        mark.flatMap { try? KernelLog.records(since: $0) }?.map(\.message)
        .filter { m in names.contains { m.contains($0) } } ?? []
      throw PCILifecycleError.resetFailed(addr, method: method, error: error, messages: Array(messages.suffix(6)))
    }
  }
}
