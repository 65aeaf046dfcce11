import Foundation
import XCTest

/// The REPL on a real terminal: values, hex, continuation, Ctrl-C, history, completion.
final class REPLTests: XCTestCase {
  func testExpressionsTablesAndHex() throws {
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": ""])
    XCTAssertTrue(t.expect("> "))
    t.send("x = {a = 1, b = {c = 4096}, 'first'}\n")
    t.send("x\n")
    XCTAssertTrue(t.expect("{ \"first\", a = 1, b = { c = 4096 (0x1000) } }"), t.screen)
    t.send("=255, 256\n")
    XCTAssertTrue(t.expect("255\t256 (0x100)"), t.screen)
    t.send("-1\n")
    XCTAssertTrue(t.expect("-1 (0xffffffffffffffff)"), t.screen)
    XCTAssertEqual(t.quit(), 0)
  }

  func testIncompleteInputContinues() throws {
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": ""])
    XCTAssertTrue(t.expect("> "))
    t.send("function f()\n")
    XCTAssertTrue(t.expect(">> "))
    t.send("return 42\n")
    t.send("end\n")
    t.send("f()\n")
    XCTAssertTrue(t.expect("42"), t.screen)
    XCTAssertEqual(t.quit(), 0)
  }

  func testErrorsAreReportedAndTheREPLGoesOn() throws {
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": ""])
    XCTAssertTrue(t.expect("> "))
    t.send("error('oops')\n")
    XCTAssertTrue(t.expect("barlua: stdin:1: oops"), t.screen)
    t.send("print('still here')\n")
    XCTAssertTrue(t.expect("still here"), t.screen)
    XCTAssertEqual(t.quit(), 0)
  }

  func testCtrlCInterruptsARunningChunk() throws {
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": ""])
    XCTAssertTrue(t.expect("> "))
    t.send("while true do end\n")
    usleep(300_000)
    t.send("\u{3}")
    XCTAssertTrue(t.expect("interrupted!"), t.screen)
    t.send("print('back at the prompt')\n")
    XCTAssertTrue(t.expect("back at the prompt"), t.screen)
    // Ctrl-C at the prompt abandons the line and does not end barlua.
    t.send("abandoned")
    t.send("\u{3}")
    t.send("print('still alive')\n")
    XCTAssertTrue(t.expect("still alive"), t.screen)
    XCTAssertEqual(t.quit(), 0)
  }

  /// Ctrl-C at `> ` then a new line: the line runs whole (it ran as `int("x")`, its first
  /// characters lost); Ctrl-C at `>> ` drops the unfinished statement and gives `> `.
  func testCtrlCAtEitherPromptLeavesAFreshEmptyPrompt() throws {
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": ""])
    XCTAssertTrue(t.expect("> "))
    t.send("\u{3}")
    usleep(300_000)
    var seen = t.screen.count
    t.send("print(\"x\" .. 1)\n")
    XCTAssertTrue(t.expect("x1\r\n", after: seen), t.screen)
    XCTAssertFalse(t.screen.contains("attempt to call"), t.screen)
    t.send("for i = 1,\n")
    XCTAssertTrue(t.expect(">> "), t.screen)
    seen = t.screen.count
    t.send("\u{3}")
    XCTAssertTrue(t.expect("\n> ", after: seen), t.screen)
    usleep(200_000)
    seen = t.screen.count
    t.send("print(\"y\" .. 2)\n")
    XCTAssertTrue(t.expect("y2\r\n", after: seen), t.screen)
    XCTAssertFalse(t.screen.dropFirst(seen).contains(">> "), t.screen)
    XCTAssertEqual(t.quit(), 0)
  }

  /// Ctrl-C pressed again and again, at the prompt and while a chunk ends, never ends the REPL.
  func testRepeatedCtrlCNeverEndsTheSession() throws {
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": ""])
    XCTAssertTrue(t.expect("> "))
    for i in 0..<40 {
      if i % 10 == 0 { t.send("=\(i)\n") }
      t.send("\u{3}")
      usleep(UInt32(1_000 * (i % 7)))
    }
    usleep(300_000)
    t.send("print('still' .. ' here')\n")
    XCTAssertTrue(t.expect("still here"), t.screen)
    XCTAssertEqual(t.quit(), 0)
  }

