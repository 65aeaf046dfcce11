import BarluaCore
import CBarlua
import CLua

/// A config space as Lua holds it: the core object, and how `tostring` and errors name it.
final class ConfigObject {
  let space: PCIConfigSpace
  let addr: String
  /// "sysfs" or "vfio".
  let method: String

  init(_ space: PCIConfigSpace, addr: String, method: String) {
    self.space = space
    self.addr = addr
    self.method = method
  }

  /// How to open it writable, for the read-only refusal.
  var writableCall: String {
    method == "vfio" ? "device:config({write=true})" : "pci.config(\"\(addr)\", {write=true}) (as root)"
  }
}

/// Config space of any device by name (api.md "Config space of any device, by name"):
/// `pci.config`, `device:config`, the config object's methods, and `pci.link`, `pci.retrain`,
/// `pci.link_disable`, `pci.aer`, `pci.aer_mask`, `pci.serial`, which are registered into `pci`.
enum PCIConfigModule {
  static let typeName = "barlua.config"

  static let functions: [(String, LuaSwiftFunction)] = [
    ("config", config), ("link", link), ("retrain", retrain), ("link_disable", linkDisable),
    ("aer", aer), ("aer_mask", aerMask), ("serial", serial),
  ]

  static let methods: [(String, LuaSwiftFunction)] = [
    ("read8", read8), ("read16", read16), ("read32", read32),
    ("write8", write8), ("write16", write16), ("write32", write32),
    ("capabilities", capabilities), ("find", find), ("close", close),
  ]

  static let metamethods: [(String, LuaSwiftFunction)] = [
    ("__gc", collect), ("__close", close), ("__tostring", tostring),
  ]

  static let object = LuaObjectType<ConfigObject>(
    typeName: typeName, noun: "config", article: "a", release: { $0.space.close() })

  static func push(_ L: LuaState, _ c: ConfigObject, extra: LuaRecord = [:]) {
    let fields: LuaRecord = [
      "addr": c.addr, "size": c.space.size, "method": c.method, "writable": c.space.writable,
      "path": c.space.path,
    ]
    object.push(L, c, fields: extra.adding(fields))
  }

  /// The address at argument 1.
  static func address(_ args: LuaArgs, _ what: String = "address") throws -> PCIAddress {
    try PCIAddress(try args.string(1, what))
  }

  /// `{write=true}` at `index`.
  static func writeOption(_ args: LuaArgs, at index: Int32) throws -> Bool {
    try args.options(index, allowed: ["write"])?.boolean("write") ?? false
  }

  // MARK: opening

  /// pci.config(addr[, {write=true}]) -> config over the sysfs config file.
  static let config: LuaSwiftFunction = { L in
    luaFunction(L, "pci.config", atMost: 2, "address, {write=}") { L, args in
      let addr = try address(args)
      let space = try PCIConfigSpace.open(addr, writable: try writeOption(args, at: 2))
      push(L, ConfigObject(space, addr: addr.description, method: "sysfs"))
      return 1
    }
  }

  /// device:config([{write=true}]) -> config over the VFIO config region; keeps the device
  /// alive (config.device).
  static let deviceConfig: LuaSwiftFunction = { L in
    VFIOModule.object.method(L, "device:config", atMost: 2, "{write=}") { L, d, args in
      let space = try d.configSpace(writable: try writeOption(args, at: 2))
      push(L, ConfigObject(space, addr: d.addr, method: "vfio"), extra: ["device": LuaStackValue(1)])
      return 1
    }
  }

  // MARK: methods

  static func offset(_ args: LuaArgs) throws -> Int {
    Int(clamping: try args.nonNegative(2, "offset"))
  }

  static func read(_ L: LuaState?, width: Int) -> Int32 {
    object.method(L, "config:read\(width * 8)", atMost: 2, "offset") { L, c, args in
      lua_pushinteger(L, Int64(try c.space.read(try offset(args), width: width)))
      return 1
    }
  }

