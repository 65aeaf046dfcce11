import BarluaLua
import CLua
import Foundation
import XCTest

/// Runs Lua chunks in a fresh barlua runtime, in process.
final class LuaHarness {
  let runtime: LuaRuntime
  var L: LuaState { runtime.L }

  init(file: StaticString = #filePath, line: UInt = #line) {
    runtime = LuaRuntime()!
  }

  /// Runs `code`; returns its first result converted with tostring, or throws the error text.
  @discardableResult
  func eval(_ code: String) throws -> String {
    let top = lua_gettop(L)
    defer { lua_settop(L, top) }
    guard luaL_loadbufferx(L, code, code.utf8.count, "=test", nil) == clua_ok() else {
      throw LuaFailure(message: String(cString: clua_tostring(L, -1)))
    }
    guard clua_pcall(L, 0, 1, 0) == clua_ok() else {
      let msg = clua_tostring(L, -1).map { String(cString: $0) } ?? "(non-string error)"
      throw LuaFailure(message: msg)
    }
    return luaL_tolstring(L, -1, nil).map { String(cString: $0) } ?? ""
  }

  /// The error message `code` raises (fails the test when it raises nothing).
  func error(_ code: String, file: StaticString = #filePath, line: UInt = #line) -> String {
    do {
      let r = try eval(code)
      XCTFail("expected an error, got result \(r)", file: file, line: line)
      return ""
    } catch let e as LuaFailure {
      return e.message
    } catch {
      XCTFail("\(error)", file: file, line: line)
      return ""
    }
  }
}

extension LuaHarness {
  /// Checks that each chunk of `cases` raises exactly `test:1: ` + its message + `suffix`.
  func assertErrors(
    _ cases: [(String, String)], suffix: String = "", file: StaticString = #filePath,
    line: UInt = #line
  ) {
    for (code, message) in cases {
      XCTAssertEqual(error(code, file: file, line: line), "test:1: \(message)\(suffix)", code, file: file, line: line)
    }
  }
}

struct LuaFailure: Error {
  let message: String
}

/// A temporary file of `size` bytes (zero-filled unless `byte` is given), removed on deinit.
final class TempFile {
  let path: String
  init(size: Int, byte: UInt8 = 0, directory: String = "/dev/shm") {
    path = "\(directory)/barlua-test-\(getpid())-\(UUID().uuidString)"
    _ = FileManager.default.createFile(
      atPath: path, contents: Data(repeating: byte, count: size))
  }
  var data: Data { FileManager.default.contents(atPath: path) ?? Data() }
  deinit { try? FileManager.default.removeItem(atPath: path) }
}
