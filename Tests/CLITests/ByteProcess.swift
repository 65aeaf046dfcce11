import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Runs a program with argv and environment given as bytes (Foundation's Process takes
/// Strings, which cannot hold bytes that are not UTF-8), stdin /dev/null, and returns the
/// exit status and the exact bytes it wrote. A run past `timeout` seconds is killed
/// (status 128 + SIGKILL).
struct ByteProcess {
  var status: Int32
  var out: [UInt8]
  var err: [UInt8]

  static func run(_ executable: String, argv: [[UInt8]], env: [[UInt8]], timeout: Double = 20) -> ByteProcess {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let outPath = dir + "/out"
    let errPath = dir + "/err"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    func cStrings(_ list: [[UInt8]]) -> [UnsafeMutablePointer<CChar>?] {
      list.map { bytes in
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
        p[bytes.count] = 0
        return p
      } + [nil]
    }
    let cargv = cStrings(argv)
    let cenv = cStrings(env)
    defer { for p in cargv + cenv { p?.deallocate() } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable, &actions, nil, cargv, cenv)
    guard rc == 0 else { return ByteProcess(status: -rc, out: [], err: Array("posix_spawn failed".utf8)) }
    var status: Int32 = 0
    let deadline = Date().addingTimeInterval(timeout)
    while waitpid(pid, &status, WNOHANG) == 0 {
      if Date() > deadline {
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        break
      }
      usleep(1000)
    }
    let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let out = FileManager.default.contents(atPath: outPath).map { [UInt8]($0) } ?? []
    let err = FileManager.default.contents(atPath: errPath).map { [UInt8]($0) } ?? []
    return ByteProcess(status: code, out: out, err: err)
  }
}
