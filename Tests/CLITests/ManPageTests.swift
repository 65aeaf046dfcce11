import Foundation
import TestSupport
import XCTest

/// barlua(1), generated from docs/barlua.1.scd with scdoc: renders without warnings and
/// documents every option of `barlua --help` and every script command.
final class ManPageTests: XCTestCase {
  /// Runs `/bin/sh -c script`; returns (status, stdout + stderr).
  func sh(_ script: String) throws -> (Int32, String) {
    let r = try ChildProcess.run(
      "/bin/sh", ["-c", "exec 2>&1\n" + script],
      environment: ["PATH": "/usr/bin:/bin", "MANWIDTH": "80", "LANG": "C.UTF-8"], directory: Barlua.repository)
    return (r.status, r.out)
  }

  func testRendersWithoutWarnings() throws {
    let page = Barlua.tempDir() + "/barlua.1"
    let (status, out) = try sh("scdoc <docs/barlua.1.scd >\(page)")
    XCTAssertEqual(status, 0, out)
    let warnings = try sh("man --warnings -l \(page) 2>&1 >/dev/null")
    XCTAssertEqual(warnings.1, "")
    let text = try sh("man -l \(page)").1
    let help = try Barlua.run(["--help"]).out
    for option in help.split(separator: "\n").compactMap({ $0.split(separator: " ").first }) where option.hasPrefix("-")
    {
      XCTAssertTrue(text.contains("       \(option)"), "barlua(1) lacks \(option)")
    }
    for command in [
      "barlua-persistence", "barlua-dump-info", "barlua-pat-trace", "barlua-bar-timing", "barlua-regs", "barlua-reload",
      "barlua-doctor",
    ] {
      XCTAssertTrue(text.contains("       \(command) "), "barlua(1) lacks \(command)")
    }
    for section in ["OPTIONS", "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES", "SCRIPTS"] {
      XCTAssertTrue(text.contains("\n\(section)\n"), "barlua(1) lacks \(section)")
    }
  }
}
