/// Whether the running kernel logs PAT reservations at all.
public enum PATStatus {
  /// True when the kernel command line has the word `debugpat` (4.2+ prints the
  /// `memtype_reserve`/`Overlap`/`memtype_free` debug lines only then). Words after a lone
  /// `--` go to init, not to the kernel, so they do not count.
  public static func enabled(cmdlinePath: String = "/proc/cmdline") throws(SystemError) -> Bool {
    let cmdline: String
    do {
      cmdline = try SystemFile.readText(cmdlinePath)
    } catch {
      var error = error
      error.hint = "cannot tell whether debugpat is on the kernel command line"
      throw error
    }
    for word in cmdline.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
      if word == "--" { break }
      if word == "debugpat" { return true }
    }
    return false
  }
}
