import BarluaCore
import CBarlua
import CLua

/// `device:dma(size[, {iova=}])` and `device:iova_ranges()` (api.md "DMA and interrupts").
///
/// A DMA buffer is a bar (CBarlua/bar.c) over a `DMABuffer`, so every bar access and bulk
/// method serves it with no code of its own; its fields add `iova` and `device`, its `free`
/// is `__close` by name, and bar.c words its errors and `tostring` for a buffer.
extension VFIOModule {
  /// device:dma(size[, {iova=}]) -> buffer
  static let dma: LuaSwiftFunction = { L in
    luaCall(L, "device:dma") { L in
      let d = try device(L, "device:dma")
      let args = LuaArgs(L: L, fn: "device:dma")
      try args.expectAtMost(3, "size, {iova=}")
      let size = try args.integer(2, "size")
      guard size > 0, UInt64(size) <= VFIODevice.maximumDMASize else {
        throw LuaArgumentError(
          "device:dma: size \(size) is out of range (1 .. \(VFIODevice.maximumDMASize), 1 GiB)")
      }
      let opts = try args.options(3, allowed: ["iova"])
      let iova = try opts?.nonNegative("iova")
      let buffer = try d.dma(size: UInt64(size), iova: iova)
      pushBuffer(L, buffer, device: 1)
      return 1
    }
  }

  /// Pushes a bar over `buffer` whose fields are size, iova, device (the value at `device`),
  /// addr, method "dma", huge_pages and free.
  static func pushBuffer(_ L: LuaState, _ buffer: DMABuffer, device: Int32) {
    let t = LuaTableBuilder.push(L, nrec: 8)
    lua_pushvalue(L, device)
    t.setTop("device")
    t.set("size", bits: buffer.size)
    t.set("iova", bits: buffer.iova)
    t.set("addr", buffer.addr)
    t.set("method", buffer.info.method.rawValue)
    t.set("huge_pages", buffer.hugePages)
    clua_pushcfunction(L, barlua_bar_free)
    t.setTop("free")
    barlua_bar_push(
      L, buffer.window, Unmanaged<Mapping>.passRetained(buffer).toOpaque(), BarObject.unmapOwner,
      BarObject.releaseOwner, BARLUA_BAR_RAM)  // host RAM: memcpy is safe and fastest
  }

  /// device:iova_ranges() -> {{first=, last=}, ...} (type1), or nil in no-IOMMU mode.
  static let iovaRanges: LuaSwiftFunction = { L in
    luaCall(L, "device:iova_ranges") { L in
      let d = try device(L, "device:iova_ranges")
      try LuaArgs(L: L, fn: "device:iova_ranges").expectAtMost(1, "no arguments")
      guard let ranges = try d.iovaRanges() else {
        lua_pushnil(L)
        return 1
      }
      lua_createtable(L, Int32(ranges.count), 0)
      for (i, r) in ranges.enumerated() {
        let t = LuaTableBuilder.push(L, nrec: 2)
        t.set("first", bits: r.first)
        t.set("last", bits: r.last)
        lua_rawseti(L, -2, Int64(i + 1))
      }
      return 1
    }
  }
}
