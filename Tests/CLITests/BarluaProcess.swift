import Foundation
import TestSupport
import XCTest

/// Runs the built barlua binary as a user would.
enum Barlua {
  /// BARLUA_BIN, else the debug build of this checkout.
  static var path: String {
    ProcessInfo.processInfo.environment["BARLUA_BIN"] ?? repository + "/.build/debug/barlua"
  }

  /// The checkout this test was built from.
  static var repository: String {
    var url = URL(fileURLWithPath: "\(#filePath)")
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }

  typealias Result = ChildProcess

  /// Runs barlua with `args`, `stdin` as input (a pipe, so not a terminal), and `env` added
  /// to a clean environment. argv[0] is `name` (the message prefix), as when run from PATH.
  static func run(
    _ args: [String], stdin: String = "", env: [String: String] = [:], name: String = "barlua",
    executable: String = path, in directory: String? = nil
  ) throws -> Result {
    var e = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "BARLUA_HISTORY": ""]
    e.merge(env) { $1 }
    return try ChildProcess.run(
      "/bin/bash", ["-c", "exec -a \"$0\" \"$@\"", name, executable] + args, environment: e, stdin: stdin,
      directory: directory)
  }

  static func tempDir() -> String {
    let d = NSTemporaryDirectory() + "barlua-cli-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
  }

  static func write(_ text: String, to path: String) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
  }
}
