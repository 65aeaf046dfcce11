import BarluaCore
import CBarlua
import CLua
import Glibc

/// Turns a `Mapping` into a Lua `bar`. The bar holds a retain on the mapping; `bar:unmap()`,
/// `__close` and `__gc` unmap it and drop that retain (CBarlua/bar.c).
enum BarObject {
  static let unmapOwner: @convention(c) (UnsafeMutableRawPointer?) -> Void = { p in
    guard let p else { return }
    Unmanaged<Mapping>.fromOpaque(p).takeUnretainedValue().unmap()
  }

  static let releaseOwner: @convention(c) (UnsafeMutableRawPointer?) -> Void = { p in
    guard let p else { return }
    Unmanaged<Mapping>.fromOpaque(p).release()
  }

  /// A file mapping of a regular file is page-cache memory (write-back cached): bar:read may
  /// copy it with memcpy. Everything else (sysfs resource files, /dev/mem, VFIO) is device
  /// memory.
  static func isOrdinaryMemory(_ info: Mapping.Description) -> Bool {
    guard info.method == .file else { return false }
    var st = stat()
    return stat(info.path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
  }

  /// Pushes a bar for `mapping` with the fields of api.md §bar, after the fields of `extra`
  /// (bar.device keeps its device alive).
  static func push(_ L: LuaState, _ mapping: Mapping, extra: LuaRecord = [:]) {
    let info = mapping.info
    let fields: LuaRecord = [
      BARLUA_BAR_FIELD_SIZE: mapping.size, BARLUA_BAR_FIELD_INDEX: info.index, "base": info.base,
      BARLUA_BAR_FIELD_METHOD: info.method.rawValue, "prefetchable": info.prefetchable,
      BARLUA_BAR_FIELD_ADDR: info.addr, BARLUA_BAR_FIELD_PATH: info.path, "writable": mapping.writable,
    ]
    extra.adding(fields).push(L)
    barlua_bar_push(
      L, mapping.window, Unmanaged.passRetained(mapping).toOpaque(), unmapOwner, releaseOwner,
      (isOrdinaryMemory(info) ? BARLUA_BAR_RAM : 0) | (mapping.writable ? 0 : BARLUA_BAR_READ_ONLY))
  }
}
