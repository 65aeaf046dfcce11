import Foundation
import XCTest

/// The command line as lua.c does it: each test runs barlua and Debian's lua5.4 on the same
/// command line (same argv[0], same folder, same environment) and compares what they print.
/// The one difference allowed is documented in docs/scripts.md: lua.c's tracebacks end with
/// `[C]: in ?` (its `pmain` frame), barlua's do not.
final class LuaConformanceTests: XCTestCase {
  static let lua = "/usr/bin/lua5.4"

  /// Runs both programs as `name` with `args` in `dir`; returns (barlua, lua).
  func both(
    _ args: [String], name: String = "lua", stdin: String = "", env: [String: String] = [:],
    in dir: String? = nil
  ) throws -> (Barlua.Result, Barlua.Result) {
    let cd = dir.map { ["PWD": $0] } ?? [:]
    let run = { (exe: String) in
      try Barlua.run(args, stdin: stdin, env: env.merging(cd) { $1 }, name: name, executable: exe, in: dir)
    }
    var l = try run(Self.lua)
    l.err = l.err.replacingOccurrences(of: "\n\t[C]: in ?", with: "")
    return (try run(Barlua.path), l)
  }

  func assertSame(_ r: (Barlua.Result, Barlua.Result), file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(r.0.out, r.1.out, "stdout", file: file, line: line)
    XCTAssertEqual(r.0.err, r.1.err, "stderr", file: file, line: line)
    XCTAssertEqual(r.0.status, r.1.status, "exit status", file: file, line: line)
  }

  func script(_ text: String) -> (dir: String, path: String) {
    let dir = Barlua.tempDir()
    Barlua.write(text, to: "\(dir)/s.lua")
    return (dir, "\(dir)/s.lua")
  }

  /// A script's `...` is the global `arg` after -e ran.
  func testScriptArgumentsComeFromArgAfterExecute() throws {
    let s = script("print(select('#', ...), ...)")
    let r = try both(["-e", "arg[1]='x' arg[3]='z'", s.path, "a", "b"])
    XCTAssertEqual(r.0.out, "3\tx\tb\tz\n", r.0.err)
    assertSame(r)
  }

  func testArgThatIsNotATable() throws {
    let s = script("print('ran')")
    let r = try both(["-e", "arg = 1", s.path, "a"])
    XCTAssertEqual(r.0.err, "lua: 'arg' is not a table\n")
    XCTAssertEqual(r.0.status, 1)
    assertSame(r)
  }

  /// With no script, arg[0] is the interpreter and the options are arg[1...].
  func testArgWithoutScript() throws {
    let code = "for i = -3, #arg do io.write(i, '=', tostring(arg[i]), ' ') end print()"
    let r = try both(["-e", code])
    XCTAssertEqual(r.0.out, "-3=nil -2=nil -1=nil 0=lua 1=-e 2=\(code) \n", r.0.err)
    assertSame(r)
  }

  /// _PROMPT and _PROMPT2 of any type are shown through tostring (stdin a pipe, -i).
  func testPromptsThroughTostring() throws {
    let set = "_PROMPT = 42 _PROMPT2 = setmetatable({}, {__tostring = function() return 'more> ' end})"
    let r = try both(["-i", "-e", set], stdin: "print(1)\nfor i = 1,\n2 do end\n")
    let (b, l) = (r.0.out.split(separator: "\n", maxSplits: 1), r.1.out.split(separator: "\n", maxSplits: 1))
    XCTAssertTrue(b[0].hasPrefix("barlua "), r.0.out)  // the version line names barlua
    XCTAssertEqual(b.last, l.last)
    XCTAssertEqual(b.last, "42print(1)\n1\n42for i = 1,\nmore> 2 do end\n42\n")
    XCTAssertEqual(r.0.err, r.1.err)
  }

  /// The message prefix is argv[0] as invoked.
  func testMessagePrefixIsProgramName() throws {
    let r = try both(["-e", "error('boom', 0)"], name: "./my-tool")
    XCTAssertTrue(r.0.err.hasPrefix("./my-tool: boom\nstack traceback:\n"), r.0.err)
    assertSame(r)
  }

  func testErrorNil() throws {
    let r = try both(["-e", "error(nil)"])
    XCTAssertTrue(r.0.err.hasPrefix("lua: (error object is a nil value)\n"), r.0.err)
    assertSame(r)
  }

  /// LUA_PATH is package.path exactly: barlua's own folders are a searcher, not a prefix.
  func testLuaPathIsPackagePathExactly() throws {
    let r = try both(["-e", "print(package.path, package.cpath)"], env: ["LUA_PATH": "x", "LUA_CPATH": "y"])
    XCTAssertEqual(r.0.out, "x\ty\n")
    assertSame(r)
    let d = try both(["-e", "print(package.path)"])
    assertSame(d)
  }

  /// `require "time"` finds the user's time.lua: barlua's modules are only `barlua.*`.
  func testRequireFindsUserModulesOfBuiltinNames() throws {
    let s = script("")
    for name in ["time", "pci", "mmio", "vfio", "pat", "test", "regs"] {
      Barlua.write("return 'user \(name)'", to: "\(s.dir)/\(name).lua")
    }
    let code = "for _, n in ipairs{'time', 'pci', 'mmio', 'vfio', 'pat', 'test', 'regs'} do print((require(n))) end"
    let r = try both(["-e", code], in: s.dir)
    XCTAssertEqual(r.0.out, "user time\nuser pci\nuser mmio\nuser vfio\nuser pat\nuser test\nuser regs\n", r.0.err)
    assertSame(r)
    let g = try Barlua.run([
      "-e",
      "for _, n in ipairs{'time', 'pci', 'mmio', 'vfio', 'pat'} do assert(require('barlua.' .. n) == _G[n], n) end "
        + "print(package.loaded.time, package.preload['barlua.time'] ~= nil, type(require 'barlua.test'))",
    ])
    XCTAssertTrue(g.out.hasSuffix("nil\ttrue\ttable\n"), g.out + g.err)
  }

  /// -E ignores BARLUA_PATH and BARLUA_SYSFS_PCI.
  func testIgnoreEnvironmentIgnoresBarluaVariables() throws {
    let env = ["BARLUA_SYSFS_PCI": "/nonexistent/bus/pci/devices"]
    let code = "print(pcall(pci.devices))"
    let with = try Barlua.run(["-e", code], env: env)
    XCTAssertTrue(with.out.hasPrefix("false\t"), with.out)
    let without = try Barlua.run(["-E", "-e", code], env: env)
    XCTAssertTrue(without.out.hasPrefix("true\t"), without.out + without.err)
  }

  /// The module search: in the error message, barlua's folders come right after preload.
  func testModuleSearchIsASearcher() throws {
    let r = try Barlua.run(["-e", "require 'no_such_module'"], env: ["BARLUA_PATH": "/team/lua"])
    XCTAssertTrue(
      r.err.contains(
        "no field package.preload['no_such_module']\n\tno file '/team/lua/no_such_module.lua'\n"), r.err)
    XCTAssertTrue(r.err.contains("/scripts/lib/no_such_module/init.lua'\n\tno file '/usr/local/share/lua/5.4/"), r.err)
  }
}
