#if canImport(Glibc)
  import Glibc
#endif

/// Why PCI discovery failed. `description` is the message a user sees: it names the call, the
/// path and the errno text, and what to do about it where that is known.
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
  /// A system call failed.
  case system(call: String, path: String, errno: Int32)
  /// A sysfs file held text that is not what the kernel writes there.
  case badFormat(path: String, text: String, expected: String)

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
    case .system(let call, let path, let err):
      return "\(call) \(path): \(PCIError.errnoText(err))\(PCIError.hint(err))"
    case .badFormat(let path, let text, let expected):
      return "unexpected contents in \(path): '\(text)' (expected \(expected))"
    }
  }

  static func errnoText(_ err: Int32) -> String {
    "\(String(cString: strerror(err))) (errno \(err))"
  }

  static func hint(_ err: Int32) -> String {
    switch err {
    case EACCES, EPERM: return ": run as root or give your user read access to the file"
    default: return ""
    }
  }
}
