/// `irq(kind:vector:count:)`: interrupt sources of a device.
extension VFIODevice {
  /// Enables `count` vectors of `kind` from `vector` on eventfds. Errors name the device and
  /// the kind: an index the device lacks, more vectors than it offers, an index already
  /// enabled by another `VFIOInterrupt`.
  public func irq(_ kind: VFIOInterrupt.Kind, vector: Int = 0, count: Int = 1) throws
    -> VFIOInterrupt
  {
    try checkOpen()
    let fn = "irq"
    guard vector >= 0, count >= 1, count <= 64 else {
      throw UsageError(
        "\(fn): vector \(vector) and count \(count) are out of range (vector >= 0, count 1..64)")
    }
    let infos = try irqs()
    guard kind.index < infos.count, infos[kind.index].count > 0 else {
      let offered = infos.filter { $0.count > 0 && $0.index <= 2 }.map(\.name)
      throw UsageError(
        "\(fn): \(addr) has no \(kind.name) interrupts (it offers "
          + (offered.isEmpty ? "none" : offered.joined(separator: ", ")) + ")")
    }
    let available = infos[kind.index].count
    guard vector + count <= available else {
      throw UsageError(
        "\(fn): vectors \(vector)..\(vector + count - 1) exceed the \(available) \(kind.name)"
          + " vector\(available == 1 ? "" : "s") \(addr) offers (0..\(available - 1))")
    }
    interrupts.removeAll { $0.interrupt?.isEnabled != true }
    if let other = interrupts.compactMap(\.interrupt).first(where: { $0.kind == kind }) {
      throw UsageError(
        "\(fn): \(addr) \(kind.name) is already enabled by another irq ("
          + (other.count == 1
            ? "vector \(other.start)" : "vectors \(other.start)..\(other.start + other.count - 1)")
          + "): disable it first")
    }
    if kind != .intx { try enableBusMaster() }
    let irq = try VFIOInterrupt(
      kind: kind, start: vector, count: count, addr: addr, deviceFD: fd)
    interrupts.append(WeakInterrupt(interrupt: irq))
    return irq
  }
}