  /// A loop inside a coroutine: the first Ctrl-C interrupts it and the session goes on (the
  /// first was ignored and the second killed the session).
  func testCtrlCInterruptsALoopInsideACoroutine() throws {
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": ""])
    XCTAssertTrue(t.expect("> "))
    // The chunk says when it runs ('lo'..'oping', so the echo of the line does not match).
    t.send("coroutine.wrap(function() print('lo' .. 'oping') while true do end end)()\n")
    XCTAssertTrue(t.expect("looping\r\n"), t.screen)
    usleep(100_000)
    t.send("\u{3}")
    XCTAssertTrue(t.expect("interrupted!"), t.screen)
    t.send("print('session' .. ' alive')\n")
    XCTAssertTrue(t.expect("session alive"), t.screen)
    XCTAssertEqual(t.quit(), 0)
  }

  /// Blocking calls stop at the first Ctrl-C at the REPL too.
  func testCtrlCInterruptsABlockingCall() throws {
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": ""])
    XCTAssertTrue(t.expect("> "))
    t.send("print('sle' .. 'eping') time.sleep(30)\n")
    XCTAssertTrue(t.expect("sleeping\r\n"), t.screen)
    usleep(100_000)
    let start = Date()
    t.send("\u{3}")
    XCTAssertTrue(t.expect("time.sleep: interrupted!", timeout: 5), t.screen)
    XCTAssertLessThan(Date().timeIntervalSince(start), 3)
    XCTAssertEqual(t.quit(), 0)
  }

  /// SIGTERM while a chunk runs: the chunk stops, its cleanup runs, the history is saved
  /// and barlua exits 143; at the prompt it exits 143 too.
  func testSIGTERMEndsTheSessionWithStatus143() throws {
    let dir = Barlua.tempDir()
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": "\(dir)/h"])
    XCTAssertTrue(t.expect("> "))
    t.send(
      "do local c <close> = setmetatable({}, {__close = function() print('clo' .. 'sed') end})"
        + " print('lo' .. 'oping') while true do end end\n")
    XCTAssertTrue(t.expect("looping\r\n"), t.screen)
    t.signalForeground(SIGTERM)
    XCTAssertTrue(t.expect("closed"), t.screen)
    XCTAssertEqual(t.wait(), 143)
    XCTAssertTrue(try String(contentsOfFile: "\(dir)/h", encoding: .utf8).contains("print('lo' .. 'oping')"))
    let u = try PseudoTerminal(env: ["BARLUA_HISTORY": "\(dir)/h"])
    XCTAssertTrue(u.expect("> "))
    u.send("=1 + 1\n")
    XCTAssertTrue(u.expect("=1 + 1\r\n2\r\n"), u.screen)
    usleep(100_000)  // back at the prompt
    u.signalForeground(SIGTERM)
    XCTAssertEqual(u.wait(), 143)
    let history = try String(contentsOfFile: "\(dir)/h", encoding: .utf8)
    XCTAssertTrue(history.hasSuffix("=1 + 1\n"), history)
  }

  /// A history file that cannot be written is reported, naming the file and the reason.
  func testHistorySaveFailureIsReported() throws {
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": "/nonexistent-barlua-dir/history"])
    XCTAssertTrue(t.expect("> "))
    t.send("=1\n")
    XCTAssertEqual(t.quit(), 0)
    // What barlua wrote just before it ended may still be in the terminal: read it.
    XCTAssertTrue(
      t.expect(
        "barlua: cannot save the REPL history to /nonexistent-barlua-dir/history: No such file or directory",
        timeout: 3),
      t.screen)
  }

