import Foundation
import TestSupport
import XCTest

/// barlua.folder_core (the IP-XACT 2022 look-up of a typeDefinitions document in the
/// component's folder): a memory error while names are pushed leaves no directory open.
final class XMLFolderTests: XCTestCase {
  func testAMemoryErrorWhileListingLeavesNoDescriptorOpen() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let stem = String(repeating: "n", count: 180)
    for i in 0..<3000 {
      XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/\(stem)_\(i).xml", contents: Data()))
    }
    let tool = Barlua.repository + "/Tests/tools/folder_leak.lua"
    let r = try ChildProcess.run(
      "/bin/bash", ["-c", "ulimit -n 64 && ulimit -v 400000 && exec \"$0\" \"$@\"", Barlua.path, tool, dir],
      environment: ["PATH": "/usr/bin:/bin", "HOME": dir], stdin: "")
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertEqual(r.out, "true\t0\n", r.err)
  }
}
