import BarluaCore
import CLua

/// The device-info table of api.md §pci, shared by pci.devices, pci.device, vfio.devices and
/// device.info.
enum DeviceInfo {
  static func push(_ L: LuaState, _ d: PCIDeviceInfo) {
    let t = LuaTableBuilder.push(L, nrec: 24)
    t.set("addr", d.addr.description)
    t.set("domain", Int(d.domain))
    t.set("bus", Int(d.bus))
    t.set("slot", Int(d.slot))
    t.set("func", Int(d.function))
    t.set("vendor", Int(d.vendor))
    t.set("device", Int(d.device))
    t.set("subvendor", Int(d.subvendor))
    t.set("subdevice", Int(d.subdevice))
    t.set("class", Int(d.class))
    t.set("revision", Int(d.revision))
    t.set("vendor_name", d.vendorName)
    t.set("device_name", d.deviceName)
    t.set("driver", d.driver)
    t.set("iommu_group", d.iommuGroup)
    t.set("numa_node", d.numaNode)
    let c = LuaTableBuilder.push(L, nrec: 3)
    c.set("io", d.command.io)
    c.set("mem", d.command.mem)
    c.set("bus_master", d.command.busMaster)
    t.setTop("command")
    if let link = d.link {
      let l = LuaTableBuilder.push(L, nrec: 6)
      l.set("speed", link.speed)
      l.set("width", link.width)
      l.set("max_speed", link.maxSpeed)
      l.set("max_width", link.maxWidth)
      l.set("gts", link.speedGTs)
      l.set("max_gts", link.maxSpeedGTs)
      t.setTop("link")
    }
    lua_createtable(L, 0, Int32(d.bars.count))
    for bar in d.bars {
      let b = LuaTableBuilder.push(L, nrec: 7)
      b.set("index", bar.index)
      b.set("base", bits: bar.base)
      b.set("size", bits: bar.size)
      b.set("io", bar.io)
      b.set("prefetchable", bar.prefetchable)
      b.set("is64", bar.is64)
      b.set("wc", bar.sysfsWC)
      lua_rawseti(L, -2, Int64(bar.index))
    }
    t.setTop("bars")
  }

  /// A device that could not be read: its address fields, the identity fields that could be
  /// read, and `error` (what is wrong with its sysfs files).
  static func push(_ L: LuaState, _ bad: PCIUnreadableDevice) {
    let t = LuaTableBuilder.push(L, nrec: 10)
    t.set("addr", bad.addr.description)
    t.set("domain", Int(bad.addr.domain))
    t.set("bus", Int(bad.addr.bus))
    t.set("slot", Int(bad.addr.slot))
    t.set("func", Int(bad.addr.function))
    t.set("vendor", bad.vendor.map { Int($0) })
    t.set("device", bad.device.map { Int($0) })
    t.set("class", bad.class.map { Int($0) })
    t.set("driver", bad.driver)
    t.set("error", bad.problem)
  }

  static func push(_ L: LuaState, _ entry: PCIDeviceEntry) {
    switch entry {
    case .readable(let info): push(L, info)
    case .unreadable(let bad): push(L, bad)
    }
  }
}

/// Reading a filter table (api.md §pci) and resolving a selection to one device.
enum DeviceSelection {
  static let keys = ["addr", "vendor", "device", "subvendor", "subdevice", "class", "driver"]

  static func filter(_ args: LuaArgs, at index: Int32) throws -> PCIFilter {
    if !args.isNoneOrNil(index), lua_type(args.L, index) != LUA_TTABLE {
      throw LuaArgumentError(
        "\(args.fn): filter must be a table of \(keys.joined(separator: ", ")), got \(args.typeName(index))")
    }
    guard let opts = try args.options(index, allowed: keys) else { return PCIFilter() }
    var f = PCIFilter()
    if let a = try opts.string("addr") { f.addr = try PCIAddress(a) }
    func id(_ key: String, max: Int64) throws -> Int64? {
      guard let v = try opts.integer(key) else { return nil }
      guard (0...max).contains(v) else {
        throw LuaArgumentError(
          "\(args.fn): filter \(key) \(v < 0 ? "\(v)" : "0x" + hex(v)) is out of range (0..0x\(hex(max)))"
        )
      }
      return v
    }
    f.vendor = try id("vendor", max: 0xffff).map { UInt16($0) }
    f.device = try id("device", max: 0xffff).map { UInt16($0) }
    f.subvendor = try id("subvendor", max: 0xffff).map { UInt16($0) }
    f.subdevice = try id("subdevice", max: 0xffff).map { UInt16($0) }
    f.class = try id("class", max: 0xff_ffff).map { UInt32($0) }
    // driver: a name, or false for "no driver bound".
    let L = args.L
    lua_pushstring(L, "driver")
    lua_rawget(L, opts.index)
    defer { clua_pop(L, 1) }
    switch lua_type(L, -1) {
    case LUA_TNIL: break
    case LUA_TSTRING: f.driver = .name(try args.string(lua_gettop(L), "filter driver"))
    case LUA_TBOOLEAN where lua_toboolean(L, -1) == 0: f.driver = .unbound
    default:
      throw LuaArgumentError(
        "\(args.fn): filter driver must be a driver name or false (no driver), got \(args.typeName(-1))")
    }
    return f
  }

  /// The one device a filter matches; the error lists the matches otherwise.
  static func single(_ args: LuaArgs, filterAt index: Int32) throws -> PCIAddress {
    let matches = try PCISysfs().entries(filter: try filter(args, at: index))
    guard matches.count == 1 else {
      if matches.isEmpty { throw UsageError("the filter matches no device (pci.devices() lists them)") }
      let list = matches.map { entry in
        switch entry {
        case .readable(let d):
          "\(d.addr) \(hex(d.vendor, width: 4)):\(hex(d.device, width: 4)) \(d.driver ?? "no driver")"
        case .unreadable(let bad): "\(bad.addr) (unreadable: \(bad.problem))"
        }
      }
      throw UsageError(
        "the filter matches \(matches.count) devices, it must match one: \(list.joined(separator: "; "))")
    }
    return matches[0].addr
  }
}
