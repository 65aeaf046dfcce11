import Foundation

/// Files this process may read but not write, for the tests of read-only mappings and of the
/// errors that explain a refused write.
public enum ReadOnlyFile {
  /// `chattr FLAG PATH` ("+i", "-a", ...): its exit status, -1 when chattr could not run.
  public static func chattr(_ flag: String, _ path: String) -> Int32 {
    (try? ChildProcess.run("/usr/bin/chattr", [flag, path]))?.status ?? -1
  }

  /// Makes the file at `path` one this process cannot open for writing: mode 0444, and
  /// immutable (chattr +i) when running as root, whom file modes do not stop. False when the
  /// mode cannot be set or the file system has no immutable flag (the caller skips); `release`
  /// undoes it.
  public static func protect(_ path: String) -> Bool {
    guard chmod(path, 0o444) == 0 else { return false }
    return geteuid() != 0 || chattr("+i", path) == 0
  }

  /// Clears what `protect` set, so that the file can be removed.
  public static func release(_ path: String) {
    if geteuid() == 0 { _ = chattr("-i", path) }
    _ = chmod(path, 0o644)
  }
}
