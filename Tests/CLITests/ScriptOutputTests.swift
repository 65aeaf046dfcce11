import Foundation
import TestSupport
import XCTest

/// Issue #22.11 and .12: a script whose output cannot be written fails loudly (exit status not 0,
/// a message naming the file or standard output), and text read from a device or a file reaches
/// the terminal with its control bytes escaped (scripts/lib/script_output.lua).
final class ScriptOutputTests: XCTestCase {
  static let repo = Barlua.repository

  /// Runs barlua with `args`, standard output sent to `stdout` (a path; bash opens it).
  func run(_ args: [String], stdout: String, env: [String: String] = [:]) throws -> ChildProcess {
    var e = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "BARLUA_HISTORY": ""]
    e.merge(env) { $1 }
    return try ChildProcess.run(
      "/bin/bash", ["-c", "out=$1; shift; exec \"$@\" > \"$out\"", "bash", stdout, Barlua.path] + args,
      environment: e, stdin: "", directory: Self.repo)
  }

  /// A 1 MiB file to stand for a BAR (what bar_timing and persistence take with --file).
  func barFile(_ bytes: Data = Data(count: 1 << 20)) -> String {
    let path = "/dev/shm/barlua-output-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: path, contents: bytes)
    addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
  }

  /// Every script that runs without a device, with its standard output on /dev/full: each one
  /// says it could not write and exits 1 (they all exited 0 before). pat_trace.lua needs a
  /// device (it uses the same guard, scripts/lib/script_output.lua).
  func testEveryScriptFailsWhenStandardOutputIsFull() throws {
    let bar = barFile()
    let scripts: [(String, [String])] = [
      ("bar_timing", ["scripts/bar_timing.lua", "--file", bar, "--count", "2"]),
      ("persistence.lua", ["scripts/persistence.lua", "--file", bar]),
      ("persistence.lua", ["scripts/persistence.lua", "--file", bar, "--json"]),
      ("regs.lua", ["scripts/regs.lua", "Tests/Fixtures/ipxact/leon2-timers-1685-2014.xml"]),
      ("regs.lua", ["scripts/regs.lua", "Tests/Fixtures/ipxact/leon2-timers-1685-2014.xml", "--file", bar]),
      ("dump_info", ["scripts/dump_info.lua"]),
    ]
    for (name, args) in scripts {
      let ok = try run(args, stdout: "/dev/null")
      XCTAssertEqual(ok.status, 0, "\(args): \(ok.err)")
      let r = try run(args, stdout: "/dev/full")
      XCTAssertEqual(r.status, 1, "\(args)")
      XCTAssertTrue(
        r.err.hasSuffix("\(name): cannot write standard output: No space left on device\n"), "\(args): \(r.err)")
    }
  }

  /// bar_timing --svg: a file that cannot be written (a full device, a folder nobody may write
  /// to) is an error naming it, not a silent exit 0.
  func testBarTimingSVGThatCannotBeWrittenFails() throws {
    let bar = barFile()
    var r = try run(
      ["scripts/bar_timing.lua", "--file", bar, "--count", "2", "--svg", "/dev/full"], stdout: "/dev/null")
    XCTAssertEqual(r.status, 1, r.err)
    XCTAssertTrue(r.err.hasSuffix("bar_timing: --svg: cannot write /dev/full: No space left on device\n"), r.err)
    let dir = Barlua.tempDir()
    defer {
      ReadOnlyFile.release(dir)
      try? FileManager.default.removeItem(atPath: dir)
    }
    guard ReadOnlyFile.protect(dir) else { throw XCTSkip("cannot make \(dir) read-only (chattr)") }
    r = try run(
      ["scripts/bar_timing.lua", "--file", bar, "--count", "2", "--svg", dir + "/chart.svg"], stdout: "/dev/null")
    XCTAssertNotEqual(r.status, 0, r.err)
    XCTAssertTrue(r.err.contains("--svg: cannot write \(dir)/chart.svg: "), r.err)
  }

  /// persistence.lua prints the record's text (device memory): an escape sequence in it is
  /// shown as \x1b..., never sent to the terminal.
  func testDeviceTextIsEscaped() throws {
    var bytes = Data(count: 1 << 20)
    let initialised = Array("This is BAR zero memory initialised at \u{1b}[31mRED\u{1b}]0;title\u{07}\r\n".utf8)
    let last = Array("Tue\u{1b}[2J \\ \u{9b}\n".utf8)
    bytes.replaceSubrange(0..<initialised.count, with: initialised)
    bytes.replaceSubrange(120..<(120 + last.count), with: last)
    bytes[160] = 7
    let bar = barFile(bytes)
    let path = NSTemporaryDirectory() + "barlua-output-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = try run(["scripts/persistence.lua", "--file", bar], stdout: path)
    XCTAssertEqual(r.status, 0, r.err)
    let out = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    XCTAssertFalse(out.contains("\u{1b}"), out)
    XCTAssertTrue(out.contains("existing last_accessed_text=Tue\\x1b[2J \\\\ \\xc2\\x9b\n"), out)
    XCTAssertTrue(
      out.contains(
        "  initialised_text=This is BAR zero memory initialised at \\x1b[31mRED\\x1b]0;title\\x07\\r\n"), out)
  }

  /// The helper itself: every control byte, DEL, bytes from 0x80 and the backslash escaped.
  func testEscapeHelper() throws {
    let r = try ChildProcess.run(
      Barlua.path,
      [
        "-e",
        "package.path = 'scripts/lib/?.lua;' .. package.path local out = require 'script_output' "
          + "io.write(out.text('a\\0\\1\\t\\n\\r\\27[m\\127\\128\\255\\\\ ~'), '\\n') out.print('x\\27y\\tz', 1)",
      ], stdin: "", directory: Self.repo)
    XCTAssertEqual(r.out, "a\\x00\\x01\\t\\n\\r\\x1b[m\\x7f\\x80\\xff\\\\ ~\nx\\x1by\tz\t1\n", r.err)
  }
}
