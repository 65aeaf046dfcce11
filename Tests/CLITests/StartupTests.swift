import Foundation
import XCTest

/// What a start-up loads: libpci (with libudev and libz) only when device names are needed
/// (pci.devices builds device-info tables with names), readline only for the REPL, so
/// `barlua -e ''` and scripts that only map files or time things do not pay for them
/// (bench/startup).
final class StartupTests: XCTestCase {
  func testLibpciIsLoadedAtTheFirstNameLookupOnly() throws {
    let r = try Barlua.run([
      "-e",
      "local function libpci() return io.open('/proc/self/maps'):read('a'):find('libpci', 1, true) ~= nil end "
        + "print(libpci()) time.sleep(0) print(libpci()) local n = #pci.devices() print(n == 0 or libpci())",
    ])
    XCTAssertEqual(r.out, "false\nfalse\ntrue\n", r.err)
  }

  /// readline (with libtinfo) is loaded when the REPL starts, not by a script or `-e`; the
  /// REPL tests show that it works once loaded.
  func testReadlineIsNotLoadedOutsideTheREPL() throws {
    let r = try Barlua.run([
      "-e",
      "print(io.open('/proc/self/maps'):read('a'):find('libreadline', 1, true) ~= nil)",
    ])
    XCTAssertEqual(r.out, "false\n", r.err)
  }
}
