import BarluaCore
import CLua

/// The device-info table of api.md §pci, shared by pci.devices, pci.device, vfio.devices and
/// device.info.
enum DeviceInfo {
  static func record(_ d: PCIDeviceInfo) -> LuaRecord {
    [
      "addr": d.addr.description, "domain": d.domain, "bus": d.bus, "slot": d.slot, "func": d.function,
      "vendor": d.vendor, "device": d.device, "subvendor": d.subvendor, "subdevice": d.subdevice, "class": d.class,
      "revision": d.revision, "vendor_name": d.vendorName, "device_name": d.deviceName, "driver": d.driver,
      "iommu_group": d.iommuGroup, "numa_node": d.numaNode,
      "command": ["io": d.command.io, "mem": d.command.mem, "bus_master": d.command.busMaster] as LuaRecord,
      "link": d.link.map(record), "bars": LuaList(d.bars, key: { $0.index }, record),
    ]
  }

  /// The device-info table of a device read without names (`device.info` of `vfio.open`):
  /// `vendor_name` and `device_name` are looked up in the system's pci.ids when first read
  /// (through the table's `__index`), so opening a device does not load libpci.
  static func recordNamingOnFirstUse(_ d: PCIDeviceInfo) -> LuaWithMetatable {
    LuaWithMetatable(value: record(d), metatable: LuaRecord(functions: [("__index", namesOnFirstUse)]))
  }

  /// `__index(info, key)`: for `vendor_name` / `device_name`, looks both names up from the
  /// table's `vendor` and `device`, stores those pci.ids knows (raw sets) and returns the one
  /// asked for; nil for every other key.
  static let namesOnFirstUse: LuaSwiftFunction = { L in
    luaCall(L, "device.info") { L in
      var len = 0
      let key = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &len).map { String(cString: $0) } : nil
      guard key == "vendor_name" || key == "device_name", lua_type(L, 1) == LUA_TTABLE else {
        lua_pushnil(L)
        return 1
      }
      let id = { (field: String) -> UInt16? in
        lua_pushstring(L, field)
        lua_rawget(L, 1)
        defer { clua_pop(L, 1) }
        var isnum: Int32 = 0
        let v = clua_tointegerx(L, -1, &isnum)
        return isnum != 0 ? UInt16(exactly: v) : nil
      }
      guard let vendor = id("vendor"), let device = id("device") else {
        lua_pushnil(L)
        return 1
      }
      let names = PCINameDatabase.system.names(vendor: vendor, device: device)
      for (field, name) in [("vendor_name", names.vendor), ("device_name", names.device)] {
        guard let name else { continue }
        lua_pushstring(L, field)
        lua_pushstring(L, name)
        lua_rawset(L, 1)
      }
      lua_pushstring(L, key)
      lua_rawget(L, 1)
      return 1
    }
  }

  static func record(_ link: PCILink) -> LuaRecord {
    [
      "speed": link.speed, "width": link.width, "max_speed": link.maxSpeed, "max_width": link.maxWidth,
      "gts": link.speedGTs, "max_gts": link.maxSpeedGTs,
    ]
  }

  static func record(_ bar: PCIBar) -> LuaRecord {
    [
      "index": bar.index, "base": bar.base, "size": bar.size, "io": bar.io, "prefetchable": bar.prefetchable,
      "is64": bar.is64, "wc": bar.sysfsWC,
    ]
  }

  /// A device that could not be read: its address fields, the identity fields that could be
  /// read, and `error` (what is wrong with its sysfs files).
  static func record(_ bad: PCIUnreadableDevice) -> LuaRecord {
    [
      "addr": bad.addr.description, "domain": bad.addr.domain, "bus": bad.addr.bus, "slot": bad.addr.slot,
      "func": bad.addr.function, "vendor": bad.vendor, "device": bad.device, "class": bad.class,
      "driver": bad.driver, "error": bad.problem,
    ]
  }

  /// The device-info table of `entry`, followed by the fields of `extra`.
  static func record(_ entry: PCIDeviceEntry, adding extra: LuaRecord = [:]) -> LuaRecord {
    switch entry {
    case .readable(let info): record(info).adding(extra)
    case .unreadable(let bad): record(bad).adding(extra)
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
    guard let opts = try args.options(index, allowed: keys) else { return .any }
    var f = PCIFilter.any
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
    guard matches.count == 1 else { throw DeviceSelectionError.notOne(matches: matches) }
    return matches[0].addr
  }
}

/// A filter that selects no device, or more than one, where one is needed (worded in
/// `LuaWording`).
enum DeviceSelectionError: Error, Equatable {
  /// `matches` are the devices the filter matched: none, or more than one.
  case notOne(matches: [PCIDeviceEntry])
}
