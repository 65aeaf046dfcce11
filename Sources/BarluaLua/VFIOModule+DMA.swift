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
    object.method(L, "device:dma", atMost: 3, "size, {iova=}") { L, d, args in
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
    let fields: LuaRecord = [
      "device": LuaStackValue(device), BARLUA_BAR_FIELD_SIZE: buffer.size, BARLUA_BAR_FIELD_IOVA: buffer.iova,
      BARLUA_BAR_FIELD_ADDR: buffer.addr, BARLUA_BAR_FIELD_METHOD: buffer.info.method.rawValue,
      "huge_pages": buffer.hugePages, "free": LuaCFunction(barlua_bar_free),
    ]
    fields.push(L)
    barlua_bar_push(
      L, buffer.window, Unmanaged<Mapping>.passRetained(buffer).toOpaque(), BarObject.unmapOwner,
      BarObject.releaseOwner, BARLUA_BAR_RAM)  // host RAM: memcpy is safe and fastest
  }

  /// device:iova_ranges() -> {{first=, last=}, ...} (type1), or nil in no-IOMMU mode.
  static let iovaRanges: LuaSwiftFunction = { L in
    object.method(L, "device:iova_ranges", atMost: 1, "no arguments") { L, d, _ in
      guard let ranges = try d.iovaRanges() else {
        lua_pushnil(L)
        return 1
      }
      LuaList(ranges) { ["first": $0.first, "last": $0.last] as LuaRecord }.push(L)
      return 1
    }
  }
}
