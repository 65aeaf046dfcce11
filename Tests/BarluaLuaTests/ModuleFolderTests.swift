import BarluaLua
import XCTest

/// barlua's own module folder: the installed data folder next to the binary, or the checkout
/// the binary was built from while it runs from inside it; never a folder found by walking up.
final class ModuleFolderTests: XCTestCase {
  func testInstalledLayout() {
    let files: Set = ["/usr/share/barlua/lib", "/opt/x/share/barlua/lib"]
    XCTAssertEqual(
      ModuleFolder.find(executable: "/usr/bin/barlua", checkout: nil, exists: files.contains), "/usr/share/barlua/lib")
    XCTAssertEqual(
      ModuleFolder.find(executable: "/opt/x/bin/barlua", checkout: nil, exists: files.contains),
      "/opt/x/share/barlua/lib")
  }

  func testCheckoutLayout() {
    let repo = "/home/u/src/barlua"
    let files: Set = ["\(repo)/Package.swift", "\(repo)/scripts/lib"]
    XCTAssertEqual(
      ModuleFolder.find(
        executable: "\(repo)/.build/x86_64-unknown-linux-gnu/release/barlua", checkout: repo, exists: files.contains),
      "\(repo)/scripts/lib")
    // A copy outside the checkout it was built from does not use it.
    XCTAssertNil(ModuleFolder.find(executable: "/tmp/barlua", checkout: repo, exists: files.contains))
    XCTAssertNil(ModuleFolder.find(executable: "/home/u/src/barlua2/barlua", checkout: repo, exists: files.contains))
  }

  /// Any other folder holding Package.swift and scripts/lib above the binary is not searched
  /// (anyone can create /tmp/x/Package.swift and /tmp/x/scripts/lib).
  func testNoWalkingUp() {
    let files: Set = ["/tmp/x/Package.swift", "/tmp/x/scripts/lib"]
    XCTAssertNil(
      ModuleFolder.find(
        executable: "/tmp/x/.build/debug/barlua", checkout: "/home/u/src/barlua", exists: files.contains))
    XCTAssertNil(ModuleFolder.find(executable: "/tmp/x/.build/debug/barlua", checkout: nil, exists: files.contains))
  }

  func testThisTestBinaryFindsItsCheckout() {
    XCTAssertTrue(ModuleFolder.path?.hasSuffix("/scripts/lib") == true, ModuleFolder.path ?? "nil")
  }
}
