import Foundation
import XCTest

/// Shared Lua has one home, scripts/lib: the built-in modules are scripts/lib/barlua/*.lua,
/// each compiled in by CBarlua/embedded.c (the package installs none of them as files, so a
/// module there that is not embedded would be missing from an installed barlua), and no Lua
/// lives under Sources (its old home, Sources/CBarlua/lua, stays gone after merges).
final class SharedLuaHomeTests: XCTestCase {
  let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  func testEveryBuiltInModuleIsEmbeddedFromScriptsLib() throws {
    let embedded = try String(
      contentsOf: repo.appendingPathComponent("Sources/CBarlua/embedded.c"), encoding: .utf8)
    let paths = embedded.split(separator: "\n").compactMap { line -> String? in
      guard line.hasPrefix("#embed \"") else { return nil }
      return String(line.dropFirst("#embed \"".count).prefix { $0 != "\"" })
    }
    let prefix = "../../scripts/lib/barlua/"
    XCTAssertEqual(paths.filter { !$0.hasPrefix(prefix) }, [], "every #embed names a file of scripts/lib/barlua")
    let files = try FileManager.default.contentsOfDirectory(
      atPath: repo.appendingPathComponent("scripts/lib/barlua").path
    ).filter { $0.hasSuffix(".lua") }
    XCTAssertEqual(Set(paths.map { String($0.dropFirst(prefix.count)) }), Set(files))
    XCTAssertGreaterThanOrEqual(files.count, 6)
  }

  func testNoLuaUnderSources() throws {
    let sources = repo.appendingPathComponent("Sources")
    let lua = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String }
      .filter { $0.hasSuffix(".lua") }
    XCTAssertEqual(lua, [], "shared Lua lives in scripts/lib (scripts/lib/README.md)")
  }
}