  /// Values whose metatables lie are printed anyway: a __metatable field, a __len that
  /// returns a string or raises, a key or value whose __tostring raises. The printer itself
  /// never reports an error.
  func testHostileValuesArePrintedAnyway() throws {
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": ""])
    XCTAssertTrue(t.expect("> "))
    let lines: [(input: String, shown: String)] = [
      ("=setmetatable({1, 2}, {__metatable = 42})", "{ 1, 2 }"),
      ("=setmetatable({3, 4}, {__len = function() return 'x' end})", "{ 3, 4 }"),
      ("=setmetatable({5, 6}, {__len = function() error('len') end})", "{ 5, 6 }"),
      ("bad = setmetatable({}, {__tostring = function() error('boom') end})", ""),
      ("={[bad] = 7}", "{ [table: 0x"),
      ("=bad", "table: 0x"),
      ("=setmetatable({}, {__tostring = function() return {} end})", "table: 0x"),
    ]
    for l in lines {
      let seen = t.screen.count
      t.send(l.input + "\n")
      XCTAssertTrue(t.expect("\n> ", after: seen + l.input.count), t.screen)
      if !l.shown.isEmpty { XCTAssertTrue(t.screen.dropFirst(seen).contains(l.shown), "\(l.input): \(t.screen)") }
    }
    XCTAssertFalse(t.screen.contains("barlua:"), t.screen)
    XCTAssertEqual(t.quit(), 0)
  }

