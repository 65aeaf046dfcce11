import Foundation
import TestSupport
import XCTest

/// mmio.map's errors name the real cause: an immutable or append-only file (not
/// "permissions", which would send root in circles).
final class MmioRefusalTests: XCTestCase {
  func testImmutableAndAppendOnlyFilesAreNamedAsSuch() throws {
    guard getuid() == 0 else { throw XCTSkip("chattr +i needs root") }
    // /dev/shm (tmpfs) has no inode flags: a folder on a disk file system.
    let file = TempFile(size: 4096, directory: NSTemporaryDirectory())
    let lua = LuaHarness()
    for (flag, words) in [("i", "the file is immutable (chattr +i"), ("a", "the file is append-only (chattr +a")] {
      guard ReadOnlyFile.chattr("+\(flag)", file.path) == 0 else {
        throw XCTSkip("\(NSTemporaryDirectory()) does not support chattr +\(flag)")
      }
      let e = lua.error("return mmio.map('\(file.path)')")
      _ = ReadOnlyFile.chattr("-\(flag)", file.path)
      XCTAssertTrue(e.contains(words), e)
      XCTAssertTrue(e.contains("chattr -\(flag) \(file.path)"), e)
      XCTAssertFalse(e.contains("readable and writable by you"), e)
    }
    XCTAssertEqual(try lua.eval("return mmio.map('\(file.path)').size"), "4096")
  }
}
