import Foundation
import TestSupport
import XCTest

/// The grammar-aware IP-XACT fuzzer (Tests/fuzz/ipxact-grammar.lua, issue #22): generated
/// components (nesting, arrays, banks, replications, shifts at their edges, huge numbers, long
/// names and attributes, parameter chains and cycles) each load or fail with a regs error
/// within 10 CPU seconds and 512 MB of Lua memory. The whole run is bounded: 90 CPU seconds
/// inside the fuzzer (it stops early on a slow machine), and the process by prlimit (CPU time,
/// address space, so expat's memory counts too) and a wall-clock kill. Run on every build the
/// tests run on (debug and release: BARLUA_BIN).
final class IPXACTFuzzTests: XCTestCase {
  func testGeneratedComponentsLoadOrFailWithinTheirBudgets() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try ChildProcess.run(
      "/usr/bin/timeout",
      [
        "-s", "KILL", "900", "/usr/bin/prlimit", "--cpu=240", "--as=\(4 << 30)", Barlua.path,
        "Tests/fuzz/ipxact-grammar.lua", "2212", "400", "10", "512", "90", dir,
      ], stdin: "", directory: Barlua.repository)
    XCTAssertEqual(r.status, 0, "\(r.out)\n\(r.err.suffix(2000))")
    XCTAssertTrue(r.out.hasPrefix("ipxact fuzz (seed 2212): "), r.out)
    // The run is not all refusals: sane files load and define.
    let loaded = r.out.firstMatch(of: /(\d+) loaded \((\d+) defined\)/)
    XCTAssertNotNil(loaded, r.out)
    if let loaded {
      XCTAssertGreaterThan(Int(loaded.1) ?? 0, 20, r.out)
      XCTAssertGreaterThan(Int(loaded.2) ?? 0, 10, r.out)
    }
    print(r.out)
  }
}
