/// Why PCI discovery cannot do what was asked (a failed call or a malformed sysfs file is a
/// `SystemError`). `description` is the message a user sees, with what to do about it.
public enum PCIError: Error, Equatable, CustomStringConvertible {
  /// Text that is not a PCI address.
  case badAddress(text: String, reason: String?)
  /// Text that is not a device filter (`dom:bus:dev.func`, `bus:dev.func`, `vendor:device`,
  /// `vendor`).
  case badFilter(text: String, reason: String)
  /// No such device under the sysfs root.
  case noDevice(PCIAddress, root: String)
  /// The device has no `iommu_group` link.
  case noIOMMUGroup(PCIAddress, path: String)

  public var description: String {
    switch self {
    case .badAddress(let text, let reason):
      let why = reason.map { "; \($0)" } ?? ""
      return "bad PCI address '\(text)': expected DDDD:BB:SS.F or BB:SS.F (hex)\(why)"
    case .badFilter(let text, let reason):
      return "bad PCI filter '\(text)': \(reason)"
    case .noDevice(let addr, let root):
      return "no PCI device \(addr) in \(root) (lspci -D lists them)"
    case .noIOMMUGroup(let addr, let path):
      return "PCI device \(addr) has no IOMMU group (\(path) is absent): enable the IOMMU"
        + " (intel_iommu=on / amd_iommu=on) or load vfio with enable_unsafe_noiommu_mode=1"
    }
  }
}
