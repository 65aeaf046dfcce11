/// Mapping requests that cannot be carried out for a reason a program may word its own way
/// (the Lua bindings name the Lua call that helps).
public enum MappingError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The kernel exposes no `resourceN` files for the device at `addr` (`path` is the one
  /// looked for): map the BAR through VFIO instead.
  case noResourceFiles(addr: PCIAddress, path: String)
  /// A character or block device has no size: the caller must give one.
  case deviceFileWithoutSize(path: String)

  /// What is wrong, without the remedy.
  public var fact: String {
    switch self {
    case .noResourceFiles(let addr, let path):
      "\(path) does not exist: this kernel exposes no sysfs resource files for \(addr)"
    case .deviceFileWithoutSize(let path): "\(path) is a device file with no size"
    }
  }

  public var description: String {
    switch self {
    case .noResourceFiles: "\(fact) (map it through VFIO instead)"
    case .deviceFileWithoutSize: "\(fact): give the size to map"
    }
  }
}
