/// barlua's core: PCI discovery, VFIO, mappings and PAT parsing, with no Lua in it.
public enum BarluaCore {
  public static let version = "0.1.0"
}
