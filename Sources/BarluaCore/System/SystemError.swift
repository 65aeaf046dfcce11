#if canImport(Glibc)
  import Glibc
#endif

/// A failed system call, or a kernel file whose text is not what the kernel writes there:
/// which call, on what, the errno or the text, what it means (`cause`, when known) and what to
/// do about it (`hint`).
///
/// `description` reads like
/// `open /dev/vfio/41: Permission denied (errno 13): run as root or give your user the device`,
/// or `unexpected contents in /sys/.../resource: '...' (expected three hex numbers)`.
public struct SystemError: Error, CustomStringConvertible, Equatable, Sendable {
  /// What went wrong.
  public enum Failure: Equatable, Sendable {
    /// The call failed with this errno.
    case errno(Int32)
    /// The call worked, but what it gave is not what the kernel writes there.
    case content(text: String, expected: String)
    /// The path is not the kind of file the call needs (`expected`, e.g. "character device").
    case fileType(expected: String)
  }

  public let call: String
  public let path: String?
  public let failure: Failure
  /// Why, as a fact a program can act on (worded by `description`, and by the Lua bindings
  /// for Lua users).
  public var cause: SystemCause?
  /// What to do, in words, when no `cause` says it.
  public var hint: String?

  public init(
    _ call: String, path: String? = nil, errno: Int32, hint: String? = nil,
    cause: SystemCause? = nil
  ) {
    self.call = call
    self.path = path
    self.failure = .errno(errno)
    self.hint = hint
    self.cause = cause
  }

  /// `path` was read (by `call`) but holds `text` where the kernel writes `expected`.
  public init(content path: String, text: String, expected: String, call: String = "read") {
    self.call = call
    self.path = path
    self.failure = .content(text: text, expected: expected)
  }

  /// `path` is not a `expected` (a regular file where a device node belongs, say).
  public init(_ call: String, path: String, notA expected: String, hint: String? = nil) {
    self.call = call
    self.path = path
    self.failure = .fileType(expected: expected)
    self.hint = hint
  }

  /// Captures the calling thread's current `errno`.
  public static func current(_ call: String, path: String? = nil, hint: String? = nil)
    -> SystemError
  {
    SystemError(call, path: path, errno: Glibc.errno, hint: hint)
  }

  /// The errno of a failed call; nil for a content error.
  public var errno: Int32? {
    if case .errno(let e) = failure { return e }
    return nil
  }

  public var errnoText: String { errno.map { String(cString: strerror($0)) } ?? "" }

  /// The message without the advice: the call, the path and the errno or the text.
  public var fact: String {
    switch failure {
    case .errno(let e):
      return call + (path.map { " \($0)" } ?? "") + ": \(errnoText) (errno \(e))"
    case .content(let text, let expected):
      return "unexpected contents in \(path ?? call): '\(text)' (expected \(expected))"
    case .fileType(let expected):
      return call + (path.map { " \($0)" } ?? "") + ": not a \(expected)"
    }
  }

  public var description: String {
    guard let advice = cause?.description ?? hint else { return fact }
    return "\(fact): \(advice)"
  }
}

/// Why a system call failed, where barlua can tell: facts, not advice worded for one kind of
/// user. `description` words them for any program; the Lua bindings word some of them again
/// with the Lua calls that help.
public enum SystemCause: Equatable, Sendable {
  /// Kernel lockdown (`mode`, as `/sys/kernel/security/lockdown` selects it) closes debugfs.
  case lockdown(mode: String, file: String)
  /// debugfs is not mounted at `path`.
  case debugfsNotMounted(path: String)
  /// debugfs is mounted but has no `x86/pat_memtype_list`.
  case noPATMemtypeList
  /// A file only root may read.
  case rootOnly
  /// `kernel.dmesg_restrict=1` hides the kernel log from non-root users.
  case dmesgRestricted
  /// `kernel.dmesg_restrict` is 0, yet the log device is denied (node permissions, a container
  /// or a security module).
  case kernelLogDenied
  /// No `/dev/kmsg` (no devtmpfs on /dev, or a container without it).
  case noKernelLogDevice
  /// The kernel was built without printk.
  case noPrintk
  /// mmap's ENOMEM with the process at `count` mappings of `vm.max_map_count`'s `limit`.
  case mapCountLimit(count: Int, limit: Int)
  /// The file at `path` refused to be opened or mapped for writing: its permissions, or
  /// `attribute`. Reading may still be allowed, so a read-only mapping may work.
  case writeRefused(path: String, attribute: FileAttribute?)

  /// The mapping-limit fact, up to the remedy.
  public static func mapCountText(count: Int, limit: Int) -> String {
    "this process has \(count) memory mappings, the kernel's limit vm.max_map_count is \(limit)"
  }

  /// Why the file refused writing, up to the read-only alternative.
  public static func writeRefusedText(path: String, attribute: FileAttribute?) -> String {
    attribute?.text(path: path) ?? "the file needs to be readable and writable by you"
  }

  /// The lockdown fact and what to do, without the alternative.
  public static func lockdownText(mode: String, file: String) -> String {
    "kernel lockdown is in \(mode) mode (\(file)), which closes debugfs (Secure Boot usually"
      + " turns it on): boot without lockdown (e.g. Secure Boot off) to read the PAT memtype list"
  }

  /// The missing-/dev/kmsg fact, up to the alternative that ends it.
  public static let noKernelLogDeviceText =
    "no kernel log device: is devtmpfs mounted on /dev? (containers may lack /dev/kmsg: bind-mount it,"

  public var description: String {
    switch self {
    case .lockdown(let mode, let file):
      return Self.lockdownText(mode: mode, file: file)
        + "; the kernel log (with debugpat) still shows PAT's decisions"
    case .debugfsNotMounted(let path):
      return "debugfs is not mounted: mount -t debugfs none \(path)"
    case .noPATMemtypeList:
      return "debugfs is mounted but has no x86/pat_memtype_list: not an x86 kernel with PAT"
        + " (CONFIG_X86_PAT), or PAT is disabled (nopat, or the CPU lacks it)"
    case .rootOnly:
      return "debugfs files are readable by root only: run as root"
    case .dmesgRestricted:
      return "kernel.dmesg_restrict=1 hides the kernel log from non-root users: run"
        + " `sudo sysctl kernel.dmesg_restrict=0`, or run as root / with CAP_SYSLOG"
    case .kernelLogDenied:
      return "kernel.dmesg_restrict is 0, so the device node's permissions (or a container or"
        + " security module) deny it: run as root or with CAP_SYSLOG"
    case .noKernelLogDevice:
      return Self.noKernelLogDeviceText + " or parse saved log text instead)"
    case .noPrintk:
      return "the kernel was built without printk support"
    case .mapCountLimit(let count, let limit):
      return Self.mapCountText(count: count, limit: limit)
        + ": unmap mappings you no longer use, or raise the limit as root with"
        + " sysctl -w vm.max_map_count=\(limit * 2)"
    case .writeRefused(let path, let attribute):
      return Self.writeRefusedText(path: path, attribute: attribute) + " (or map it read-only)"
    }
  }
}
