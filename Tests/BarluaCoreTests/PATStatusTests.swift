import BarluaCore
import Foundation
import XCTest

/// `debugpat` on the kernel command line.
final class PATStatusTests: XCTestCase {
  func testDebugpatWord() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "barlua-cmdline-\(UUID().uuidString)")
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    let cases: [(String, Bool)] = [
      ("BOOT_IMAGE=/vmlinuz-4.18.0 root=/dev/sda1 ro debugpat quiet\n", true),
      ("debugpat\n", true),
      ("root=/dev/vda console=ttyS0\n", false),
      ("nodebugpat debugpattern=1 x=debugpat\n", false),
      ("root=/dev/vda -- debugpat\n", false),  // after `--`: an argument of init
      ("", false),
    ]
    for (cmdline, want) in cases {
      try cmdline.write(to: url, atomically: true, encoding: .utf8)
      XCTAssertEqual(try PATStatus.enabled(cmdlinePath: url.path), want, cmdline)
    }
  }

  func testUnreadableCmdline() {
    XCTAssertThrowsError(try PATStatus.enabled(cmdlinePath: "/nonexistent/cmdline")) {
      XCTAssertEqual(
        ($0 as? SystemError)?.description,
        "open /nonexistent/cmdline: No such file or directory (errno 2): cannot tell whether"
          + " debugpat is on the kernel command line")
    }
  }

  func testThisMachine() throws {
    let cmdline = try String(contentsOfFile: "/proc/cmdline", encoding: .utf8)
    let words = cmdline.split(whereSeparator: \.isWhitespace).prefix { $0 != "--" }
    XCTAssertEqual(try PATStatus.enabled(), words.contains("debugpat"))
  }
}
