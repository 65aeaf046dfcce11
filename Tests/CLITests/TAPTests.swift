import Foundation
import XCTest

/// Runs `prove` (Perl's TAP harness, /usr/bin/prove) with barlua as the interpreter.
enum Prove {
  static let path = "/usr/bin/prove"

  /// `prove -e BARLUA args...` in `directory`; stdout and stderr merged, as a user sees them.
  static func run(_ args: [String], in directory: String, env: [String: String] = [:]) throws
    -> Barlua.Result
  {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    p.currentDirectoryURL = URL(fileURLWithPath: directory)
    var e = ["PATH": "\(Barlua.directory):/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
    e.merge(env) { $1 }
    p.environment = e
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Barlua.Result(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: "")
  }
}

extension Barlua {
  /// The folder of the barlua binary, so `prove -e barlua` finds it on PATH.
  static var directory: String { URL(fileURLWithPath: path).deletingLastPathComponent().path }
}

/// barlua.test speaks TAP that `prove` accepts: each outcome (pass, fail, error, skip, bad plan,
/// death) gives the right lines, exit status and prove verdict.
final class TAPTests: XCTestCase {
  /// Writes `script` to a fresh folder as NAME.lua; returns (folder, script path).
  private func script(_ text: String, name: String = "t") -> (dir: String, path: String) {
    let dir = Barlua.tempDir()
    let path = "\(dir)/\(name).lua"
    Barlua.write("local t = require 'barlua.test'\n" + text, to: path)
    return (dir, path)
  }

  private func prove(_ s: (dir: String, path: String), verbose: Bool = false) throws -> Barlua.Result {
    try Prove.run((verbose ? ["-v"] : []) + ["-e", "barlua", s.path], in: s.dir)
  }

