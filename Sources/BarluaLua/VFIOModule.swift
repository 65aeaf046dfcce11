import BarluaCore
import CBarlua
import CLua

/// `vfio` — the VFIO mapping core (api.md §vfio), and the `device` object it opens.
enum VFIOModule {
  static let typeName = "barlua.device"

  static let functions: [(String, LuaSwiftFunction)] = [("open", open), ("devices", devices)]

  static let methods: [(String, LuaSwiftFunction)] = [
    ("regions", regions), ("irqs", irqs), ("map", map), ("features", features),
    ("config_read8", configRead8), ("config_read16", configRead16), ("config_read32", configRead32),
    ("config_write8", configWrite8), ("config_write16", configWrite16),
    ("config_write32", configWrite32), ("reset", reset), ("close", close),
    ("dma", dma), ("iova_ranges", iovaRanges), ("irq", IRQModule.irq),
  ]

  static let metamethods: [(String, LuaSwiftFunction)] = [
    ("__gc", collect), ("__close", close), ("__tostring", tostring),
  ]

  // MARK: module functions

  /// vfio.open(addr | filter) -> device
  static let open: LuaSwiftFunction = { L in
    luaCall(L, "vfio.open") { L in
      let args = LuaArgs(L: L, fn: "vfio.open")
      try args.expectAtMost(1, "address or filter")
      let addr: PCIAddress
      if lua_type(L, 1) == LUA_TTABLE {
        addr = try DeviceSelection.single(args, filterAt: 1)
      } else {
        addr = try PCIAddress(try args.string(1, "address"))
      }
      let device = try VFIODevice.open(addr)
      pushDevice(L, device)
      return 1
    }
  }

  /// vfio.devices() -> device-info of every device bound to vfio-pci, with group_path, viable.
  static let devices: LuaSwiftFunction = { L in
    luaCall(L, "vfio.devices") { L in
      try LuaArgs(L: L, fn: "vfio.devices").expectAtMost(0, "no arguments")
      let listings = try VFIO.devices()
      lua_createtable(L, Int32(listings.count), 0)
      for (i, l) in listings.enumerated() {
        DeviceInfo.push(L, l.entry)
        let t = LuaTableBuilder(L: L)
        t.set("group_path", l.groupPath)
        t.set("viable", l.viable)
        if !l.blockers.isEmpty {
          lua_createtable(L, Int32(l.blockers.count), 0)
          for (j, b) in l.blockers.enumerated() {
            lua_pushstring(L, "\(b.name)=\(b.driver ?? "")")
            lua_rawseti(L, -2, Int64(j + 1))
          }
          t.setTop("blockers")
        }
        lua_rawseti(L, -2, Int64(i + 1))
      }
      return 1
    }
  }

  static func pushDevice(_ L: LuaState, _ device: VFIODevice) {
    let t = LuaTableBuilder.push(L, nrec: 8)
    t.set("addr", device.addr)
    t.set("group", device.group)
    t.set("iommu", device.iommu.rawValue)
    t.set("group_path", device.groupPath)
    t.set("num_regions", device.numRegions)
    t.set("num_irqs", device.numIrqs)
    t.set("can_reset", device.canReset)
    if let info = device.info {
      DeviceInfo.push(L, info)
      t.setTop("info")
    }
    barlua_object_push(L, typeName, Unmanaged.passRetained(device).toOpaque())
  }

  /// The device at argument 1, or an error naming the method.
  static func device(_ L: LuaState, _ fn: String) throws -> VFIODevice {
    guard let p = barlua_object_get(L, 1, typeName) else {
      let args = LuaArgs(L: L, fn: fn)
      let what = barlua_object_is(L, 1, typeName) != 0 ? "device was collected" : "got \(args.typeName(1))"
      throw LuaArgumentError("\(fn): expected a device as self (call it as \(fn)(...)), \(what)")
    }
    return Unmanaged<VFIODevice>.fromOpaque(p).takeUnretainedValue()
  }

  // MARK: methods

  /// device:regions() -> {{index=, name=, size=, offset=, read=, write=, mmap=, sparse=}, ...}
  static let regions: LuaSwiftFunction = { L in
    luaCall(L, "device:regions") { L in
      let d = try device(L, "device:regions")
      try LuaArgs(L: L, fn: "device:regions").expectAtMost(1, "no arguments")
      guard d.isOpen else { throw UsageError("device \(d.addr) is closed") }
      let all = d.regions()
      lua_createtable(L, Int32(all.count), 0)
      for (i, r) in all.enumerated() {
        let t = LuaTableBuilder.push(L, nrec: 9)
        t.set("index", r.index)
        t.set("name", r.name)
        t.set("size", bits: r.size)
        t.set("offset", bits: r.offset)
        t.set("read", r.read)
        t.set("write", r.write)
        t.set("mmap", r.mmap)
        t.set("msix_mappable", r.msixMappable)
        if let sparse = r.sparse {
          lua_createtable(L, Int32(sparse.count), 0)
          for (j, a) in sparse.enumerated() {
            let s = LuaTableBuilder.push(L, nrec: 2)
            s.set("offset", bits: a.offset)
            s.set("size", bits: a.size)
            lua_rawseti(L, -2, Int64(j + 1))
          }
          t.setTop("sparse")
        }
        lua_rawseti(L, -2, Int64(i + 1))
      }
      return 1
    }
  }

