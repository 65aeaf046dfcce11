import Foundation
import TestSupport
import XCTest

/// barlua.test's measurements, subtests and report formats, each read by the tool that
/// consumes it: `prove` (TAP), the kernel's `kunit_parser.py` (KTAP nesting), `xmllint`
/// against Jenkins' JUnit schema (Tests/Fixtures/junit/junit-10.xsd), and LAVA's signal
/// parsing rules (Tests/tools/lava_signals.py, which cites LAVA's files).
final class TestFormatsTests: XCTestCase {
  static let repo = Barlua.repository
  static let xsd = repo + "/Tests/Fixtures/junit/junit-10.xsd"

  /// A script with every kind of result: passes, a measurement, nested subtests, a skipped
  /// subtest, a failing one whose function dies.
  static let mixed = """
    local t = require "barlua.test"
    t.ok(true, "first")
    t.measure("bandwidth", 812.5, "MB/s")
    t.subtest("inner", function()
      t.ok(true, "x")
      t.subtest("deeper", function() t.is(1, 1, "one"); t.measure("latency", 12, "ns") end)
      t.ok(true, "y")
    end)
    t.subtest("skipped", function() t.skip("nothing here") end)
    t.subtest("bad", function() t.ok(false, "nope"); error("boom") end)
    t.done()
    """

  static let passing = """
    local t = require "barlua.test"
    t.plan(3)
    t.measure("reads", 1234, "MB/s")
    t.subtest("group", function()
      t.plan(2)
      t.ok(true, "a")
      t.subtest("nested", function() t.ok(true, "b") end)
    end)
    t.ok(true, "last")
    t.done()
    """

  private func script(_ text: String, name: String = "t") -> (dir: String, path: String) {
    let dir = Barlua.tempDir()
    let path = "\(dir)/\(name).lua"
    Barlua.write(text, to: path)
    return (dir, path)
  }

