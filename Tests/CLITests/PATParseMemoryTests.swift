import Foundation
import TestSupport
import XCTest

/// Issue 11 item 4: pat.parse of 300,000 lines under `ulimit -v` must end in Lua's own
/// "not enough memory" error (or succeed), never in Swift's "failed to allocate" abort (exit
/// 134) or a longjmp through Swift frames. The parse runs in a child process per limit; the
/// limits straddle the point where the result table no longer fits. Run with
/// BARLUA_BIN=.build/release/barlua for the release build.
final class PATParseMemoryTests: XCTestCase {
  static let script = """
    local line = "[ 4121.624625] x86/PAT: memtype_reserve added [mem 0x387fffe00000-0x387fffefffff],"
      .. " track uncached-minus, req uncached-minus, ret uncached-minus\\n"
    local text = line:rep(300000)
    local ok, result = pcall(pat.parse, text)
    if ok then print("parsed " .. #result) else print("error: " .. tostring(result)) end
    """

  func run(limitKiB: Int) throws -> ChildProcess {
    try ChildProcess.run(
      "/bin/bash", ["-c", "ulimit -v \(limitKiB) && exec \"$0\" -e \"$1\"", Barlua.path, Self.script],
      environment: ["PATH": "/usr/bin:/bin", "BARLUA_HISTORY": ""])
  }

  func testOutOfMemoryIsLuasError() throws {
    // 200,000 KiB is the limit (the abort happened there); 170,000 KiB runs out at
    // another point of the parse (it used to abort with "failed to allocate 160 bytes").
    for limit in [200_000, 170_000] {
      let r = try run(limitKiB: limit)
      let context = "ulimit -v \(limit): status \(r.status), out \(r.out), err \(r.err.prefix(300))"
      XCTAssertFalse(r.err.contains("Fatal error"), context)
      XCTAssertEqual(r.status, 0, context)
      XCTAssertEqual(r.out, "error: not enough memory\n", context)
    }
  }
}
