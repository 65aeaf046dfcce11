import BarluaCore
import CBarlua
import CLua

/// The device life cycle in `pci` (api.md "Device life cycle"): binding, removal, rescans,
/// waits, resets. Registered into the `pci` table with `PCIModule`'s functions.
enum PCILifecycleModule {
  static let functions: [(String, LuaSwiftFunction)] = [
    ("bind", bind), ("remove", remove), ("rescan", rescan), ("wait", wait),
    ("reset_methods", resetMethods), ("reset", reset), ("kernel_messages", kernelMessages),
  ]

  /// A wait or reset that Ctrl-C / SIGTERM ended: taken here and raised as "fn: interrupted!".
  static func interrupted(_ L: LuaState, _ fn: String, _ body: () throws -> Int32) throws -> Int32 {
    do {
      return try body()
    } catch PCILifecycleError.interrupted {
      throw LuaArgumentError("\(fn): " + String(cString: barlua_interrupt_consume(L)))
    }
  }

  static func timeout(_ opts: LuaOptions?, _ fn: String, default value: Double) throws -> Double {
    guard let opts else { return value }
    let L = opts.args.L
    lua_pushstring(L, "timeout")
    lua_rawget(L, opts.index)
    defer { clua_pop(L, 1) }
    if clua_isnil(L, -1) != 0 { return value }
    guard lua_type(L, -1) == LUA_TNUMBER else {
      throw LuaArgumentError("\(fn): option timeout must be a number of seconds, got \(opts.args.typeName(-1))")
    }
    let t = clua_tonumberx(L, -1, nil)
    guard t >= 0, t <= 1e6 else {
      throw LuaArgumentError("\(fn): option timeout \(t) is out of range (0 .. 1e6 seconds)")
    }
    return t
  }

  /// pci.bind(addr, driver | nil[, {force=, override=, timeout=}]) -> previous, previous_override
  static let bind: LuaSwiftFunction = { L in
    luaFunction(L, "pci.bind", atMost: 3, "address, driver or nil, {force=, override=, timeout=}") { L, args in
      let addr = try PCIAddress(try args.string(1, "address"))
      if args.count < 2 {
        throw LuaArgumentError("pci.bind: driver missing: give a driver name, or nil to unbind the device")
      }
      let driver = args.isNoneOrNil(2) ? nil : try args.string(2, "driver")
      let opts = try args.options(3, allowed: ["force", "override", "timeout"])
      let force = try opts?.boolean("force") ?? false
      var override = PCIDriverBinding.Override.driver
      if let opts {
        lua_pushstring(L, "override")
        lua_rawget(L, opts.index)
        switch lua_type(L, -1) {
        case LUA_TNIL: break
        case LUA_TSTRING: override = .name(try args.string(lua_gettop(L), "option override"))
        case LUA_TBOOLEAN where lua_toboolean(L, -1) == 0: override = .none
        default:
          let got = args.typeName(-1)
          clua_pop(L, 1)
          throw LuaArgumentError(
            "pci.bind: option override must be a driver name or false (leave driver_override empty), got \(got)")
        }
        clua_pop(L, 1)
      }
      let wait = try timeout(opts, "pci.bind", default: 10)
      return try interrupted(L, "pci.bind") {
        let previous = try PCIDriverBinding().bind(
          addr, driver: driver, override: override, force: force, timeout: wait)
        for value in [previous.driver, previous.override] {
          if let value { lua_pushstring(L, value) } else { lua_pushnil(L) }
        }
        return 2
      }
    }
  }

  /// pci.remove(addr[, {force=}])
  static let remove: LuaSwiftFunction = { L in
    luaFunction(L, "pci.remove", atMost: 2, "address, {force=}") { L, args in
      let addr = try PCIAddress(try args.string(1, "address"))
      let force = try args.options(2, allowed: ["force"])?.boolean("force") ?? false
      try PCIPresence().remove(addr, force: force)
      return 0
    }
  }

  /// pci.rescan([bridge])
  static let rescan: LuaSwiftFunction = { L in
    luaFunction(L, "pci.rescan", atMost: 1, "bridge address (none: the whole bus)") { L, args in
      let bridge = args.isNoneOrNil(1) ? nil : try PCIAddress(try args.string(1, "bridge address"))
      try PCIPresence().rescan(below: bridge)
      return 0
    }
  }

  /// pci.wait(addr | filter[, {timeout=, driver=}]) -> device-info, or nil, "timeout"
  static let wait: LuaSwiftFunction = { L in
    luaFunction(L, "pci.wait", atMost: 2, "address or filter, {timeout=, driver=}") { L, args in
      var filter = PCIFilter.any
      if lua_type(L, 1) == LUA_TTABLE {
        filter = try DeviceSelection.filter(args, at: 1)
      } else {
        filter.addr = try PCIAddress(try args.string(1, "address or filter"))
      }
      let opts = try args.options(2, allowed: ["timeout", "driver"])
      let driver = try opts?.string("driver")
      let seconds = try timeout(opts, "pci.wait", default: 10)
      return try interrupted(L, "pci.wait") {
        guard let info = try PCIPresence().wait(for: filter, driver: driver, timeout: seconds) else {
          lua_pushnil(L)
          lua_pushstring(L, "timeout")
          return 2
        }
        DeviceInfo.record(info).push(L)
        return 1
      }
    }
  }

  /// pci.reset_methods(addr) -> {"flr", "pm", ...}, or nil, reason
  static let resetMethods: LuaSwiftFunction = { L in
    luaFunction(L, "pci.reset_methods", atMost: 1, "address") { L, args in
      let addr = try PCIAddress(try args.string(1, "address"))
      switch try PCIReset().methods(addr) {
      case .success(let methods):
        LuaList(methods) { $0 }.push(L)
        return 1
      case .failure(let e):
        lua_pushnil(L)
        lua_pushstring(L, "\(e)")
        return 2
      }
    }
  }

  /// pci.reset(addr[, {method=, force=}]) -> method
  static let reset: LuaSwiftFunction = { L in
    luaFunction(L, "pci.reset", atMost: 2, "address, {method=, force=}") { L, args in
      let addr = try PCIAddress(try args.string(1, "address"))
      let opts = try args.options(2, allowed: ["method", "force"])
      let used = try PCIReset().reset(
        addr, method: try opts?.string("method"), force: try opts?.boolean("force") ?? false)
      lua_pushstring(L, used)
      return 1
    }
  }

  /// pci.kernel_messages(since[, addr]) -> {{seq=, time=, level=, message=}, ...}: the kernel
  /// log since a `pat.mark()`, only the lines naming `addr` when given.
  static let kernelMessages: LuaSwiftFunction = { L in
    luaFunction(L, "pci.kernel_messages", atMost: 2, "since (a pat.mark()), address") { L, args in
      let since = try args.nonNegative(1, "since")
      let addr = args.isNoneOrNil(2) ? nil : try PCIAddress(try args.string(2, "address"))
      let records = try KernelLog.records(since: since).filter { r in
        addr.map { r.message.contains($0.description) } ?? true
      }
      LuaList(records) { r -> LuaRecord in
        ["seq": r.seq, "time": r.time, "level": r.level, "message": r.message]
      }.push(L)
      return 1
    }
  }
}