  func testSubtestsAreIndentedWithTheirPlanFirstAndMeasurementsAreComments() throws {
    let s = script(Self.mixed)
    let r = try Barlua.run([s.path])
    XCTAssertEqual(
      r.out,
      """
      TAP version 13
      ok 1 - first
      ok 2 - bandwidth
      # bandwidth: 812.5 MB/s
          # Subtest: inner
          1..3
          ok 1 - x
              # Subtest: deeper
              1..2
              ok 1 - one
              ok 2 - latency
              # latency: 12 ns
          ok 2 - deeper
          ok 3 - y
      ok 3 - inner
          # Subtest: skipped
          1..0 # SKIP nothing here
      ok 4 - skipped # SKIP nothing here
          # Subtest: bad
          1..2
          not ok 1 - nope
          not ok 2 - subtest died
      not ok 5 - bad
      1..5

      """)
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.contains("t.lua:10: boom"), r.err)
    XCTAssertTrue(r.err.contains("# failed 2 of 2 tests in subtest 'bad'"), r.err)
    XCTAssertTrue(r.err.hasSuffix("# Looks like you failed 1 test of 5.\n"), r.err)
  }

  func testProveReadsSubtestsAndMeasurements() throws {
    let s = script(Self.passing)
    let p = try Prove.run(["-v", "-e", "barlua", s.path], in: s.dir)
    XCTAssertEqual(p.status, 0, p.out)
    XCTAssertTrue(p.out.contains("Result: PASS"), p.out)
    XCTAssertTrue(p.out.contains("Files=1, Tests=3,"), p.out)
    let f = script(Self.mixed)
    let pf = try Prove.run(["-e", "barlua", f.path], in: f.dir)
    XCTAssertNotEqual(pf.status, 0)
    XCTAssertTrue(pf.out.contains("Failed test:  5"), pf.out)
  }

  func testSubtestPlanNotMetFailsTheSubtest() throws {
    let s = script(
      "local t = require 'barlua.test'\nt.subtest('s', function() t.plan(2); t.ok(true) end)\nt.done()\n")
    let r = try Barlua.run([s.path])
    XCTAssertEqual(r.out, "TAP version 13\n    # Subtest: s\n    1..2\n    ok 1\nnot ok 1 - s\n1..1\n")
    XCTAssertTrue(r.err.contains("# planned 2 tests but ran 1"), r.err)
    XCTAssertEqual(r.status, 1)
  }

  func testMeasureAndSubtestArgumentErrors() throws {
    let cases: [(String, String)] = [
      ("t.measure(nil, 1, 'ns')", "test.measure: name must be a non-empty string, got nil"),
      ("t.measure('x', 0/0, 'ns')", "test.measure: value must be a finite number, got "),
      ("t.measure('x', 1/0, 'ns')", "test.measure: value must be a finite number, got inf"),
      ("t.measure('x', '3', 'ns')", "test.measure: value must be a finite number, got 3"),
      ("t.measure('x', 3, 'M B')", "test.measure: unit must be a string without spaces"),
      ("t.measure('x', 3, 'a>b')", "test.measure: unit must be a string without spaces"),
      ("t.subtest('x')", "test.subtest: the subtest must be a function, got nil"),
      ("t.subtest(1, print)", "test.subtest: name must be a non-empty string, got number"),
      ("t.device(5)", "test.device: expected a board name or a pci.devices filter, got number"),
    ]
    for (code, want) in cases {
      let r = try Barlua.run(["-e", "local t = require 'barlua.test'; " + code])
      XCTAssertTrue(r.err.contains(want), "\(code): \(r.err)")
      XCTAssertNotEqual(r.status, 0, code)
    }
  }

  /// The kernel's own KTAP parser (tools/testing/kunit/kunit_parser.py of Debian's
  /// linux-source-6.1, fetched into the cache by Tests/tools/kunit-source.sh) reads the nesting.
  func testKunitParserReadsTheNesting() throws {
    let src = try ChildProcess.run(Self.repo + "/Tests/tools/kunit-source.sh", [])
    guard src.status == 0 else {
      throw XCTSkip("kernel KUnit tool unavailable (no network?): \(src.err)")
    }
    let dir = src.out.trimmingCharacters(in: .whitespacesAndNewlines)
    let s = script(Self.mixed)
    let tap = try Barlua.run([s.path])
    let k = try ChildProcess.run(
      "/usr/bin/python3", [Self.repo + "/Tests/tools/kunit_tree.py", dir], stdin: tap.out)
    XCTAssertEqual(k.status, 0, k.err)
    let tree = k.out.split(separator: "\n").filter { $0.hasPrefix("TREE ") }.map { String($0.dropFirst(5)) }
    XCTAssertEqual(
      tree,
      [
        "0 first SUCCESS", "0 bandwidth SUCCESS", "0 inner SUCCESS", "1 x SUCCESS", "1 deeper SUCCESS",
        "2 one SUCCESS", "2 latency SUCCESS", "1 y SUCCESS", "0 skipped SKIPPED", "0 bad FAILURE",
        "1 nope FAILURE", "1 subtest died FAILURE", "errors 0",
      ], k.out)
  }

  private func xmllint(_ path: String) throws -> ChildProcess {
    try ChildProcess.run("/usr/bin/xmllint", ["--noout", "--schema", Self.xsd, path])
  }

  func testJUnitReportValidatesAgainstJenkinsSchema() throws {
    let s = script(Self.mixed, name: "dut <check> & more")
    let xml = s.dir + "/report.xml"
    let r = try Barlua.run([s.path], env: ["BARLUA_TEST_FORMAT": "junit:" + xml])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.out.hasPrefix("TAP version 13\nok 1 - first\n"), "TAP stays on stdout: \(r.out)")
    let v = try xmllint(xml)
    XCTAssertEqual(v.status, 0, v.err)
    let text = try String(contentsOfFile: xml, encoding: .utf8)
    XCTAssertTrue(
      text.contains(#"<testsuite name="dut &lt;check&gt; &amp; more" tests="12" failures="3" errors="0" skipped="1""#),
      text)
    XCTAssertTrue(text.contains(#"<property name="bandwidth" value="812.5"/>"#), text)
    XCTAssertTrue(text.contains(#"<property name="bandwidth.unit" value="MB/s"/>"#), text)
    XCTAssertTrue(text.contains(#"<property name="inner/deeper/latency" value="12"/>"#), text)
    XCTAssertTrue(text.contains(#"name="inner/deeper/one""#), text)
    XCTAssertTrue(text.contains(#"<skipped message="nothing here"/>"#), text)
    XCTAssertTrue(text.contains(#"name="bad/subtest died""#) && text.contains("boom"), text)
    XCTAssertFalse(FileManager.default.fileExists(atPath: xml + ".tmp"))
  }

  func testJUnitReportOfSkippedScriptBadPlanAndHostileNames() throws {
    let skip = script("local t = require 'barlua.test'\nt.skip('no board here')\n")
    let xml = skip.dir + "/skip.xml"
    let r = try Barlua.run([skip.path], env: ["BARLUA_TEST_FORMAT": "junit:" + xml])
    XCTAssertEqual(r.status, 0)
    XCTAssertEqual(try xmllint(xml).status, 0)
    XCTAssertTrue(try String(contentsOfFile: xml, encoding: .utf8).contains(#"<skipped message="no board here"/>"#))
    // A plan not met, control characters and invalid UTF-8 in names: still a valid report.
    let bad = script("local t = require 'barlua.test'\nt.plan(3)\nt.ok(true, 'bell\\7 and \\255')\nos.exit(0)\n")
    let xml2 = bad.dir + "/bad.xml"
    let b = try Barlua.run([bad.path], env: ["BARLUA_TEST_FORMAT": "junit:" + xml2])
    XCTAssertEqual(b.status, 1)
    let v = try xmllint(xml2)
    XCTAssertEqual(v.status, 0, v.err)
    XCTAssertTrue(try String(contentsOfFile: xml2, encoding: .utf8).contains("planned 3 tests but ran 1"))
    // An unwritable path: the TAP verdict stands and stderr says why.
    let u = try Barlua.run(
      ["-e", "local t = require 'barlua.test'; t.ok(true)"],
      env: ["BARLUA_TEST_FORMAT": "junit:/nonexistent/dir/r.xml"])
    XCTAssertEqual(u.status, 0)
    XCTAssertTrue(u.err.contains("cannot write the JUnit report /nonexistent/dir/r.xml"), u.err)
    let f = try Barlua.run(["-e", "require 'barlua.test'"], env: ["BARLUA_TEST_FORMAT": "xml"])
    XCTAssertTrue(f.err.contains(#"BARLUA_TEST_FORMAT="xml" is not tap, junit:PATH or lava"#), f.err)
  }

  func testLavaSignalsParseWithLavasRules() throws {
    let s = script(Self.mixed)
    let r = try Barlua.run([s.path], env: ["BARLUA_TEST_FORMAT": "lava", "PATH": "/usr/bin:/bin"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(
      r.out.contains("<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=bandwidth RESULT=pass UNITS=MB/s MEASUREMENT=812.5>\n"),
      r.out)
    let l = try ChildProcess.run("/usr/bin/python3", [Self.repo + "/Tests/tools/lava_signals.py"], stdin: r.out)
    XCTAssertEqual(l.status, 0, l.err)
    XCTAssertEqual(
      l.out,
      """
      first pass
      bandwidth pass 812.5 MB/s
      inner_x pass
      inner_deeper_one pass
      inner_deeper_latency pass 12.0 ns
      inner_deeper pass
      inner_y pass
      inner pass
      skipped skip
      bad_nope fail
      bad_subtest_died fail
      bad fail

      """)
    // Names LAVA would split or cut (spaces, '>', '=') are made safe.
    let odd = try Barlua.run(
      ["-e", "local t = require 'barlua.test'; t.ok(true, 'a b>c=d'); t.skip('why')"],
      env: ["BARLUA_TEST_FORMAT": "lava"])
    let lo = try ChildProcess.run("/usr/bin/python3", [Self.repo + "/Tests/tools/lava_signals.py"], stdin: odd.out)
    XCTAssertEqual(lo.status, 0, lo.err)
    XCTAssertEqual(lo.out, "a_b_c_d pass\ntest_2 skip\n")
  }

  /// Inside a LAVA test shell `lava-test-case` is on PATH: barlua runs it with each result.
  func testLavaTestCaseCommandIsUsedWhenOnPath() throws {
    let dir = Barlua.tempDir()
    let bin = dir + "/bin it's"
    try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
    let log = dir + "/calls"
    Barlua.write("#!/bin/sh\nprintf '%s|' \"$@\" >> \"\(log)\"\necho >> \"\(log)\"\n", to: bin + "/lava-test-case")
    chmod(bin + "/lava-test-case", 0o755)
    let r = try Barlua.run(
      ["-e", "local t = require 'barlua.test'; t.ok(true, 'id ok'); t.measure('bw', 2.5, 'GB/s'); t.ok(false, 'x')"],
      env: ["BARLUA_TEST_FORMAT": "lava", "PATH": bin + ":/usr/bin:/bin"])
    XCTAssertEqual(r.status, 1)
    XCTAssertFalse(r.out.contains("LAVA_SIGNAL"), r.out)
    XCTAssertEqual(
      try String(contentsOfFile: log, encoding: .utf8),
      "id_ok|--result|pass|\nbw|--result|pass|--measurement|2.5|--units|GB/s|\nx|--result|fail|\n")
  }
}
