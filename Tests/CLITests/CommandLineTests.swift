import Foundation
import XCTest

/// The command line behaves like the reference `lua` (lua.c 5.4).
final class CommandLineTests: XCTestCase {
  func testExecuteAndExitStatus() throws {
    let r = try Barlua.run(["-e", "print(1 + 1)"])
    XCTAssertEqual(r.out, "2\n")
    XCTAssertEqual(r.status, 0)
  }

  func testRuntimeErrorPrintsProgramMessageAndTraceback() throws {
    let r = try Barlua.run(["-e", "local function f() error('boom') end f()"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.hasPrefix("barlua: (command line):1: boom\nstack traceback:\n"), r.err)
    XCTAssertTrue(r.err.contains("in local 'f'") || r.err.contains("in function 'f'"), r.err)
  }

  func testErrorObjectsThatAreNotStrings() throws {
    var r = try Barlua.run(["-e", "error({})"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.hasPrefix("barlua: (error object is a table value)\n"), r.err)
    r = try Barlua.run(["-e", "error()"])
    XCTAssertTrue(r.err.hasPrefix("barlua: (error object is a nil value)\n"), r.err)
    r = try Barlua.run(["-e", "error(setmetatable({}, {__tostring = function() return 'custom' end}))"])
    XCTAssertEqual(r.err, "barlua: custom\n")
    XCTAssertEqual(r.status, 1)
  }

  func testSyntaxErrorInExecute() throws {
    let r = try Barlua.run(["-e", "x ="])
    XCTAssertEqual(r.status, 1)
    XCTAssertEqual(r.err, "barlua: (command line):1: unexpected symbol near <eof>\n")
  }

  func testMissingScript() throws {
    let r = try Barlua.run(["/nonexistent/script.lua"])
    XCTAssertEqual(r.status, 1)
    XCTAssertEqual(r.err, "barlua: cannot open /nonexistent/script.lua: No such file or directory\n")
  }

  func testDeepRecursionIsALuaError() throws {
    let r = try Barlua.run(["-e", "local function f() return 1 + f() end f()"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.hasPrefix("barlua: (command line):1: stack overflow"), r.err)
  }

  func testArgTableAndVarargs() throws {
    let dir = Barlua.tempDir()
    let script = "\(dir)/args.lua"
    Barlua.write("print(arg[0], arg[1], arg[2], #arg, arg[-1], arg[-2], select('#', ...), ...)", to: script)
    let r = try Barlua.run(["-e", "x=1", script, "a", "b"])
    XCTAssertEqual(r.out, "\(script)\ta\tb\t2\tx=1\t-e\t2\ta\tb\n")
  }

  func testStdinRunsWhenNotATerminal() throws {
    let r = try Barlua.run([], stdin: "print('from stdin', ...)")
    XCTAssertEqual(r.out, "from stdin\n")
    XCTAssertEqual(r.status, 0)
  }

  func testDashRunsStdinWithArguments() throws {
    let r = try Barlua.run(["-", "x", "y"], stdin: "print(...)")
    XCTAssertEqual(r.out, "x\ty\n")
  }

  func testDoubleDashEndsOptions() throws {
    let dir = Barlua.tempDir()
    Barlua.write("print(...)", to: "\(dir)/s.lua")
    let r = try Barlua.run(["--", "\(dir)/s.lua", "-e", "-v"])
    XCTAssertEqual(r.out, "-e\t-v\n")
  }

  func testRequireOptions() throws {
    var r = try Barlua.run(["-l", "string", "-e", "print(string == require 'string')"])
    XCTAssertEqual(r.out, "true\n")
    r = try Barlua.run(["-l", "s=string", "-e", "print(s.rep('ab', 2))"])
    XCTAssertEqual(r.out, "abab\n")
    r = try Barlua.run(["-lm=barlua.mmio", "-e", "print(m == mmio)"])
    XCTAssertEqual(r.out, "true\n")
    r = try Barlua.run(["-l", "no_such_module"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.hasPrefix("barlua: module 'no_such_module' not found:"), r.err)
  }

  func testOptionsAreRunInOrder() throws {
    let r = try Barlua.run(["-e", "x = 1", "-l", "s=string", "-e", "print(x, s ~= nil)"])
    XCTAssertEqual(r.out, "1\ttrue\n")
  }

  func testBadOptions() throws {
    var r = try Barlua.run(["-x"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.hasPrefix("barlua: unrecognized option '-x'\nusage: barlua"), r.err)
    r = try Barlua.run(["-e"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.hasPrefix("barlua: '-e' needs argument\n"), r.err)
    r = try Barlua.run(["-l", "-e", "x"])
    XCTAssertTrue(r.err.hasPrefix("barlua: '-l' needs argument\n"), r.err)
    r = try Barlua.run(["-vx"])
    XCTAssertTrue(r.err.hasPrefix("barlua: unrecognized option '-vx'\n"), r.err)
  }

  func testVersionAndHelp() throws {
    var r = try Barlua.run(["-v"])
    XCTAssertTrue(r.out.hasPrefix("barlua 0.1.0 -- Lua 5.4"), r.out)
    XCTAssertEqual(r.status, 0)
    r = try Barlua.run(["--version"])
    XCTAssertTrue(r.out.hasPrefix("barlua 0.1.0 -- Lua 5.4"), r.out)
    r = try Barlua.run(["--help"])
    XCTAssertTrue(r.out.hasPrefix("usage: barlua [options] [script [args]]"), r.out)
    XCTAssertTrue(r.out.contains("-l g=mod"))
  }

  func testLuaInitAndIgnoreEnvironment() throws {
    var r = try Barlua.run(["-e", "print(x)"], env: ["LUA_INIT": "x = 'init'"])
    XCTAssertEqual(r.out, "init\n")
    r = try Barlua.run(["-e", "print(x)"], env: ["LUA_INIT": "x = 'old'", "LUA_INIT_5_4": "x = 'new'"])
    XCTAssertEqual(r.out, "new\n")
    let dir = Barlua.tempDir()
    Barlua.write("x = 'from file'", to: "\(dir)/init.lua")
    r = try Barlua.run(["-e", "print(x)"], env: ["LUA_INIT": "@\(dir)/init.lua"])
    XCTAssertEqual(r.out, "from file\n")
    r = try Barlua.run(["-E", "-e", "print(x)"], env: ["LUA_INIT": "x = 'init'"])
    XCTAssertEqual(r.out, "nil\n")
    r = try Barlua.run(["-e", "print(1)"], env: ["LUA_INIT": "error('bad init')"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.hasPrefix("barlua: LUA_INIT:1: bad init"), r.err)
  }

  func testWarnings() throws {
    var r = try Barlua.run(["-e", "warn('quiet')"])
    XCTAssertEqual(r.err, "")
    r = try Barlua.run(["-W", "-e", "warn('loud')"])
    XCTAssertEqual(r.err, "Lua warning: loud\n")
  }

  func testModulePathSearchesScriptDirectoryAndBarluaPath() throws {
    let dir = Barlua.tempDir()
    try FileManager.default.createDirectory(atPath: "\(dir)/lib/devices", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: "\(dir)/team", withIntermediateDirectories: true)
    Barlua.write("return 'sibling'", to: "\(dir)/sibling.lua")
    Barlua.write("return 'edu from lib'", to: "\(dir)/lib/devices/myedu.lua")
    Barlua.write("return 'team module'", to: "\(dir)/team/shared.lua")
    Barlua.write(
      "print((require 'sibling'), (require 'devices.myedu'), (require 'shared'))", to: "\(dir)/main.lua")
    let cwd = Barlua.tempDir()
    let p = try Barlua.run(["\(dir)/main.lua"], env: ["BARLUA_PATH": "\(dir)/team", "PWD": cwd])
    XCTAssertEqual(p.out, "sibling\tedu from lib\tteam module\n", p.err)
    let q = try Barlua.run(["-E", "\(dir)/main.lua"], env: ["BARLUA_PATH": "\(dir)/team"])
    XCTAssertEqual(q.status, 1)
    XCTAssertTrue(q.err.contains("module 'shared' not found"), q.err)
  }

  func testDebianLuaModulesLoad() throws {
    // C modules (lua-cjson) need the host to export the Lua API; argparse is plain Lua.
    let r = try Barlua.run([
      "-e", "local cjson = require 'cjson' print(cjson.encode({a = 1})) print(type(require 'argparse'))",
    ])
    XCTAssertEqual(r.out, "{\"a\":1}\ntable\n", r.err)
  }

  func testBusErrorDoesNotKillTheProcess() throws {
    let path = "/dev/shm/barlua-cli-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: path, contents: Data(count: 65536))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let r = try Barlua.run([
      "-e",
      "local b = mmio.map('\(path)') io.open('\(path)', 'w'):close() "
        + "print(pcall(b.read32, b, 4096)) print('alive')",
    ])
    XCTAssertEqual(r.status, 0)
    XCTAssertTrue(r.out.hasPrefix("false\tbar:read32: bus error at offset 0x1000"), r.out)
    XCTAssertTrue(r.out.hasSuffix("alive\n"))
  }
}
