/// `irq(kind:vector:count:)`: interrupt sources of a device.
extension VFIODevice {
  /// Enables `count` vectors of `kind` from `vector` on eventfds. Errors name the device and
  /// the kind: an index the device lacks, more vectors than it offers, an index already
  /// enabled by another `VFIOInterrupt`.
  public func irq(_ kind: VFIOInterrupt.Kind, vector: Int = 0, count: Int = 1) throws
    -> VFIOInterrupt
  {
    try checkOpen()
    guard vector >= 0, count >= 1, count <= 64 else {
      throw VFIODeviceError.irqOutOfRange(vector: vector, count: count)
    }
    let infos = try irqs()
    guard kind.index < infos.count, infos[kind.index].count > 0 else {
      let offered = infos.filter { $0.count > 0 && $0.index <= 2 }.map(\.name)
      throw VFIODeviceError.noInterrupts(addr: addr, kind: kind.name, offered: offered)
    }
    let available = infos[kind.index].count
    guard vector + count <= available else {
      throw VFIODeviceError.vectorsBeyond(
        addr: addr, kind: kind.name, vector: vector, count: count, available: available)
    }
    interrupts.removeAll { $0.interrupt?.isEnabled != true }
    if let other = interrupts.compactMap(\.interrupt).first(where: { $0.kind == kind }) {
      throw VFIODeviceError.interruptInUse(addr: addr, kind: kind.name, start: other.start, count: other.count)
    }
    if kind != .intx { try enableBusMaster() }
    let irq = try VFIOInterrupt(
      kind: kind, start: vector, count: count, addr: addr, deviceFD: fd)
    interrupts.append(WeakInterrupt(interrupt: irq))
    return irq
  }
}