  static func write(_ L: LuaState?, width: Int) -> Int32 {
    object.method(L, "config:write\(width * 8)", atMost: 3, "offset, value") { _, c, args in
      let off = try offset(args)
      let v = try args.integer(3, "value")
      let bits = Int64(width * 8)
      guard v >= -(1 << (bits - 1)), v < (1 << bits) else {
        throw LuaArgumentError(
          "\(args.fn): value \(v) does not fit in \(bits) bits (0..0x\(hex((1 << bits) - 1)))")
      }
      guard c.space.writable else {
        throw LuaArgumentError(
          "\(args.fn): config space of \(c.addr) was opened for reading only: open it with"
            + " \(c.writableCall) to write")
      }
      try c.space.write(off, width: width, value: UInt32(truncatingIfNeeded: v))
      return 0
    }
  }

  static let read8: LuaSwiftFunction = { L in read(L, width: 1) }
  static let read16: LuaSwiftFunction = { L in read(L, width: 2) }
  static let read32: LuaSwiftFunction = { L in read(L, width: 4) }
  static let write8: LuaSwiftFunction = { L in write(L, width: 1) }
  static let write16: LuaSwiftFunction = { L in write(L, width: 2) }
  static let write32: LuaSwiftFunction = { L in write(L, width: 4) }

  static func record(_ c: PCICapability) -> LuaRecord {
    ["id": c.id, "name": c.name, "offset": c.offset, "version": c.version, "extended": c.extended]
  }

  /// config:capabilities() -> {{id=, name=, offset=, version=, extended=}, ...}
  static let capabilities: LuaSwiftFunction = { L in
    object.method(L, "config:capabilities", atMost: 1, "no arguments") { L, c, _ in
      LuaList(try c.space.capabilities(), record).push(L)
      return 1
    }
  }

  /// config:find(name_or_id[, extended]) -> offset or nil
  static let find: LuaSwiftFunction = { L in
    object.method(L, "config:find", atMost: 3, "name or id, extended") { L, c, args in
      var extended: Bool? = nil
      if !args.isNoneOrNil(3) {
        guard lua_type(L, 3) == LUA_TBOOLEAN else {
          throw LuaArgumentError("config:find: extended must be a boolean, got \(args.typeName(3))")
        }
        extended = lua_toboolean(L, 3) != 0
      }
      let id: Int
      let isExtended: Bool
      if lua_type(L, 2) == LUA_TSTRING {
        let name = try args.string(2, "name")
        guard let found = PCICapability.id(named: name) else {
          let known = (Array(PCICapability.standardNames.values) + Array(PCICapability.extendedNames.values)).sorted()
          throw LuaArgumentError(
            "config:find: unknown capability name '\(name)' (known: \(known.joined(separator: ", "));"
              + " or give the numeric id)")
        }
        if let extended, extended != found.extended {
          throw LuaArgumentError(
            "config:find: '\(name)' is \(found.extended ? "an extended" : "a standard") capability,"
              + " but extended is \(extended)")
        }
        (id, isExtended) = (found.id, found.extended)
      } else {
        let n = try args.integer(2, "capability id")
        isExtended = extended ?? false
        let limit: Int64 = isExtended ? 0xFFFF : 0xFF
        guard (0...limit).contains(n) else {
          throw LuaArgumentError(
            "config:find: capability id \(n) is out of range (0..0x\(hex(limit)) for"
              + " \(isExtended ? "extended" : "standard") capabilities)")
        }
        id = Int(n)
      }
      if let off = try c.space.find(id, extended: isExtended) {
        lua_pushinteger(L, Int64(off))
      } else {
        lua_pushnil(L)
      }
      return 1
    }
  }

  /// config:close() — also __close. Idempotent.
  static let close: LuaSwiftFunction = { L in object.release(L, "config:close") }

  static let collect: LuaSwiftFunction = { L in object.collect(L) }

  /// "config 0000:00:03.0 sysfs 4096 bytes" (+ " writable", " (closed)").
  static let tostring: LuaSwiftFunction = { L in
    object.tostring(L) { c in
      "config \(c.addr) \(c.method) \(c.space.size) bytes\(c.space.writable ? " writable" : "")"
        + (c.space.isOpen ? "" : " (closed)")
    }
  }

  // MARK: link

