import BarluaCore
import XCTest

final class VersionTests: XCTestCase {
  func testVersionIsSemver() {
    XCTAssertEqual(BarluaCore.version.split(separator: ".").count, 3)
  }
}
