import BarluaCore
import CLua

/// `pci` — discovery through sysfs (api.md §pci). Needs no privileges.
enum PCIModule {
  static let functions: [(String, LuaSwiftFunction)] = [
    ("devices", devices), ("device", device), ("map", map),
  ]

  /// pci.map(addr, bar[, {wc = true, write = false}]) -> bar over resourceN (uncached) or
  /// resourceN_wc; `write = false` maps it read-only.
  static let map: LuaSwiftFunction = { L in
    luaFunction(L, "pci.map", atMost: 3, "address, bar, {wc=, write=}") { L, args in
      let addr = try PCIAddress(try args.string(1, "address"))
      let bar = try args.integer(2, "bar")
      guard (0...5).contains(bar) else { throw LuaArgumentError("pci.map: bar \(bar) is out of range (0..5)") }
      let opts = try args.options(3, allowed: ["wc", "write"])
      let wc = try opts?.boolean("wc") ?? false
      let writable = try opts?.boolean("write") ?? true
      BarObject.push(
        L, try Mapping.mapSysfs(addr, bar: Int(bar), writeCombining: wc, writable: writable))
      return 1
    }
  }

  /// pci.devices([filter]) -> array of device-info tables, sorted by address.
  static let devices: LuaSwiftFunction = { L in
    luaFunction(L, "pci.devices", atMost: 1, "filter") { L, args in
      let found = try PCISysfs().entries(filter: try DeviceSelection.filter(args, at: 1))
      LuaList(found) { DeviceInfo.record($0) }.push(L)
      return 1
    }
  }

  /// pci.device(addr) -> device-info table; an error when absent.
  static let device: LuaSwiftFunction = { L in
    luaFunction(L, "pci.device", atMost: 1, "address") { L, args in
      DeviceInfo.record(try PCISysfs().device(PCIAddress(try args.string(1, "address")))).push(L)
      return 1
    }
  }
}
