import CBarluaSys

/// Vendor and device names from the system's pci.ids, through libpci (`pci_lookup_name` with
/// `PCI_LOOKUP_NO_NUMBERS`, so an unknown id gives nil rather than a "Device 7024"
/// placeholder). libpci is made quiet by the C helper in CBarluaSys (`barlua_pci_names.c`):
/// it never prints and never exits; a missing pci.ids simply gives nil names.
public final class PCINameDatabase: @unchecked Sendable {
  // Sendable: the C handle serialises every lookup with its own mutex and is never mutated
  // from Swift.
  private let handle: OpaquePointer

  /// The process-wide database over libpci's default pci.ids; its `pci_access` is created at
  /// the first lookup.
  public static let system = PCINameDatabase(idsPath: nil)

  /// A database over `idsPath` (nil: libpci's default, the system pci.ids).
  public init(idsPath: String?) {
    guard let handle = barlua_pci_names_new(idsPath) else {
      fatalError("barlua_pci_names_new: out of memory")
    }
    self.handle = handle
  }

  deinit { barlua_pci_names_free(handle) }

  /// The vendor's and the device's names; each nil when pci.ids does not know it, or when
  /// libpci reported an error (e.g. a corrupt pci.ids; later lookups then give nil too).
  public func names(vendor: UInt16, device: UInt16) -> (vendor: String?, device: String?) {
    var vbuf = [CChar](repeating: 0, count: 256)
    var dbuf = [CChar](repeating: 0, count: 256)
    var ebuf = [CChar](repeating: 0, count: 256)
    let rc = barlua_pci_names_lookup(
      handle, vendor, device, &vbuf, vbuf.count, &dbuf, dbuf.count, &ebuf, ebuf.count)
    if rc != 0 { return (nil, nil) }
    let name = { (buf: [CChar]) -> String? in
      let text = String(
        decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      return text.isEmpty ? nil : text
    }
    return (name(vbuf), name(dbuf))
  }
}
