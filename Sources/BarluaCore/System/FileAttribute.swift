import CBarluaSys

/// An inode flag that refuses writing even to root (set with `chattr`, shown by `lsattr`).
public enum FileAttribute: Equatable, Sendable {
  /// `chattr +i`: no one may write, rename or delete the file.
  case immutable
  /// `chattr +a`: the file may only be appended to, so it cannot be opened for writing in place.
  case appendOnly

  /// The flag of `path` that refuses writing; nil when it has none or its flags cannot be read
  /// (a file system without inode flags, such as tmpfs).
  public static func refusingWrites(_ path: String) -> FileAttribute? {
    let flags = barlua_inode_flags(path)
    guard flags >= 0 else { return nil }
    if flags & Int(BARLUA_INODE_IMMUTABLE) != 0 { return .immutable }
    if flags & Int(BARLUA_INODE_APPEND) != 0 { return .appendOnly }
    return nil
  }

  /// What the flag means for mapping `path` writable, and how to remove it.
  public func text(path: String) -> String {
    switch self {
    case .immutable:
      "the file is immutable (chattr +i; lsattr shows 'i'): no one, not even root, may"
        + " write it; remove the flag with chattr -i \(path) if it should be mapped writable"
    case .appendOnly:
      "the file is append-only (chattr +a; lsattr shows 'a'): it cannot be opened for"
        + " writing in place; remove the flag with chattr -a \(path) if it should be mapped"
        + " writable"
    }
  }
}