  func testPassingScript() throws {
    let s = script("t.plan(2)\nt.ok(true, 'first')\nt.is(0x13, 0x13, 'second')\nt.done()\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(r.out, "TAP version 13\n1..2\nok 1 - first\nok 2 - second\n")
    XCTAssertEqual(r.err, "")
    XCTAssertEqual(r.status, 0)
    let p = try prove(s)
    XCTAssertEqual(p.status, 0, p.out)
    XCTAssertTrue(p.out.contains("All tests successful.") && p.out.contains("Result: PASS"), p.out)
  }

  func testFailureShowsGotAndWantInHexWhereProveShowsThem() throws {
    let s = script("t.ok(true, 'fine')\nt.is(0x12, 0x13, 'id register')\nt.is('a', 'b')\nt.is(-1, 1, 'neg')\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(
      r.out, "TAP version 13\nok 1 - fine\nnot ok 2 - id register\nnot ok 3\nnot ok 4 - neg\n1..4\n")
    XCTAssertTrue(r.err.contains("#   Failed test 'id register'\n#   at \(s.path):3\n"), r.err)
    XCTAssertTrue(r.err.contains("# got: 0x12 want: 0x13\n"), r.err)
    XCTAssertTrue(r.err.contains("# got: \"a\" want: \"b\"\n"), r.err)
    XCTAssertTrue(r.err.contains("# got: -1 (0xffffffffffffffff) want: 0x1\n"), r.err)
    XCTAssertTrue(r.err.hasSuffix("# Looks like you failed 3 tests of 4.\n"), r.err)
    XCTAssertEqual(r.status, 1)
    // Without -v prove passes the script's stderr through: the user sees got/want.
    let p = try prove(s)
    XCTAssertNotEqual(p.status, 0)
    XCTAssertTrue(p.out.contains("# got: 0x12 want: 0x13"), p.out)
    XCTAssertTrue(p.out.contains("Failed tests:  2-4"), p.out)
    XCTAssertTrue(p.out.contains("Result: FAIL"), p.out)
  }

  func testErrorInsideATestIsAFailedTestWithItsTraceback() throws {
    let s = script(
      "local function probe() error('register 0x20 stuck') end\n"
        + "t.test('status', function() probe() end)\nt.ok(true, 'still running')\nt.done()\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(r.out, "TAP version 13\nnot ok 1 - status\nok 2 - still running\n1..2\n")
    XCTAssertTrue(r.err.contains("# \(s.path):2: register 0x20 stuck\n# stack traceback:\n"), r.err)
    XCTAssertTrue(r.err.contains("\(s.path):2: in upvalue 'probe'"), r.err)
    XCTAssertEqual(r.status, 1)
    let p = try prove(s)
    XCTAssertTrue(p.out.contains("Failed test:  1\n"), p.out)
    XCTAssertTrue(p.out.contains("Result: FAIL"), p.out)
  }

  func testContainsAndErrorOf() throws {
    let s = script(
      "local e = t.error_of(error, 'bar:read32: offset 0x2 is not 4-byte aligned', 0)\n"
        + "t.contains(e, '4-byte aligned', 'message')\n"
        + "t.is(t.error_of(function() end), nil, 'no error gives nil')\n"
        + "t.contains(e, 'not there', 'missing text')\n"
        + "t.contains(nil, 'x', 'not a string')\n"
        + "t.done()\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(
      r.out,
      "TAP version 13\nok 1 - message\nok 2 - no error gives nil\nnot ok 3 - missing text\nnot ok 4 - not a string\n1..4\n"
    )
    XCTAssertTrue(
      r.err.contains(
        "# got: \"bar:read32: offset 0x2 is not 4-byte aligned\"\n# want it to contain: \"not there\"\n"), r.err)
    XCTAssertTrue(r.err.contains("# got: nil\n# want it to contain: \"x\"\n"), r.err)
    XCTAssertEqual(r.status, 1)
    // Misuse is a Lua error naming the function.
    let bad = try Barlua.run([script("t.contains('a', 5)\n").path])
    XCTAssertTrue(bad.err.contains("test.contains: the text to look for must be a string, got number"), bad.err)
    let bad2 = try Barlua.run([script("t.error_of(5)\n").path])
    XCTAssertTrue(bad2.err.contains("test.error_of: expected a function, got number"), bad2.err)
  }

  func testSkipWholeScript() throws {
    let s = script("print('before')\nt.skip('no edu device: set BARLUA_EDU')\nt.ok(false, 'never')\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(r.out, "TAP version 13\nbefore\n1..0 # SKIP no edu device: set BARLUA_EDU\n")
    XCTAssertEqual(r.status, 0)
    let p = try prove(s)
    XCTAssertEqual(p.status, 0, p.out)
    XCTAssertTrue(p.out.contains("skipped: no edu device: set BARLUA_EDU"), p.out)
    XCTAssertTrue(p.out.contains("Result: NOTESTS"), p.out)
  }

  func testSkipOneTest() throws {
    let s = script("t.plan(2)\nt.ok(true, 'id')\nt.skip('DMA needs an IOMMU')\nt.done()\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(r.out, "TAP version 13\n1..2\nok 1 - id\nok 2 # SKIP DMA needs an IOMMU\n")
    XCTAssertEqual(r.status, 0)
    let p = try Prove.run(["--directives", "-e", "barlua", s.path], in: s.dir)
    XCTAssertEqual(p.status, 0, p.out)
    XCTAssertTrue(p.out.contains("ok 2 # SKIP DMA needs an IOMMU"), p.out)
    XCTAssertTrue(p.out.contains("Result: PASS"), p.out)
  }

  func testPlanNotMet() throws {
    let s = script("t.plan(3)\nt.ok(true, 'one')\nt.ok(true, 'two')\nt.done()\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(r.out, "TAP version 13\n1..3\nok 1 - one\nok 2 - two\n")
    XCTAssertEqual(r.err, "# Looks like you planned 3 tests but ran 2.\n")
    XCTAssertEqual(r.status, 1)
    let p = try prove(s)
    XCTAssertTrue(p.out.contains("Bad plan.  You planned 3 tests but ran 2."), p.out)
    XCTAssertTrue(p.out.contains("Result: FAIL"), p.out)
  }

  func testScriptThatDiesWithoutDone() throws {
    let s = script("t.ok(true, 'one')\nlocal x = nil\nprint(x.field)\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(r.out, "TAP version 13\nok 1 - one\nnot ok 2 - script died\n1..2\n")
    XCTAssertTrue(r.err.contains("attempt to index a nil value (local 'x')"), r.err)
    XCTAssertTrue(r.err.contains("#   Failed test 'script died'"), r.err)
    XCTAssertEqual(r.status, 1)
    let p = try prove(s)
    XCTAssertTrue(p.out.contains("Failed test:  2\n"), p.out)
    XCTAssertTrue(p.out.contains("Result: FAIL"), p.out)
  }

  func testScriptThatDiesBeforeItsPlanIsMet() throws {
    let s = script("t.plan(3)\nt.ok(true, 'one')\nerror('device gone')\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(r.out, "TAP version 13\n1..3\nok 1 - one\nnot ok 2 - script died\n")
    XCTAssertTrue(r.err.contains("# Looks like you planned 3 tests but ran 2.\n"), r.err)
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(try prove(s).out.contains("Result: FAIL"))
  }

  func testScriptThatEndsWithoutDoneGetsItsPlan() throws {
    let s = script("t.ok(true, 'one')\nt.ok(true, 'two')\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(r.out, "TAP version 13\nok 1 - one\nok 2 - two\n1..2\n")
    XCTAssertEqual(r.status, 0)
    XCTAssertTrue(try prove(s).out.contains("Result: PASS"))
  }

  func testFailureWithoutDoneStillFailsTheScript() throws {
    let s = script("t.ok(false, 'one')\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(r.out, "TAP version 13\nnot ok 1 - one\n1..1\n")
    XCTAssertEqual(r.status, 1)
  }

  /// os.exit with a success status after a failed test: the plan is printed and the status
  /// is 1 (it was 0, with no plan line); a failure status of the script's own is kept.
  func testOsExitCannotHideAFailure() throws {
    for exit in ["os.exit(0)", "os.exit(true, true)", "os.exit()"] {
      let s = script("t.ok(false, 'one')\n\(exit)\n")
      let r = try Barlua.run([s.path])
      XCTAssertEqual(r.out, "TAP version 13\nnot ok 1 - one\n1..1\n", exit)
      XCTAssertEqual(r.status, 1, exit)
      XCTAssertTrue(r.err.contains("Looks like you failed 1 test of 1."), r.err)
    }
    let planned = script("t.plan(3)\nt.ok(true, 'one')\nos.exit(0)\n")
    let p = try Barlua.run([planned.path])
    XCTAssertEqual(p.status, 1)
    XCTAssertTrue(p.err.contains("Looks like you planned 3 tests but ran 1."), p.err)
    let own = script("t.ok(true, 'one')\nos.exit(3)\n")
    XCTAssertEqual(try Barlua.run([own.path]).status, 3)
    let passing = script("t.ok(true, 'one')\nos.exit(0)\n")
    let ok = try Barlua.run([passing.path])
    XCTAssertEqual(ok.status, 0)
    XCTAssertEqual(ok.out, "TAP version 13\nok 1 - one\n1..1\n")
  }

  /// Tests run with -e (no script file) get the same checks when barlua ends.
  func testCommandLineChunksAreCheckedAtExit() throws {
    let failing = try Barlua.run(["-e", "t = require 'barlua.test' t.ok(false, 'e')"])
    XCTAssertEqual(failing.status, 1)
    XCTAssertEqual(failing.out, "TAP version 13\nnot ok 1 - e\n1..1\n")
    let short = try Barlua.run(["-e", "t = require 'barlua.test' t.plan(2) t.ok(true, 'e')"])
    XCTAssertEqual(short.status, 1)
    XCTAssertTrue(short.err.contains("Looks like you planned 2 tests but ran 1."), short.err)
    let passing = try Barlua.run(["-e", "t = require 'barlua.test' t.ok(true, 'e')"])
    XCTAssertEqual(passing.status, 0)
    XCTAssertEqual(passing.out, "TAP version 13\nok 1 - e\n1..1\n")
    // Only loaded (no plan, no test): nothing to check, nothing added.
    let loaded = try Barlua.run(["-e", "t = require 'barlua.test'"])
    XCTAssertEqual(loaded.status, 0)
    XCTAssertEqual(loaded.out, "TAP version 13\n")
  }

  func testNamesCannotBreakTheTAPLine() throws {
    let s = script("t.ok(true, 'a # SKIP b')\nt.ok(true, 'two\\nlines')\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(r.out, "TAP version 13\nok 1 - a \\# SKIP b\nok 2 - two lines\n1..2\n")
    let p = try prove(s, verbose: true)
    XCTAssertTrue(p.out.contains("Result: PASS"), p.out)
    XCTAssertFalse(p.out.contains("skipped"), p.out)
  }

  func testDiagGoesToStandardError() throws {
    let s = script("t.diag('edu at', '0000:00:03.0')\nt.ok(true)\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(r.out, "TAP version 13\nok 1\n1..1\n")
    XCTAssertEqual(r.err, "# edu at 0000:00:03.0\n")
  }

  func testComparingARegisterViewToANumberExplainsItself() throws {
    let file = "/dev/shm/barlua-cli-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: file, contents: Data(count: 0x100000))
    defer { try? FileManager.default.removeItem(atPath: file) }
    let s = script(
      "local edu = require('barlua.regs').bind(mmio.map('\(file)'), require 'devices.edu')\n"
        + "t.is(edu.status, 0, 'status')\nt.is(edu.status.value, 0, 'status value')\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(r.out, "TAP version 13\nnot ok 1 - status\nok 2 - status value\n1..2\n")
    XCTAssertTrue(
      r.err.contains(
        "# got: edu.status = 0x00000000 {computing=0x0 irq_on_factorial=0x0} want: 0x0\n"
          + "# (a register with fields: compare its .value or a field)\n"), r.err)
  }

  func testMisuseIsAnError() throws {
    var r = try Barlua.run([script("t.ok(true)\nt.plan(1)\n").path])
    XCTAssertTrue(r.err.contains("test.plan: give the plan before the first test"), r.err)
    XCTAssertEqual(r.status, 1)
    r = try Barlua.run([script("t.plan(-1)\n").path])
    XCTAssertTrue(r.err.contains("test.plan: the number of tests must be a non-negative integer, got -1"), r.err)
    r = try Barlua.run([script("t.ok(true, 5)\n").path])
    XCTAssertTrue(r.err.contains("test.ok: name must be a string, got number"), r.err)
    r = try Barlua.run([script("t.test('x', 5)\n").path])
    XCTAssertTrue(r.err.contains("test.test: the test must be a function, got number"), r.err)
    r = try Barlua.run([script("t.ok(true)\nt.finish()\nt.ok(true)\n").path])
    XCTAssertTrue(r.err.contains("test.ok: called after the tests finished"), r.err)
    XCTAssertEqual(r.status, 1)
  }

  /// On a machine without the devices every device test skips with its reason, and prove passes.
  func testDeviceTestsSkipOnAHostWithoutDevices() throws {
    let repo = Barlua.repository
    let p = try Prove.run(["-e", "barlua", "scripts/tests/"], in: repo)
    XCTAssertEqual(p.status, 0, p.out)
    for (name, env) in [("edu", "BARLUA_EDU"), ("ivshmem", "BARLUA_IVSHMEM"), ("pci_testdev", "BARLUA_TESTDEV")] {
      XCTAssertTrue(
        p.out.contains("scripts/tests/\(name).lua ")
          && p.out.contains("skipped: no \(name) device: set \(env) or pass --device"),
        p.out)
    }
    let ipxact = p.out.split(separator: "\n").first { $0.hasPrefix("scripts/tests/edu_ipxact.lua ") } ?? ""
    XCTAssertTrue(ipxact.contains("skipped: no edu device: set BARLUA_EDU or pass --device"), p.out)
    XCTAssertTrue(p.out.contains("Files=4, Tests=0"), p.out)
  }

  /// For a CI system: prove's JUnit formatter (libtap-formatter-junit-perl) over the device
  /// tests gives well-formed XML with one testsuite per script; on this host each is a skip.
  func testDeviceTestsAsJUnitXML() throws {
    let p = try Prove.run(
      ["-e", "barlua", "--formatter", "TAP::Formatter::JUnit", "scripts/tests/"], in: Barlua.repository)
    XCTAssertEqual(p.status, 0, p.out)
    let check = Process()
    check.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    check.arguments = [
      "-c",
      """
      import sys, xml.etree.ElementTree as ET
      for s in ET.fromstring(sys.stdin.read()).findall("testsuite"):
          out = s.find("system-out").text
          print(s.get("name"), s.get("tests"), s.get("failures"), s.get("errors"), out.splitlines()[1])
      """,
    ]
    let input = Pipe()
    let out = Pipe()
    check.standardInput = input
    check.standardOutput = out
    try check.run()
    input.fileHandleForWriting.write(Data(p.out.utf8))
    try input.fileHandleForWriting.close()
    let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    check.waitUntilExit()
    XCTAssertEqual(check.terminationStatus, 0, "not well-formed XML: " + p.out)
    XCTAssertEqual(
      o,
      """
      scripts_tests_edu_lua 0 0 0 1..0 # SKIP no edu device: set BARLUA_EDU or pass --device
      scripts_tests_edu_ipxact_lua 0 0 0 1..0 # SKIP no edu device: set BARLUA_EDU or pass --device
      scripts_tests_ivshmem_lua 0 0 0 1..0 # SKIP no ivshmem device: set BARLUA_IVSHMEM or pass --device
      scripts_tests_pci_testdev_lua 0 0 0 1..0 # SKIP no pci_testdev device: set BARLUA_TESTDEV or pass --device

      """)
  }

  /// A named device is used, never skipped: on this host it does not open, so the test fails.
  func testNamedDeviceThatDoesNotOpenFailsInsteadOfSkipping() throws {
    let r = try Barlua.run(
      ["\(Barlua.repository)/scripts/tests/edu.lua"], env: ["BARLUA_EDU": "0000:7f:1f.7"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.out.contains("not ok 1 - script died"), r.out)
    XCTAssertTrue(r.err.contains("vfio.open"), r.err)
    let q = try Barlua.run(["\(Barlua.repository)/scripts/tests/edu.lua", "--bogus"])
    XCTAssertEqual(q.status, 1)
    XCTAssertTrue(q.err.contains("unknown option '--bogus'"), q.err)
  }

  /// `require "devices.edu"` works from a script anywhere: the repository's scripts/lib is on
  /// the module path of every barlua built from it.
  func testSharedDeviceMapsLoadFromAnyScriptLocation() throws {
    let dir = Barlua.tempDir()
    Barlua.write(
      "local edu = require 'devices.edu'\nprint(edu.name, edu.vendor, edu.device, #edu.registers)\n",
      to: "\(dir)/anywhere.lua")
    let r = try Barlua.run(["\(dir)/anywhere.lua"])
    XCTAssertEqual(r.out, "edu\t4660\t4584\t11\n", r.err)
  }
}
