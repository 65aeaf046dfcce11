import Foundation
import TestSupport
import XCTest

/// Every ```lua example of README.md and docs/ runs (Tests/docs/examples.lua; the ```lua device
/// ones run in the test bed guest, Tests/guest/90-doc-examples.lua), so the docs cannot drift.
final class DocExamplesTests: XCTestCase {
  /// The examples run `barlua` as the runner was invoked (arg[-1]), so the binary under test is
  /// first on PATH.
  let env = ["PATH": URL(fileURLWithPath: Barlua.path).deletingLastPathComponent().path + ":/usr/bin:/bin"]

  func testEveryHostExampleRuns() throws {
    let r = try Barlua.run(["Tests/docs/examples.lua"], env: env, in: Barlua.repository)
    XCTAssertEqual(r.status, 0, r.out + r.err)
    XCTAssertTrue(r.out.contains(" runs\n"), "no example ran:\n" + r.out)
    XCTAssertFalse(r.out.contains("not ok"), r.out + r.err)
  }

  /// The runner itself: a failing example and an unknown kind are failures, not skips.
  func testABrokenExampleFails() throws {
    let dir = Barlua.tempDir()
    try FileManager.default.createDirectory(atPath: dir + "/docs", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: dir + "/Tests/docs", withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: Barlua.repository + "/Tests/docs/examples.lua", toPath: dir + "/Tests/docs/examples.lua")
    Barlua.write(
      "# x\n\n```lua\nerror('the example is broken')\n```\n\n```lua norun\nprint(1)\n```\n", to: dir + "/README.md")
    let r = try Barlua.run(["Tests/docs/examples.lua"], env: env, in: dir)
    XCTAssertNotEqual(r.status, 0, r.out)
    XCTAssertTrue(r.out.contains("not ok 1 - README.md: every code fence is closed") == false, r.out)
    XCTAssertTrue(r.out.contains("not ok") && r.out.contains("README.md:3 runs"), r.out)
    XCTAssertTrue(r.out.contains("unknown example kind 'lua norun'"), r.out)
  }
}
