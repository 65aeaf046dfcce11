#if canImport(Glibc)
  import Glibc
#endif

/// Writes to the kernel's sysfs control files (`driver_override`, `unbind`, `drivers_probe`,
/// `remove`, `rescan`, `reset`, `reset_method`): one `write` of the whole text, as `echo` does.
/// The kernel's answer is the errno of that write (EINVAL, ENODEV, ENOTTY, ...), kept as a
/// `SystemError` naming the file.
enum SysfsWrite {
  static func write(_ path: String, _ text: String) throws(SystemError) {
    let fd = Glibc.open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)  // O_TRUNC: no-op on sysfs
    if fd < 0 { throw SystemError.current("open", path: path, hint: hint(errno)) }
    defer { _ = Glibc.close(fd) }
    let bytes = Array(text.utf8)
    var n: Int
    repeat {
      n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    } while n < 0 && errno == EINTR
    if n < 0 { throw SystemError.current("write", path: path, hint: hint(errno)) }
    if n != bytes.count {
      throw SystemError(
        content: path, text: "\(n) of \(bytes.count) bytes written", expected: "the whole text", call: "write")
    }
  }

  private static func hint(_ e: Int32) -> String? {
    e == EACCES || e == EPERM ? "changing a device's drivers, presence or reset needs root" : nil
  }
}
