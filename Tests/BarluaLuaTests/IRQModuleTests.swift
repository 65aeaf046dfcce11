import XCTest

/// The irq object's methods without an irq (the guest tests, Tests/guest/25-dma-irq.lua, cover
/// real interrupts): each names itself and says how to call it; the type is registered with
/// its metamethods.
final class IRQModuleTests: XCTestCase {
  var lua: LuaHarness!
  override func setUp() { lua = LuaHarness() }

  let methodsTable =
    "local methods = select(2, debug.getupvalue(debug.getregistry()['barlua.irq'].__index, 1))"

  func testIRQMethodsRefuseABadSelf() {
    for m in ["wait", "pending", "unmask", "disable"] {
      XCTAssertEqual(
        lua.error("\(methodsTable) return methods.\(m)(5)"),
        "test:1: irq:\(m): expected an irq as self (call it as irq:\(m)(...)), got number", m)
      XCTAssertEqual(
        lua.error("\(methodsTable) return methods.\(m)({})"),
        "test:1: irq:\(m): expected an irq as self (call it as irq:\(m)(...)), got table", m)
    }
  }

  func testIRQTypeHasItsMetamethods() throws {
    XCTAssertEqual(
      try lua.eval(
        "local mt = debug.getregistry()['barlua.irq'] return type(mt.__gc) .. type(mt.__close)"
          + " .. type(mt.__tostring) .. mt.__metatable"),
      "functionfunctionfunctionbarlua.irq")
  }

  /// device:dma and device:irq check their arguments before touching a device: a bad self is
  /// refused before anything else.
  func testDMAAndIRQRefuseABadSelfFirst() {
    let devMethods =
      "local methods = select(2, debug.getupvalue(debug.getregistry()['barlua.device'].__index, 1))"
    XCTAssertEqual(
      lua.error("\(devMethods) return methods.dma(nil, 4096)"),
      "test:1: device:dma: expected a device as self (call it as device:dma(...)), got nil")
    XCTAssertEqual(
      lua.error("\(devMethods) return methods.irq('msi')"),
      "test:1: device:irq: expected a device as self (call it as device:irq(...)), got string")
  }
}
