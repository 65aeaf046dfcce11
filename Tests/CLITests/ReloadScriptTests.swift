import Foundation
import XCTest

/// scripts/reload.lua on this host: its argument errors (exit 2, nothing touched), an absent
/// device and a refused one (exit 1, "nothing was changed"), on the captured QEMU tree through
/// BARLUA_SYSFS_PCI. The reload itself runs in the test bed: Tests/guest/27-reload.lua.
final class ReloadScriptTests: XCTestCase {
  static let repo: String = {
    var url = URL(fileURLWithPath: "\(#filePath)")
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()
  static let tree = repo + "/Tests/BarluaCoreTests/Fixtures/pci/qemu-q35-type1/bus/pci/devices"

  func reload(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
    let r = try Barlua.run(["\(Self.repo)/scripts/reload.lua"] + args, env: ["BARLUA_SYSFS_PCI": Self.tree])
    return (r.status, r.out, r.err)
  }

  func testArgumentErrors() throws {
    let cases: [([String], String)] = [
      ([], "--device ADDR is required"),
      (["--device", "0000:00:01.0"], "--program CMD is required"),
      (
        ["--device", "0000:00:01.0", "--program", "true", "--timeout", "0"], "--timeout must be a number of seconds > 0"
      ),
      (
        ["--device", "0000:00:01.0", "--program", "true", "--timeout", "x"], "--timeout must be a number of seconds > 0"
      ),
      (
        ["--device", "0000:00:01.0", "--program", "true", "--wait=-1"],
        "--wait must be a number of seconds > 0, not '-1'"
      ),
      (["--device", "0000:00:01.0", "--program", "true", "--map", "/nonexistent.xml"], "--map /nonexistent.xml: "),
      (["--frobnicate"], "unknown option '--frobnicate'"),
    ]
    for (args, message) in cases {
      let r = try reload(args)
      XCTAssertEqual(r.status, 2, "\(args): \(r.err)")
      XCTAssertTrue(r.err.contains(message), "\(args): \(r.err)")
    }
  }

  func testAbsentAndRefusedDevices() throws {
    var r = try reload(["--device", "0000:0f:1f.7", "--program", "true"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.contains("no PCI device 0000:0f:1f.7"), r.err)
    // The host bridge of the captured tree: refused before anything changes.
    r = try reload(["--device", "0000:00:00.0", "--program", "touch /nonexistent/never-run"])
    XCTAssertEqual(r.status, 1, r.out + r.err)
    XCTAssertTrue(r.out.contains("refusing to unbind 0000:00:00.0: it is a bridge or PCIe port"), r.out)
    XCTAssertTrue(r.out.contains("nothing was changed: 0000:00:00.0 stays on no driver"), r.out)
    XCTAssertFalse(r.out.contains("programming:"), "the command never ran: \(r.out)")
  }
}
