import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// barlua on a real pseudo-terminal, so stdin is a terminal and the REPL starts.
final class PseudoTerminal {
  let process = Process()
  private var master: Int32 = -1
  /// barlua's side of the terminal, kept open: its mode says whether readline is reading.
  private let slave: FileHandle
  private(set) var screen = ""

  init(args: [String] = [], env: [String: String] = [:]) throws {
    var m: Int32 = 0
    var s: Int32 = 0
    guard openpty(&m, &s, nil, nil, nil) == 0 else { throw POSIXError(.EIO) }
    master = m
    slave = FileHandle(fileDescriptor: s, closeOnDealloc: true)
    // setsid -c makes the pseudo-terminal barlua's controlling terminal, so Ctrl-C sent to
    // it raises SIGINT in barlua as it does at a real console; -w passes the exit status on.
    process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
    process.arguments = ["-w", "-c", Barlua.path] + args
    // Bracketed paste would wrap every echoed line in escape codes: turn it off.
    let inputrc = NSTemporaryDirectory() + "barlua-test-inputrc"
    _ = FileManager.default.createFile(
      atPath: inputrc, contents: Data("set enable-bracketed-paste off\n".utf8))
    var e = [
      "PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "TERM": "xterm", "INPUTRC": inputrc,
    ]
    e.merge(env) { $1 }
    process.environment = e
    process.standardInput = slave
    process.standardOutput = slave
    process.standardError = slave
    try process.run()
    _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
  }

  func send(_ text: String) {
    _ = text.withCString { write(master, $0, strlen($0)) }
  }

  /// Sends `keys` one group at a time, 150 ms apart, as a person types them (readline sees a
  /// Tab as its own keystroke and completes before the next group arrives).
  func type(_ keys: String...) {
    for k in keys {
      send(k)
      usleep(150_000)
    }
  }

  /// Sends `sig` to the terminal's foreground process group (barlua, not the setsid that
  /// started it), as `kill` from another terminal would.
  func signalForeground(_ sig: Int32) {
    let group = tcgetpgrp(master)
    if group > 0 { kill(-group, sig) }
  }

  /// Ends the session with Ctrl-D at an empty prompt and returns the exit status. A Ctrl-D
  /// that reaches the terminal while readline is not reading (a chunk runs, or barlua is
  /// between two lines) is taken by the terminal's line discipline and reaches readline as a
  /// NUL, not as an end of file: the session would go on. So `quit` empties the line, enters
  /// it, and sends Ctrl-D only once the output ends with a fresh prompt and the terminal is
  /// in readline's raw mode.
  func quit(prompt: String = "> ") -> Int32? {
    let seen = screen.count
    send("\u{15}\n")
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
      _ = expect("\u{0}", timeout: 0.05)
      if screen.dropFirst(seen).hasSuffix(prompt) && readlineIsReading() { break }
    }
    send("\u{4}")
    return wait()
  }

  /// True while the terminal is out of canonical mode, as readline sets it while it reads.
  private func readlineIsReading() -> Bool {
    var mode = termios()
    return tcgetattr(slave.fileDescriptor, &mode) == 0 && mode.c_lflag & tcflag_t(ICANON) == 0
  }

  /// Reads until `text` appears in the output (or `timeout` seconds pass); true if it did.
  /// With `after`, only output past that many characters counts.
  @discardableResult
  func expect(_ text: String, timeout: Double = 10, after: Int = 0) -> Bool {
    func seen() -> Bool { screen.dropFirst(after).contains(text) }
    let deadline = Date().addingTimeInterval(timeout)
    var buf = [UInt8](repeating: 0, count: 4096)
    while Date() < deadline {
      let n = read(master, &buf, buf.count)
      if n > 0 {
        screen += String(decoding: buf[0..<n], as: UTF8.self)
        if seen() { return true }
      } else {
        usleep(10_000)
      }
      if seen() { return true }
    }
    return seen()
  }

  /// Waits for the process to end; returns its status, or nil after `timeout` seconds.
  func wait(timeout: Double = 10) -> Int32? {
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline {
      _ = expect("\u{0}", timeout: 0.05)
    }
    if process.isRunning {
      process.terminate()
      return nil
    }
    return process.terminationStatus
  }

  deinit {
    if process.isRunning { process.terminate() }
    close(master)
  }
}
