import BarluaCore
import CBarlua
import CLua

/// `device:irq(kind[, {vector=, count=}])` and the `irq` object it returns (api.md "DMA and
/// interrupts"): wait, pending, unmask, disable, and the fields fd, kind, vector, count, device.
enum IRQModule {
  static let typeName = "barlua.irq"

  static let methods: [(String, LuaSwiftFunction)] = [
    ("wait", wait), ("pending", pending), ("unmask", unmask), ("disable", disable),
  ]

  static let metamethods: [(String, LuaSwiftFunction)] = [
    ("__gc", collect), ("__close", disable), ("__tostring", tostring),
  ]

  static let object = LuaObjectType<VFIOInterrupt>(
    typeName: typeName, noun: "irq", article: "an", release: { $0.disable() })

  /// device:irq(kind[, {vector=, count=}]) -> irq
  static let irq: LuaSwiftFunction = { L in
    VFIOModule.object.method(L, "device:irq", atMost: 3, "kind, {vector=, count=}") { L, d, args in
      let name = try args.string(2, "kind")
      guard let kind = VFIOInterrupt.Kind(rawValue: name) else {
        throw LuaArgumentError(
          "device:irq: unknown kind \"\(name)\" (expected \"intx\", \"msi\" or \"msix\")")
      }
      let opts = try args.options(3, allowed: ["vector", "count"])
      let vector = try opts?.nonNegative("vector") ?? 0
      let count = try opts?.integer("count") ?? 1
      guard count >= 1, count <= 64 else {
        throw LuaArgumentError("device:irq: option count \(count) is out of range (1..64)")
      }
      guard vector <= 2048 else {
        throw LuaArgumentError("device:irq: option vector \(vector) is out of range (0..2047)")
      }
      let irq = try d.irq(kind, vector: Int(vector), count: Int(count))
      let fields: LuaRecord = [
        "device": LuaStackValue(1), "kind": kind.rawValue, "vector": irq.start, "count": irq.count,
        "fd": Int(irq.eventfds.first?.rawValue ?? -1),
      ]
      object.push(L, irq, fields: fields)
      return 1
    }
  }

  /// irq:wait([timeout_s]) -> count, or nil, "timeout". Ctrl-C stops it.
  static let wait: LuaSwiftFunction = { L in
    object.method(L, "irq:wait", atMost: 2, "timeout_s") { L, q, args in
      var timeout: Double?
      if !args.isNoneOrNil(2) {
        guard lua_type(L, 2) == LUA_TNUMBER else {
          throw LuaArgumentError("irq:wait: timeout_s must be a number, got \(args.typeName(2))")
        }
        let t = clua_tonumberx(L, 2, nil)
        guard t >= 0, t <= 1e9 else {
          throw LuaArgumentError("irq:wait: timeout_s \(t) is out of range (0 .. 1e9 seconds)")
        }
        timeout = t
      }
      switch try q.wait(timeout: timeout) {
      case .fired(let n):
        lua_pushinteger(L, Int64(clamping: n))
        return 1
      case .timeout:
        lua_pushnil(L)
        lua_pushstring(L, "timeout")
        return 2
      case .interrupted:
        // Ctrl-C or SIGTERM: taken here (so the interpreter's hook does not raise it again)
        // and raised as "irq:wait: interrupted!" by the trampoline.
        throw LuaArgumentError("irq:wait: " + String(cString: barlua_interrupt_consume(L)))
      }
    }
  }

  /// irq:pending() -> count (0 when none), without blocking.
  static let pending: LuaSwiftFunction = { L in
    object.method(L, "irq:pending", atMost: 1, "no arguments") { L, q, _ in
      lua_pushinteger(L, Int64(clamping: try q.pending()))
      return 1
    }
  }

  /// irq:unmask() (INTx; no-op for MSI/MSI-X).
  static let unmask: LuaSwiftFunction = { L in object.action(L, "irq:unmask") { try $0.unmask() } }

  /// irq:disable() — also __close. Idempotent.
  static let disable: LuaSwiftFunction = { L in object.release(L, "irq:disable") }

  /// __gc: disable, then drop the retain.
  static let collect: LuaSwiftFunction = { L in object.collect(L) }

  /// "irq 0000:00:01.0 MSI vector 0" (+ " (disabled)").
  static let tostring: LuaSwiftFunction = { L in
    object.tostring(L) { q in
      let vectors = q.count == 1 ? "vector \(q.start)" : "vectors \(q.start)..\(q.start + q.count - 1)"
      return "irq \(q.addr) \(q.kind.name) \(vectors)\(q.isEnabled ? "" : " (disabled)")"
    }
  }
}
