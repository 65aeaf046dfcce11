import Foundation
import TestSupport
import XCTest

extension XCTestCase {
  /// A temporary file holding `contents` that this process cannot open for writing (see
  /// `ReadOnlyFile.protect`), removed when the test ends; skips the test where the file system
  /// cannot make it so.
  func readOnlyFile(_ contents: Data) throws -> String {
    let path = NSTemporaryDirectory() + "barlua-ro-\(UUID().uuidString)"
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: contents))
    addTeardownBlock {
      ReadOnlyFile.release(path)
      try? FileManager.default.removeItem(atPath: path)
    }
    guard ReadOnlyFile.protect(path) else { throw XCTSkip("chattr +i is not supported on \(path)") }
    XCTAssertNil(FileHandle(forWritingAtPath: path), "\(path) is still writable")
    return path
  }
}
