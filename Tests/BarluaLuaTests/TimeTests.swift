import XCTest

final class TimeTests: XCTestCase {
  func testNsIsMonotonicAndSleepSleeps() throws {
    let lua = LuaHarness()
    let elapsed = Int(try lua.eval("local t = time.ns() time.sleep(0.05) return time.ns() - t"))!
    XCTAssertGreaterThanOrEqual(elapsed, 50_000_000)
    XCTAssertLessThan(elapsed, 2_000_000_000)
    XCTAssertEqual(try lua.eval("return math.type(time.ns())"), "integer")
  }

  func testBadArguments() {
    let lua = LuaHarness()
    XCTAssertEqual(lua.error("time.sleep()"), "test:1: time.sleep: seconds must be a number, got no value")
    XCTAssertEqual(lua.error("time.sleep('x')"), "test:1: time.sleep: seconds must be a number, got string")
    XCTAssertEqual(lua.error("time.sleep(-1)"), "test:1: time.sleep: seconds -1.0 is out of range (0 .. 1e9)")
    XCTAssertEqual(lua.error("time.sleep(0/0)"), "test:1: time.sleep: seconds -nan is out of range (0 .. 1e9)")
    XCTAssertEqual(lua.error("time.ns(1)"), "test:1: time.ns: takes no arguments")
  }
}
