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

  /// Without a loadable readline the REPL says what is missing and exits 1; a script still
  /// runs. (LD_LIBRARY_PATH puts a file that is no library first in dlopen's search.)
  func testREPLWithoutReadlineSaysWhatIsMissing() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    Barlua.write("not a library", to: dir + "/libreadline.so.8")
    let repl = try Barlua.run(["-i"], stdin: "print(6 * 7)\n", env: ["LD_LIBRARY_PATH": dir])
    XCTAssertEqual(repl.status, 1, repl.out + repl.err)
    XCTAssertTrue(
      repl.err.contains("the REPL needs GNU readline 8 (libreadline.so.8, Debian package libreadline8)"),
      repl.err)
    XCTAssertFalse(repl.out.contains("42"), repl.out)
    let script = try Barlua.run(["-e", "print(6 * 7)"], env: ["LD_LIBRARY_PATH": dir])
    XCTAssertEqual(script.status, 0, script.err)
    XCTAssertEqual(script.out, "42\n", script.err)
  }
}
