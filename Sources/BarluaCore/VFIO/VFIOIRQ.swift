import CBarluaSys

/// One interrupt index of a VFIO PCI device (`VFIO_DEVICE_GET_IRQ_INFO`); only `VFIODevice`
/// makes one, so it has no public initialiser.
public struct VFIOIRQ: Equatable, Sendable {
  public var index: Int
  /// Number of vectors (INTx: 1 or 0 when the device has no pin).
  public var count: Int
  /// The raw `VFIO_IRQ_INFO_*` flags.
  public var flags: UInt32

  /// `"INTx"`, `"MSI"`, `"MSI-X"`, `"ERR"`, `"REQ"` or `"irq N"`.
  public var name: String {
    switch index {
    case Int(BARLUA_VFIO_PCI_INTX_IRQ_INDEX): "INTx"
    case Int(BARLUA_VFIO_PCI_MSI_IRQ_INDEX): "MSI"
    case Int(BARLUA_VFIO_PCI_MSIX_IRQ_INDEX): "MSI-X"
    case Int(BARLUA_VFIO_PCI_ERR_IRQ_INDEX): "ERR"
    case Int(BARLUA_VFIO_PCI_REQ_IRQ_INDEX): "REQ"
    default: "irq \(index)"
    }
  }

  public var eventfd: Bool { flags & UInt32(BARLUA_VFIO_IRQ_INFO_EVENTFD) != 0 }
  public var maskable: Bool { flags & UInt32(BARLUA_VFIO_IRQ_INFO_MASKABLE) != 0 }
  public var automasked: Bool { flags & UInt32(BARLUA_VFIO_IRQ_INFO_AUTOMASKED) != 0 }
  public var noresize: Bool { flags & UInt32(BARLUA_VFIO_IRQ_INFO_NORESIZE) != 0 }
}
