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
    ("hot_reset_info", hotResetInfo), ("hot_reset", hotReset),
    ("config", PCIConfigModule.deviceConfig),
  ]

  static let metamethods: [(String, LuaSwiftFunction)] = [
    ("__gc", collect), ("__close", close), ("__tostring", tostring),
  ]

  static let object = LuaObjectType<VFIODevice>(
    typeName: typeName, noun: "device", article: "a", release: { $0.close() })

  // MARK: module functions

  /// vfio.open(addr | filter) -> device
  static let open: LuaSwiftFunction = { L in
    luaFunction(L, "vfio.open", atMost: 1, "address or filter") { L, args in
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
    luaFunction(L, "vfio.devices", atMost: 0, "no arguments") { L, _ in
      LuaList(try VFIO.devices()) { l in
        DeviceInfo.record(
          l.entry,
          adding: [
            "group_path": l.groupPath, "viable": l.viable,
            "blockers": l.blockers.isEmpty ? nil : LuaList(l.blockers) { "\($0.name)=\($0.driver ?? "")" },
          ])
      }.push(L)
      return 1
    }
  }

  static func pushDevice(_ L: LuaState, _ device: VFIODevice) {
    let fields: LuaRecord = [
      "addr": device.addr, "group": device.group, "iommu": device.iommu.rawValue, "group_path": device.groupPath,
      "num_regions": device.numRegions, "num_irqs": device.numIrqs, "can_reset": device.canReset,
      "info": device.info.map { DeviceInfo.record($0) },
    ]
    object.push(L, device, fields: fields)
  }

  // MARK: methods

  /// device:regions() -> {{index=, name=, size=, offset=, read=, write=, mmap=, sparse=}, ...}
  static let regions: LuaSwiftFunction = { L in
    object.method(L, "device:regions", atMost: 1, "no arguments") { L, d, _ in
      guard d.isOpen else { throw UsageError("device \(d.addr) is closed") }
      LuaList(d.regions(), record).push(L)
      return 1
    }
  }

  /// device:irqs() -> {{index=, name=, count=, eventfd=, maskable=, automasked=, noresize=}, ...}
  static let irqs: LuaSwiftFunction = { L in
    object.method(L, "device:irqs", atMost: 1, "no arguments") { L, d, _ in
      LuaList(try d.irqs(), record).push(L)
      return 1
    }
  }

  static func record(_ r: VFIORegion) -> LuaRecord {
    [
      "index": r.index, "name": r.name, "size": r.size, "offset": r.offset, "read": r.read, "write": r.write,
      "mmap": r.mmap, "msix_mappable": r.msixMappable,
      "sparse": r.sparse.map { areas in LuaList(areas) { ["offset": $0.offset, "size": $0.size] as LuaRecord } },
    ]
  }

  static func record(_ q: VFIOIRQ) -> LuaRecord {
    [
      "index": q.index, "name": q.name, "count": q.count, "eventfd": q.eventfd, "maskable": q.maskable,
      "automasked": q.automasked, "noresize": q.noresize,
    ]
  }

  /// device:features() -> {dma_buf=, wc=false, wc_reason=} (probed each call; only feature
  /// numbers of released kernels are sent: VFIOWriteCombining.swift).
  static let features: LuaSwiftFunction = { L in
    object.method(L, "device:features", atMost: 1, "no arguments") { L, d, _ in
      guard d.isOpen else { throw UsageError("device \(d.addr) is closed") }
      let f = d.features()
      let reason = LuaWording.describe(VFIOWriteCombiningUnavailable.notOffered(addr: d.addr, bar: nil))
      let fields: LuaRecord = ["dma_buf": f.dmaBufOffered, "wc": f.writeCombining, "wc_reason": reason]
      fields.push(L)
      return 1
    }
  }

  /// device:map(bar[, {offset=, size=, wc=}]) -> bar
  static let map: LuaSwiftFunction = { L in
    object.method(L, "device:map", atMost: 3, "bar, {offset=, size=, wc=}") { L, d, args in
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
      BarObject.push(L, mapping, extra: ["device": LuaStackValue(1)])
      return 1
    }
  }

  /// device:config_readN(offset) -> value
  static func configRead(_ L: LuaState?, width: Int) -> Int32 {
    object.method(L, "device:config_read\(width * 8)", atMost: 2, "offset") { L, d, args in
      let off = try args.nonNegative(2, "offset")
      lua_pushinteger(L, Int64(try d.configRead(offset: off, width: width)))
      return 1
    }
  }

  /// device:config_writeN(offset, value)
  static func configWrite(_ L: LuaState?, width: Int) -> Int32 {
    object.method(L, "device:config_write\(width * 8)", atMost: 3, "offset, value") { L, d, args in
      let off = try args.nonNegative(2, "offset")
      let v = try args.integer(3, "value")
      let bits = Int64(width * 8)
      guard v >= -(1 << (bits - 1)), v < (1 << bits) else {
        throw LuaArgumentError(
          "\(args.fn): value \(v) does not fit in \(bits) bits (0..0x\(hex((1 << bits) - 1)))")
      }
      try d.configWrite(offset: off, width: width, value: UInt32(truncatingIfNeeded: v))
      return 0
    }
  }

  static let configRead8: LuaSwiftFunction = { L in configRead(L, width: 1) }
  static let configRead16: LuaSwiftFunction = { L in configRead(L, width: 2) }
  static let configRead32: LuaSwiftFunction = { L in configRead(L, width: 4) }
  static let configWrite8: LuaSwiftFunction = { L in configWrite(L, width: 1) }
  static let configWrite16: LuaSwiftFunction = { L in configWrite(L, width: 2) }
  static let configWrite32: LuaSwiftFunction = { L in configWrite(L, width: 4) }

  /// device:reset()
  static let reset: LuaSwiftFunction = { L in object.action(L, "device:reset") { try $0.reset() } }

  /// device:close() — also __close. Idempotent.
  static let close: LuaSwiftFunction = { L in object.release(L, "device:close") }

  /// __gc: close, then drop the retain.
  static let collect: LuaSwiftFunction = { L in object.collect(L) }

  /// "vfio device 0000:00:03.0 group 3 type1v2" (+ " (closed)").
  static let tostring: LuaSwiftFunction = { L in
    object.tostring(L) { d in "vfio device \(d.addr) group \(d.group) \(d.iommu.rawValue)\(d.isOpen ? "" : " (closed)")"
    }
  }

  /// device:hot_reset_info() -> {{addr=, group=, held=}, ...}: every device a bus or slot
  /// reset of this one would hit.
  static let hotResetInfo: LuaSwiftFunction = { L in
    object.method(L, "device:hot_reset_info", atMost: 1, "no arguments") { L, d, _ in
      guard d.isOpen else { throw UsageError("device \(d.addr) is closed") }
      LuaList(try d.hotResetInfo()) { h -> LuaRecord in
        ["addr": h.address.description, "group": h.group, "held": h.held]
      }.push(L)
      return 1
    }
  }

  /// device:hot_reset(): VFIO_DEVICE_PCI_HOT_RESET with the groups this process holds.
  static let hotReset: LuaSwiftFunction = { L in
    object.action(L, "device:hot_reset") { d in
      guard d.isOpen else { throw UsageError("device \(d.addr) is closed") }
      try d.hotReset()
    }
  }
}
