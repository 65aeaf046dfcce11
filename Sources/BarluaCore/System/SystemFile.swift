import CBarluaSys

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The one reader of kernel files (/proc, /sys, debugfs, which report size 0): whole-file or
/// bounded reads, every failure a `SystemError` with its call, path and errno.
///
/// Every file the kernel keeps there is a regular file; a tree that is not the kernel's (a
/// `BARLUA_SYSFS_PCI` copy, a damaged mount) may hold a FIFO or a device node, whose open or
/// read could block forever. So the open never waits (O_NONBLOCK) and anything but a regular
/// file is refused before it is read. A signal (EINTR) is retried only while no Ctrl-C or
/// SIGTERM is pending (barlua_interrupt.h): an interrupt ends the read with errno EINTR.
enum SystemFile {
  /// Up to `limit` bytes of the file (all of it when nil).
  static func read(_ path: String, limit: Int? = nil) throws(SystemError) -> [UInt8] {
    var fd: Int32
    repeat {
      fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
    } while fd < 0 && errno == EINTR && barlua_interrupt_pending() == 0
    guard fd >= 0 else { throw SystemError.current("open", path: path) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw SystemError.current("fstat", path: path) }
    guard st.st_mode & S_IFMT == S_IFREG else {
      throw SystemError(
        "open", path: path, notA: "regular file",
        hint: "it is \(fileKind(st.st_mode)); the kernel keeps a regular file there, so this tree is not the kernel's")
    }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: min(limit ?? 65536, 65536))
    while limit.map({ bytes.count < $0 }) ?? true {
      let want = min(buffer.count, (limit ?? Int.max) - bytes.count)
      let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) }
      if count > 0 {
        bytes += buffer[0..<count]
      } else if count == 0 {
        break
      } else if errno != EINTR || barlua_interrupt_pending() != 0 {
        throw SystemError.current("read", path: path)
      }
    }
    return bytes
  }

  static func readText(_ path: String, limit: Int? = nil) throws(SystemError) -> String {
    String(decoding: try read(path, limit: limit), as: UTF8.self)
  }

  /// "a FIFO", "a character device", ... for a mode that is not a regular file's.
  static func fileKind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFIFO: return "a FIFO"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFDIR: return "a folder"
    case S_IFSOCK: return "a socket"
    default: return "not a regular file"
    }
  }

  static func exists(_ path: String) -> Bool {
    access(path, F_OK) == 0
  }
}