  /// device:irqs() -> {{index=, name=, count=, eventfd=, maskable=, automasked=, noresize=}, ...}
  static let irqs: LuaSwiftFunction = { L in
    luaCall(L, "device:irqs") { L in
      let d = try device(L, "device:irqs")
      try LuaArgs(L: L, fn: "device:irqs").expectAtMost(1, "no arguments")
      let all = try d.irqs()
      lua_createtable(L, Int32(all.count), 0)
      for (i, q) in all.enumerated() {
        let t = LuaTableBuilder.push(L, nrec: 7)
        t.set("index", q.index)
        t.set("name", q.name)
        t.set("count", q.count)
        t.set("eventfd", q.eventfd)
        t.set("maskable", q.maskable)
        t.set("automasked", q.automasked)
        t.set("noresize", q.noresize)
        lua_rawseti(L, -2, Int64(i + 1))
      }
      return 1
    }
  }

  /// device:features() -> {dma_buf=, wc=false, wc_reason=} (probed each call; only feature
  /// numbers of released kernels are sent: VFIOWriteCombining.swift).
  static let features: LuaSwiftFunction = { L in
    luaCall(L, "device:features") { L in
      let d = try device(L, "device:features")
      try LuaArgs(L: L, fn: "device:features").expectAtMost(1, "no arguments")
      guard d.isOpen else { throw UsageError("device \(d.addr) is closed") }
      let f = d.features()
      let t = LuaTableBuilder.push(L, nrec: 3)
      t.set("dma_buf", f.dmaBufOffered)
      t.set("wc", f.writeCombining)
      t.set("wc_reason", LuaWording.describe(VFIOWriteCombiningUnavailable.notOffered(addr: d.addr, bar: nil)))
      return 1
    }
  }

  /// device:map(bar[, {offset=, size=, wc=}]) -> bar
  static let map: LuaSwiftFunction = { L in
    luaCall(L, "device:map") { L in
      let d = try device(L, "device:map")
      let args = LuaArgs(L: L, fn: "device:map")
      try args.expectAtMost(3, "bar, {offset=, size=, wc=}")
      let index = try args.integer(2, "bar")
      guard (0...5).contains(index) else {
        throw LuaArgumentError("device:map: bar \(index) is out of range (0..5)")
      }
      let opts = try args.options(3, allowed: ["offset", "size", "wc"])
      let offset = try opts?.nonNegative("offset") ?? 0
      let size = try opts?.nonNegative("size")
      if size == 0 { throw LuaArgumentError("device:map: option size must be greater than 0") }
      let mapping =
        try opts?.boolean("wc") == true
        ? d.mapWriteCombining(bar: Int(index), offset: offset, size: size)
        : d.map(bar: Int(index), offset: offset, size: size)
      // The bar keeps its device alive (bar.device), so the device's mappings outlive
      // neither the device nor its close().
      lua_pushvalue(L, 1)
      BarObject.push(L, mapping, extra: "device")
      return 1
    }
  }

  static func configRead(_ width: Int) -> (LuaState) throws -> Int32 {
    { L in
      let fn = "device:config_read\(width * 8)"
      let d = try device(L, fn)
      let args = LuaArgs(L: L, fn: fn)
      try args.expectAtMost(2, "offset")
      let off = try args.nonNegative(2, "offset")
      lua_pushinteger(L, Int64(try d.configRead(offset: off, width: width)))
      return 1
    }
  }

  static func configWrite(_ width: Int) -> (LuaState) throws -> Int32 {
    { L in
      let fn = "device:config_write\(width * 8)"
      let d = try device(L, fn)
      let args = LuaArgs(L: L, fn: fn)
      try args.expectAtMost(3, "offset, value")
      let off = try args.nonNegative(2, "offset")
      let v = try args.integer(3, "value")
      let bits = Int64(width * 8)
      guard v >= -(1 << (bits - 1)), v < (1 << bits) else {
        throw LuaArgumentError(
          "\(fn): value \(v) does not fit in \(bits) bits (0..0x\(hex((1 << bits) - 1)))")
      }
      try d.configWrite(offset: off, width: width, value: UInt32(truncatingIfNeeded: v))
      return 0
    }
  }

  static let configRead8: LuaSwiftFunction = { L in luaCall(L, "device:config_read8", configRead(1)) }
  static let configRead16: LuaSwiftFunction = { L in luaCall(L, "device:config_read16", configRead(2)) }
  static let configRead32: LuaSwiftFunction = { L in luaCall(L, "device:config_read32", configRead(4)) }
  static let configWrite8: LuaSwiftFunction = { L in luaCall(L, "device:config_write8", configWrite(1)) }
  static let configWrite16: LuaSwiftFunction = { L in luaCall(L, "device:config_write16", configWrite(2)) }
  static let configWrite32: LuaSwiftFunction = { L in luaCall(L, "device:config_write32", configWrite(4)) }

  /// device:reset()
  static let reset: LuaSwiftFunction = { L in
    luaCall(L, "device:reset") { L in
      let d = try device(L, "device:reset")
      try LuaArgs(L: L, fn: "device:reset").expectAtMost(1, "no arguments")
      try d.reset()
      return 0
    }
  }

  /// device:close() — also __close. Idempotent.
  static let close: LuaSwiftFunction = { L in
    luaCall(L, "device:close") { L in
      let d = try device(L, "device:close")
      d.close()
      return 0
    }
  }

  /// __gc: close, then drop the retain.
  static let collect: LuaSwiftFunction = { L in
    guard let L, let p = barlua_object_take(L, 1, typeName) else { return 0 }
    let d = Unmanaged<VFIODevice>.fromOpaque(p)
    d.takeUnretainedValue().close()
    d.release()
    return 0
  }

  /// "vfio device 0000:00:03.0 group 3 type1v2" (+ " (closed)").
  static let tostring: LuaSwiftFunction = { L in
    luaCall(L, "device:__tostring") { L in
      let d = try device(L, "device:__tostring")
      lua_pushstring(L, "vfio device \(d.addr) group \(d.group) \(d.iommu.rawValue)\(d.isOpen ? "" : " (closed)")")
      return 1
    }
  }
}
