#if canImport(Glibc)
  import Glibc
#endif

/// Writes to standard error, after flushing what Lua and Swift buffered for stdout, so the
/// two streams interleave in the order things happened.
func writeError(_ s: String) {
  fflush(nil)
  var bytes = Array(s.utf8)
  var done = 0
  while done < bytes.count {
    let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + done, $0.count - done) }
    if n <= 0 { break }
    done += n
  }
  bytes.removeAll()
}

func flushOutput() { fflush(nil) }