  func testHistoryIsSavedAndCanBeDisabled() throws {
    let dir = Barlua.tempDir()
    let file = "\(dir)/hist"
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": file])
    XCTAssertTrue(t.expect("> "))
    t.send("=40 + 2\n")
    XCTAssertTrue(t.expect("42"))
    XCTAssertEqual(t.quit(), 0)
    XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "=40 + 2\n")
    // The default file is ~/.barlua_history; an empty BARLUA_HISTORY writes none.
    let home = Barlua.tempDir()
    let u = try PseudoTerminal(env: ["HOME": home])
    XCTAssertTrue(u.expect("> "))
    u.send("=1\n")
    XCTAssertEqual(u.quit(), 0)
    XCTAssertTrue(FileManager.default.fileExists(atPath: "\(home)/.barlua_history"))
    let home2 = Barlua.tempDir()
    let v = try PseudoTerminal(env: ["HOME": home2, "BARLUA_HISTORY": ""])
    XCTAssertTrue(v.expect("> "))
    v.send("=1\n")
    XCTAssertEqual(v.quit(), 0)
    XCTAssertFalse(FileManager.default.fileExists(atPath: "\(home2)/.barlua_history"))
  }

  func testTabCompletesGlobalsFieldsAndMethods() throws {
    let path = "/dev/shm/barlua-repl-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: path, contents: Data(count: 4096))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": ""])
    XCTAssertTrue(t.expect("> "))
    t.send("b = mmio.map('\(path)')\n")
    t.type("b:write3", "\t", "(0, 7)\n")  // completes to b:write32
    t.type("=b:read3", "\t", "(0)\n")
    XCTAssertTrue(t.expect("\n7\r\n"), t.screen)
    // Completes to b:read64; as in any readline program, a Tab that changed the line is
    // followed by two more to list the candidates (b:read64 itself is one of them).
    t.type("b:read6", "\t", "\t", "\t")
    XCTAssertTrue(t.expect("b:read64hl"), t.screen)
    XCTAssertTrue(t.expect("b:read64lh"), t.screen)
    t.type("\u{15}", "tim", "\t", ".n", "\t", "()\n")  // time.ns()
    XCTAssertTrue(t.expect("(0x"), t.screen)
    XCTAssertEqual(t.quit(), 0)
  }

  /// Register and field names of a barlua.regs binding, completed without reading the device
  /// (the bar's trace shows no access from the Tabs).
  func testTabCompletesRegisterAndFieldNames() throws {
    let path = "/dev/shm/barlua-repl-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: path, contents: Data(count: 4096))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": ""])
    XCTAssertTrue(t.expect("> "))
    t.send(
      "regs = require 'barlua.regs' b = mmio.map('\(path)') r = regs.bind(b, regs.define{name = 'dev', registers = {"
        + "{name = 'liveness', offset = 4, width = 32, access = 'rw'}, {name = 'status', offset = 0x20, width = 32, "
        + "access = 'rw', fields = {computing = {bit = 0, access = 'ro'}, irq_enable = {bit = 7}}}}}) b:trace()\n")
    t.type("r.liv", "\t", " = 9\n")  // r.liveness = 9
    t.type("r.sta", "\t", ".irq", "\t", " = 1\n")  // r.status.irq_enable = 1
    t.type("=b:read32(4), b:read32(0x20)\n")
    XCTAssertTrue(t.expect("9\t128\r\n"), t.screen)
    t.type("r.status.", "\t", "\t")
    XCTAssertTrue(t.expect("r.status.computing"), t.screen)
    XCTAssertTrue(t.expect("r.status.irq_enable"), t.screen)
    t.type("\u{15}", "=#b:trace_stop()\n")
    // The accesses: liveness write, status read + write, the two reads; none from the Tabs.
    XCTAssertTrue(t.expect("\n5\r\n"), t.screen)
    XCTAssertEqual(t.quit(), 0)
  }

  /// barlua.pcie bindings complete like any other: capability names, register names, fields;
  /// over a config space captured in the bed (an e1000e, BarluaCoreTests/Fixtures/config).
  func testTabCompletesPcieBindings() throws {
    var fixture = URL(fileURLWithPath: "\(#filePath)")
    for _ in 0..<2 { fixture.deleteLastPathComponent() }
    let nic = "0000:03:00.0"
    let root = NSTemporaryDirectory() + "barlua-repl-pcie-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: "\(root)/\(nic)", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    try FileManager.default.copyItem(
      atPath: fixture.path + "/BarluaCoreTests/Fixtures/config/qemu-q35-6.1/\(nic).config",
      toPath: "\(root)/\(nic)/config")
    let t = try PseudoTerminal(env: ["BARLUA_HISTORY": "", "BARLUA_SYSFS_PCI": root])
    XCTAssertTrue(t.expect("> "))
    t.send("pcie = require 'barlua.pcie' cfg = pcie.bind(pci.config('\(nic)'))\n")
    t.type("=cfg.expr", "\t", ".link_sta", "\t", ".current_link_s", "\t", "\n")
    // The e1000e's link: 2.5 GT/s (code 1), as lspci -vvv showed in the bed.
    XCTAssertTrue(t.expect("\r\n1\r\n"), t.screen)
    // link_sta is ambiguous (link_status, link_status_2): readline rings the bell and completes
    // the common part.
    let echoed = t.screen.replacingOccurrences(of: "\u{7}", with: "")
    XCTAssertTrue(echoed.contains("=cfg.express.link_status.current_link_speed\r\n"), t.screen)
    t.type("cfg.ae", "\t", ".uncorrectable_error_m", "\t", ".surprise_d", "\t")
    XCTAssertTrue(t.expect("cfg.aer.uncorrectable_error_mask.surprise_down_error"), t.screen)
    t.type("\u{15}")
    XCTAssertEqual(t.quit(), 0)
  }

  func testInteractiveAfterScript() throws {
    let dir = Barlua.tempDir()
    Barlua.write("answer = 42", to: "\(dir)/s.lua")
    let t = try PseudoTerminal(args: ["-i", "\(dir)/s.lua"], env: ["BARLUA_HISTORY": ""])
    XCTAssertTrue(t.expect("Lua 5.4"))
    XCTAssertTrue(t.expect("> "))
    t.send("=answer\n")
    XCTAssertTrue(t.expect("42"), t.screen)
    XCTAssertEqual(t.quit(), 0)
  }

  /// A 40,000-character _PROMPT corrupted readline's heap (`realloc(): invalid next size`,
  /// an abort; lua5.4 dies the same way): barlua hands readline at most 4096 bytes of it.
  func testLongPromptIsCutTo4096Bytes() throws {
    let t = try PseudoTerminal(
      args: ["-i", "-e", "_PROMPT = string.rep('p', 40000) .. 'END'"], env: ["BARLUA_HISTORY": ""])
    XCTAssertTrue(t.expect(String(repeating: "p", count: 80)), t.screen)
    t.send("print('x' .. 'y')\n")
    XCTAssertTrue(t.expect("xy"), t.screen)
    XCTAssertFalse(t.screen.contains("END"), "the prompt was not cut")
    XCTAssertFalse(t.screen.contains("invalid"), t.screen)
    // Readline breaks the long prompt into rows with "\r"; its last row ends in p's.
    XCTAssertEqual(t.quit(prompt: "pppppppp"), 0, String(t.screen.suffix(300)))
  }
}
