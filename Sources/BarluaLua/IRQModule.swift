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

  /// device:irq(kind[, {vector=, count=}]) -> irq
  static let irq: LuaSwiftFunction = { L in
    luaCall(L, "device:irq") { L in
      let d = try VFIOModule.device(L, "device:irq")
      let args = LuaArgs(L: L, fn: "device:irq")
      try args.expectAtMost(3, "kind, {vector=, count=}")
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
      let t = LuaTableBuilder.push(L, nrec: 6)
      lua_pushvalue(L, 1)
      t.setTop("device")
      t.set("kind", kind.rawValue)
      t.set("vector", irq.start)
      t.set("count", irq.count)
      t.set("fd", Int(irq.eventfds.first?.rawValue ?? -1))
      barlua_object_push(L, typeName, Unmanaged.passRetained(irq).toOpaque())
      return 1
    }
  }

  static func object(_ L: LuaState, _ fn: String) throws -> VFIOInterrupt {
    guard let p = barlua_object_get(L, 1, typeName) else {
      let what =
        barlua_object_is(L, 1, typeName) != 0
        ? "irq was collected" : "got \(LuaArgs(L: L, fn: fn).typeName(1))"
      throw LuaArgumentError("\(fn): expected an irq as self (call it as \(fn)(...)), \(what)")
    }
    return Unmanaged<VFIOInterrupt>.fromOpaque(p).takeUnretainedValue()
  }

  /// irq:wait([timeout_s]) -> count, or nil, "timeout". Ctrl-C stops it.
  static let wait: LuaSwiftFunction = { L in
    luaCall(L, "irq:wait") { L in
      let q = try object(L, "irq:wait")
      let args = LuaArgs(L: L, fn: "irq:wait")
      try args.expectAtMost(2, "timeout_s")
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
    luaCall(L, "irq:pending") { L in
      let q = try object(L, "irq:pending")
      try LuaArgs(L: L, fn: "irq:pending").expectAtMost(1, "no arguments")
      lua_pushinteger(L, Int64(clamping: try q.pending()))
      return 1
    }
  }

  /// irq:unmask() (INTx; no-op for MSI/MSI-X).
  static let unmask: LuaSwiftFunction = { L in
    luaCall(L, "irq:unmask") { L in
      let q = try object(L, "irq:unmask")
      try LuaArgs(L: L, fn: "irq:unmask").expectAtMost(1, "no arguments")
      try q.unmask()
      return 0
    }
  }

  /// irq:disable() — also __close. Idempotent.
  static let disable: LuaSwiftFunction = { L in
    luaCall(L, "irq:disable") { L in
      try object(L, "irq:disable").disable()
      return 0
    }
  }

  /// __gc: disable, then drop the retain.
  static let collect: LuaSwiftFunction = { L in
    guard let L, let p = barlua_object_take(L, 1, typeName) else { return 0 }
    let q = Unmanaged<VFIOInterrupt>.fromOpaque(p)
    q.takeUnretainedValue().disable()
    q.release()
    return 0
  }

  /// "irq 0000:00:01.0 MSI vector 0" (+ " (disabled)").
  static let tostring: LuaSwiftFunction = { L in
    luaCall(L, "irq:__tostring") { L in
      let q = try object(L, "irq:__tostring")
      let vectors = q.count == 1 ? "vector \(q.start)" : "vectors \(q.start)..\(q.start + q.count - 1)"
      lua_pushstring(L, "irq \(q.addr) \(q.kind.name) \(vectors)\(q.isEnabled ? "" : " (disabled)")")
      return 1
    }
  }
}
