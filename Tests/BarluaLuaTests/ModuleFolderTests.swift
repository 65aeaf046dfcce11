import BarluaLua
import XCTest

/// barlua's own module folder is found from the executable's location, never a built-in path.
final class ModuleFolderTests: XCTestCase {
  func testInstalledLayout() {
    let files: Set = ["/usr/share/barlua/lib", "/opt/x/share/barlua/lib"]
    XCTAssertEqual(ModuleFolder.find(executable: "/usr/bin/barlua", exists: files.contains), "/usr/share/barlua/lib")
    XCTAssertEqual(
      ModuleFolder.find(executable: "/opt/x/bin/barlua", exists: files.contains), "/opt/x/share/barlua/lib")
  }

  func testCheckoutLayout() {
    let files: Set = ["/home/u/src/barlua/Package.swift", "/home/u/src/barlua/scripts/lib"]
    XCTAssertEqual(
      ModuleFolder.find(
        executable: "/home/u/src/barlua/.build/x86_64-unknown-linux-gnu/release/barlua", exists: files.contains),
      "/home/u/src/barlua/scripts/lib")
    XCTAssertNil(ModuleFolder.find(executable: "/tmp/barlua", exists: files.contains))
  }

  func testThisTestBinaryFindsItsCheckout() {
    XCTAssertTrue(ModuleFolder.path?.hasSuffix("/scripts/lib") == true, ModuleFolder.path ?? "nil")
  }
}
