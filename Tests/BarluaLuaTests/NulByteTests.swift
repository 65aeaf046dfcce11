import XCTest

/// A NUL byte inside a name (a path, a PCI address, a driver) would be cut off by the system
/// (C strings), so the call would act on something else: every such argument refuses it.
/// Text to parse keeps its NUL bytes.
final class NulByteTests: XCTestCase {
  let lua = LuaHarness()

  func testNamesWithANulByteAreRefused() throws {
    let file = TempFile(size: 4096)
    let cases: [(call: String, prefix: String)] = [
      ("mmio.map('\(file.path)\\0junk')", "mmio.map: path"),
      ("vfio.open('00:01.0\\0junk')", "vfio.open: address"),
      ("pci.device('00:01.0\\0junk')", "pci.device: address"),
      ("pci.devices{addr = '00:01.0\\0junk'}", "pci.devices: option addr"),
      ("pci.devices{driver = 'vfio-pci\\0junk'}", "pci.devices: filter driver"),
    ]
    for c in cases {
      let e = lua.error("return \(c.call)")
      XCTAssertTrue(e.contains("\(c.prefix) contains a NUL byte (\\0) at byte"), "\(c.call): \(e)")
      XCTAssertTrue(e.contains("remove the NUL byte"), e)
    }
    // The file name before the NUL exists: without the check it was mapped.
    XCTAssertTrue(
      lua.error("return mmio.map('\(file.path)\\0junk')").contains(
        "at byte \(file.path.utf8.count + 1) of \(file.path.utf8.count + 5); the system would read only \"\(file.path)\""
      ))
  }

  func testTextToParseKeepsItsNulBytes() throws {
    let line = "[ 1.0] x86/PAT: Overlap at 0x1000-0x2000"
    XCTAssertEqual(try lua.eval("return #pat.parse('junk\\0junk\\n\(line)')"), "1")
    XCTAssertEqual(try lua.eval("return #pat.parse('\(line)\\n\\0\\n\(line)')"), "2")
  }
}
