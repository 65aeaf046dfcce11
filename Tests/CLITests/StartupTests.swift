import Foundation
import XCTest

/// What a start-up loads: libpci (with libudev and libz) only when device names are needed
/// (pci.devices builds device-info tables with names), so `barlua -e ''` and scripts that only
/// map files or time things do not pay for it (bench/startup).
final class StartupTests: XCTestCase {
  func testLibpciIsLoadedAtTheFirstNameLookupOnly() throws {
    let r = try Barlua.run([
      "-e",
      "local function libpci() return io.open('/proc/self/maps'):read('a'):find('libpci', 1, true) ~= nil end "
        + "print(libpci()) time.sleep(0) print(libpci()) local n = #pci.devices() print(n == 0 or libpci())",
    ])
    XCTAssertEqual(r.out, "false\nfalse\ntrue\n", r.err)
  }
}