  /// A speed in GT/s: an integer when whole (16), else a float (2.5).
  static func speed(_ s: Double?) -> (any LuaValue)? {
    guard let s else { return nil }
    return s == s.rounded() ? Int(s) : s
  }

  static func record(_ l: PCIExpressLink) -> LuaRecord {
    [
      "speed": speed(l.speed), "width": l.width, "max_speed": speed(l.maxSpeed), "max_width": l.maxWidth,
      "training": l.training, "dll_active": l.dllActive, "degraded": l.degraded, "disabled": l.disabled,
    ]
  }

  /// pci.link(addr) -> {speed=, width=, max_speed=, max_width=, training=, dll_active=,
  /// degraded=, disabled=} or nil when the device has no PCI Express link.
  static let link: LuaSwiftFunction = { L in
    luaFunction(L, "pci.link", atMost: 1, "address") { L, args in
      let space = try PCIConfigSpace.open(try address(args))
      defer { space.close() }
      if let l = try space.link() { record(l).push(L) } else { lua_pushnil(L) }
      return 1
    }
  }

  /// pci.retrain(port[, {speed=, timeout=}]) -> link, or nil, "timeout", link
  static let retrain: LuaSwiftFunction = { L in
    luaFunction(L, "pci.retrain", atMost: 2, "port address, {speed=, timeout=}") { L, args in
      let addr = try address(args, "port address")
      let opts = try args.options(2, allowed: ["speed", "timeout"])
      let speed = try opts.flatMap { try number($0, "speed") }
      if let speed, PCIExpressLink.code(speed: speed) == nil {
        throw LuaArgumentError(
          "pci.retrain: option speed \(speed) is not a PCI Express speed (2.5, 5, 8, 16, 32 or 64 GT/s)")
      }
      let timeout = try opts.flatMap { try number($0, "timeout") } ?? 1
      guard timeout > 0, timeout <= 60 else {
        throw LuaArgumentError("pci.retrain: option timeout \(timeout) is out of range (0 < timeout <= 60 seconds)")
      }
      let sysfs = PCISysfs()
      let space = try PCIConfigSpace.open(addr, sysfs: sysfs, writable: true)
      defer { space.close() }
      switch try space.retrain(
        speed: speed, timeoutNs: Int64(timeout * 1e9), upstream: sysfs.parentBridge(of: addr))
      {
      case .trained(let l):
        record(l).push(L)
        return 1
      case .timeout(let l):
        lua_pushnil(L)
        lua_pushstring(L, "timeout")
        record(l).push(L)
        return 3
      case .interrupted:
        throw LuaArgumentError("pci.retrain: " + String(cString: barlua_interrupt_consume(L)))
      }
    }
  }

  /// An option that is a number (integer or float).
  static func number(_ o: LuaOptions, _ key: String) throws -> Double? {
    let L = o.args.L
    lua_pushstring(L, key)
    lua_rawget(L, o.index)
    defer { clua_pop(L, 1) }
    if clua_isnil(L, -1) != 0 { return nil }
    guard lua_type(L, -1) == LUA_TNUMBER else {
      throw LuaArgumentError("\(o.args.fn): option \(key) must be a number, got \(o.args.typeName(-1))")
    }
    let v = clua_tonumberx(L, -1, nil)
    guard v.isFinite else { throw LuaArgumentError("\(o.args.fn): option \(key) must be a finite number, got \(v)") }
    return v
  }

  /// pci.link_disable(port, disable) -> whether Link Disable was set before.
  static let linkDisable: LuaSwiftFunction = { L in
    luaFunction(L, "pci.link_disable", atMost: 2, "port address, disable") { L, args in
      let addr = try address(args, "port address")
      guard lua_type(L, 2) == LUA_TBOOLEAN else {
        throw LuaArgumentError("pci.link_disable: disable must be a boolean, got \(args.typeName(2))")
      }
      let sysfs = PCISysfs()
      let space = try PCIConfigSpace.open(addr, sysfs: sysfs, writable: true)
      defer { space.close() }
      let before = try space.setLinkDisabled(lua_toboolean(L, 2) != 0, upstream: sysfs.parentBridge(of: addr))
      lua_pushboolean(L, before ? 1 : 0)
      return 1
    }
  }

  // MARK: AER and serial number

