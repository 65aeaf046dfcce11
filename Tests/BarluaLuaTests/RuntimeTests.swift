import BarluaLua
import XCTest

final class RuntimeTests: XCTestCase {
  func testRuntimeStarts() {
    _ = LuaRuntime()
  }
}
