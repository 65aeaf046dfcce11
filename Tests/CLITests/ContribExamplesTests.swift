import Foundation
import TestSupport
import XCTest

/// The CI examples in contrib/ are valid for their systems and their commands run: the GitLab
/// job against GitLab's CI schema and the LAVA test definition against LAVA's (both through
/// Tests/tools/ci-lint.sh, check-jsonschema from PyPI), then the GitLab job's script, the
/// Jenkinsfile's shell step and the LAVA run steps executed on a folder of tests: one passing
/// with a measurement, one for a board this machine does not have (skipped, not failed).
final class ContribExamplesTests: XCTestCase {
  static let repo = Barlua.repository
  static let lint = repo + "/Tests/tools/ci-lint.sh"

  private func lint(_ args: [String]) throws -> ChildProcess {
    try ChildProcess.run(Self.lint, args, environment: ProcessInfo.processInfo.environment)
  }

  func testExamplesValidateAgainstTheirSchemas() throws {
    let ok = try lint([])
    guard !ok.err.contains("pip") || ok.status == 0 else {
      throw XCTSkip("check-jsonschema could not be installed from PyPI: \(ok.err)")
    }
    XCTAssertEqual(ok.status, 0, ok.out + ok.err)
    XCTAssertEqual(ok.out.components(separatedBy: "ok -- validation done").count, 3, ok.out)
    // The checks can fail: a broken copy of each is refused.
    let dir = Barlua.tempDir()
    let gitlab = try String(contentsOfFile: Self.repo + "/contrib/ci/gitlab-ci.yml", encoding: .utf8)
    let lava = try String(contentsOfFile: Self.repo + "/contrib/lava/barlua-device-tests.yaml", encoding: .utf8)
    Barlua.write(gitlab.replacingOccurrences(of: "  stage: hardware", with: "  stage: [1]"), to: dir + "/g.yml")
    Barlua.write(lava.replacingOccurrences(of: "Test Definition 1.0", with: "Test Definition 2"), to: dir + "/l.yaml")
    let bad = try lint([dir + "/g.yml", dir + "/l.yaml"])
    XCTAssertEqual(bad.status, 1)
    XCTAssertTrue(bad.out.contains("$['barlua-device-tests'].stage"), bad.out)
    XCTAssertTrue(bad.out.contains("$.metadata.format: 'Lava-Test Test Definition 1.0' was expected"), bad.out)
  }

  /// A folder with tests/ (a passing test with a measurement, a test for an absent board) and
  /// a bin/ with barlua, barlua-doctor and prove's needs on PATH.
  private func workspace() throws -> (dir: String, env: [String: String]) {
    let dir = Barlua.tempDir()
    let fm = FileManager.default
    try fm.createDirectory(atPath: dir + "/tests", withIntermediateDirectories: true)
    try fm.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
    Barlua.write(
      "local t = require 'barlua.test'\nt.ok(true, 'fine')\nt.measure('speed', 12.5, 'MB/s')\nt.done()\n",
      to: dir + "/tests/a.lua")
    Barlua.write(
      "local t = require 'barlua.test'\nt.device('dut')\nt.ok(false, 'never runs')\nt.done()\n",
      to: dir + "/tests/b.lua")
    Barlua.write("#!/bin/sh\nexec barlua \(Self.repo)/scripts/doctor.lua \"$@\"\n", to: dir + "/bin/barlua-doctor")
    chmod(dir + "/bin/barlua-doctor", 0o755)
    let boards = dir + "/boards.lua"
    Barlua.write("return { dut = { vendor = 0xdead, device = 0xbeef } }\n", to: boards)
    chmod(boards, 0o644)
    let path = "\(dir)/bin:\(Barlua.directory):/usr/bin:/bin"
    return (dir, ["PATH": path, "HOME": dir, "BARLUA_BOARDS": boards])
  }

  private func xmllint(_ path: String) throws -> ChildProcess {
    try ChildProcess.run(
      "/usr/bin/xmllint", ["--noout", "--schema", Self.repo + "/Tests/Fixtures/junit/junit-10.xsd", path])
  }

  private func checkJUnitResults(_ dir: String, file: StaticString = #filePath, line: UInt = #line) throws {
    for name in ["a", "b"] {
      let v = try xmllint("\(dir)/results/\(name).xml")
      XCTAssertEqual(v.status, 0, v.err, file: file, line: line)
    }
    let a = try String(contentsOfFile: dir + "/results/a.xml", encoding: .utf8)
    XCTAssertTrue(a.contains(#"<property name="speed" value="12.5"/>"#), a, file: file, line: line)
    let b = try String(contentsOfFile: dir + "/results/b.xml", encoding: .utf8)
    XCTAssertTrue(
      b.contains(#"<skipped message="no board &quot;dut&quot; on this machine"/>"#), b, file: file, line: line)
  }

  func testGitLabJobScriptRuns() throws {
    let script = try lint(["--gitlab-script"])
    guard script.status == 0 else { throw XCTSkip("check-jsonschema's venv unavailable: \(script.err)") }
    let w = try workspace()
    var env = w.env
    env["BARLUA_TESTS"] = "tests"
    let r = try ChildProcess.run("/bin/bash", ["-e", "-c", script.out], environment: env, directory: w.dir)
    XCTAssertEqual(r.status, 0, r.out + r.err)
    XCTAssertTrue(r.out.contains("tests/b.lua .. skipped: no board \"dut\" on this machine"), r.out)
    try checkJUnitResults(w.dir)
  }

  func testJenkinsShellStepRuns() throws {
    let text = try String(contentsOfFile: Self.repo + "/contrib/ci/Jenkinsfile", encoding: .utf8)
    let parts = text.components(separatedBy: "sh '''")
    XCTAssertEqual(parts.count, 2, "one multi-line sh step")
    let step = parts[1].components(separatedBy: "'''")[0]
    let w = try workspace()
    let r = try ChildProcess.run("/bin/bash", ["-e", "-c", step], environment: w.env, directory: w.dir)
    XCTAssertEqual(r.status, 0, r.out + r.err)
    try checkJUnitResults(w.dir)
    XCTAssertTrue(text.contains("junit testResults: 'results/*.xml'"))
  }

  func testLavaRunStepsReportTestCases() throws {
    let steps = try lint(["--lava-steps"])
    guard steps.status == 0 else { throw XCTSkip("check-jsonschema's venv unavailable: \(steps.err)") }
    let w = try workspace()
    // LAVA's test shell puts lava-test-case on PATH: a stand-in that records its arguments.
    let log = w.dir + "/cases"
    Barlua.write("#!/bin/sh\necho \"$*\" >> \(log)\n", to: w.dir + "/bin/lava-test-case")
    chmod(w.dir + "/bin/lava-test-case", 0o755)
    var env = w.env
    env["TESTS"] = "tests"
    let r = try ChildProcess.run(
      "/bin/bash", ["-e", "-c", steps.out], environment: env, directory: w.dir)
    XCTAssertEqual(r.status, 0, r.out + r.err)
    XCTAssertEqual(
      try String(contentsOfFile: log, encoding: .utf8),
      "fine --result pass\nspeed --result pass --measurement 12.5 --units MB/s\nb --result skip\n")
  }
}
