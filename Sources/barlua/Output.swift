#if canImport(Glibc)
  import Glibc
#endif

/// Writes to standard error, after flushing what Lua and Swift buffered for stdout, so the
/// two streams interleave in the order things happened.
func writeError(_ s: String) { writeError(Array(s.utf8)) }

/// Writes bytes to standard error as they are (a message may quote command-line bytes that
/// are not UTF-8).
func writeError(_ b: [UInt8]) {
  fflush(nil)
  var bytes = b
  var done = 0
  while done < bytes.count {
    let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + done, $0.count - done) }
    if n <= 0 { break }
    done += n
  }
  bytes.removeAll()
}

func flushOutput() { fflush(nil) }