  static func counts(_ c: PCIAER.Counters?) -> LuaRecord? {
    guard let c else { return nil }
    return LuaRecord(pairs: c.counts.map { ($0.name, $0.count as any LuaValue) })
  }

  static func masks(uncorrectable: UInt32, correctable: UInt32) -> LuaRecord {
    ["uncorrectable": uncorrectable, "correctable": correctable]
  }

  /// pci.aer(addr) -> {correctable=, nonfatal=, fatal=, status=, mask=, severity=, problems=},
  /// or nil when the device has neither counters nor an AER capability.
  static let aer: LuaSwiftFunction = { L in
    luaFunction(L, "pci.aer", atMost: 1, "address") { L, args in
      let addr = try address(args)
      let sysfs = PCISysfs()
      let counters = try sysfs.aerCounters(addr)
      let space = try PCIConfigSpace.open(addr, sysfs: sysfs)
      defer { space.close() }
      // Non-root users read only the header: the registers then stay nil.
      let registers = space.size > 0x100 ? try space.aerRegisters() : nil
      let problems = [counters.correctable, counters.nonfatal, counters.fatal].compactMap { $0?.problems }.joined()
      if registers == nil && counters.correctable == nil && counters.nonfatal == nil && counters.fatal == nil {
        lua_pushnil(L)
        return 1
      }
      let r = registers
      let fields: LuaRecord = [
        "correctable": counts(counters.correctable), "nonfatal": counts(counters.nonfatal),
        "fatal": counts(counters.fatal),
        "status": r.map { r -> LuaRecord in
          [
            "uncorrectable": r.uncorrectableStatus, "correctable": r.correctableStatus,
            "uncorrectable_errors": LuaList(PCIAER.names(r.uncorrectableStatus, uncorrectable: true)) { $0 },
            "correctable_errors": LuaList(PCIAER.names(r.correctableStatus, uncorrectable: false)) { $0 },
          ]
        },
        "mask": r.map { masks(uncorrectable: $0.uncorrectableMask, correctable: $0.correctableMask) },
        "severity": r?.uncorrectableSeverity,
        "problems": problems.isEmpty ? nil : LuaList(Array(problems)) { $0 },
      ]
      fields.push(L)
      return 1
    }
  }

  /// pci.aer_mask(addr, {uncorrectable=, correctable=}) -> the masks before, the masks now (as
  /// read back: bits the device keeps read-only did not change).
  static let aerMask: LuaSwiftFunction = { L in
    luaFunction(L, "pci.aer_mask", atMost: 2, "address, {uncorrectable=, correctable=}") { L, args in
      let addr = try address(args)
      guard let opts = try args.options(2, allowed: ["uncorrectable", "correctable"]) else {
        throw LuaArgumentError(
          "pci.aer_mask: argument 2 must be a table {uncorrectable=, correctable=} (the masks to set;"
            + " pci.aer(addr).mask reads them)")
      }
      func mask(_ key: String) throws -> UInt32? {
        guard let v = try opts.integer(key) else { return nil }
        guard (0...0xFFFF_FFFF).contains(v) else {
          throw LuaArgumentError("pci.aer_mask: option \(key) \(v) does not fit in 32 bits (0..0xffffffff)")
        }
        return UInt32(v)
      }
      let (u, c) = (try mask("uncorrectable"), try mask("correctable"))
      let space = try PCIConfigSpace.open(addr, writable: true)
      defer { space.close() }
      let result = try space.setAERMasks(uncorrectable: u, correctable: c)
      masks(uncorrectable: result.before.uncorrectable, correctable: result.before.correctable).push(L)
      masks(uncorrectable: result.now.uncorrectable, correctable: result.now.correctable).push(L)
      return 2
    }
  }

  /// pci.serial(addr) -> the Device Serial Number as 16 hex digits, or nil.
  static let serial: LuaSwiftFunction = { L in
    luaFunction(L, "pci.serial", atMost: 1, "address") { L, args in
      let space = try PCIConfigSpace.open(try address(args))
      defer { space.close() }
      if let s = try space.serialNumber() { lua_pushstring(L, s) } else { lua_pushnil(L) }
      return 1
    }
  }
}
