/// barlua's own version (semantic versioning).
public enum BarluaVersion {
  public static let string = "0.1.0"
}
