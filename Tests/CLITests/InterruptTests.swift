import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// barlua running a script in the background: waits for a line on stdout, sends signals,
/// collects the outcome (as a shell's `kill -INT` / `kill -TERM` would).
final class RunningBarlua {
  let process = Process()
  private let out = Pipe()
  private let err = Pipe()
  private var outText = ""

  init(_ args: [String], env: [String: String] = [:]) throws {
    process.executableURL = URL(fileURLWithPath: Barlua.path)
    process.arguments = args
    process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "BARLUA_HISTORY": ""]
      .merging(env) { $1 }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = out
    process.standardError = err
    try process.run()
  }

  /// Reads stdout until `text` appears (the script reached its blocking call).
  func waitFor(_ text: String, timeout: Double = 10) -> Bool {
    let fd = out.fileHandleForReading.fileDescriptor
    let deadline = Date().addingTimeInterval(timeout)
    var buf = [UInt8](repeating: 0, count: 4096)
    while !outText.contains(text) && Date() < deadline {
      var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      guard poll(&p, 1, 50) > 0 else { continue }
      let n = read(fd, &buf, buf.count)
      if n <= 0 { break }
      outText += String(decoding: buf[0..<n], as: UTF8.self)
    }
    return outText.contains(text)
  }

  func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

  /// Waits for the end (at most `timeout` seconds, then kills); returns status, stdout, stderr
  /// and how long after the call it ended.
  func finish(timeout: Double = 5) -> (status: Int32?, out: String, err: String, seconds: Double) {
    let start = Date()
    while process.isRunning && Date().timeIntervalSince(start) < timeout { usleep(10_000) }
    let seconds = Date().timeIntervalSince(start)
    var status: Int32? = nil
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    } else {
      status = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    return (status, outText + String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self), seconds)
  }
}

/// Every blocking call ends at once on Ctrl-C (SIGINT) with an error naming it, and on
/// SIGTERM with cleanup run and exit status 143. Add each new blocking call to `blocking`.
final class InterruptTests: XCTestCase {
  /// A blocking call: the Lua set-up, the call that blocks for much longer than the test
  /// waits, and the function name its interrupt error starts with.
  struct Blocking {
    var setup = ""
    var call: String
    var name: String
    var env: [String: String] = [:]
  }

  /// A sysfs tree whose root port (0000:00:04.0, captured in the test bed) has Link Training
  /// stuck on, so pci.retrain polls until its timeout.
  static let trainingPort: String = {
    var fixture = URL(fileURLWithPath: "\(#filePath)")
    for _ in 0..<2 { fixture.deleteLastPathComponent() }
    fixture.appendPathComponent("BarluaCoreTests/Fixtures/config/qemu-q35-6.1/0000:00:04.0.config")
    let root = Barlua.tempDir()
    try! FileManager.default.createDirectory(atPath: root + "/0000:00:04.0", withIntermediateDirectories: true)
    var bytes = try! Data(contentsOf: fixture)
    bytes[0x54 + 0x12 + 1] |= 0x08  // Link Status bit 11 (PCI Express capability at 0x54)
    try! bytes.write(to: URL(fileURLWithPath: root + "/0000:00:04.0/config"))
    return root
  }()

  static let mapScratch =
    "local path = os.tmpname() io.open(path, 'wb'):write(('\\0'):rep(4096)):close() "
    + "local b = mmio.map(path) os.remove(path)"

  let blocking: [Blocking] = [
    Blocking(call: "time.sleep(30)", name: "time.sleep"),
    Blocking(setup: mapScratch, call: "b:poll32(0, 1, 1, 30)", name: "bar:poll32"),
    Blocking(setup: mapScratch, call: "b:poll64(0, 1, 1, 30)", name: "bar:poll64"),
    Blocking(
      call: "pci.retrain('0000:00:04.0', {timeout = 30})", name: "pci.retrain",
      env: ["BARLUA_SYSFS_PCI": InterruptTests.trainingPort]),
    // A device that never appears (an address no machine has): sysfs is only read.
    Blocking(call: "pci.wait('ffff:ff:1f.7', {timeout = 30})", name: "pci.wait"),
  ]

  /// A script that marks when it is about to block, with a to-be-closed variable whose
  /// cleanup must run on the way out.
  private func script(_ b: Blocking) -> String {
    let dir = Barlua.tempDir()
    let path = "\(dir)/block.lua"
    Barlua.write(
      """
      \(b.setup)
      local cleanup <close> = setmetatable({}, { __close = function() print("cleanup ran") end })
      print("blocking") io.stdout:flush()
      \(b.call)
      print("not interrupted")
      """, to: path)
    return path
  }

  func testCtrlCEndsEveryBlockingCallAtOnce() throws {
    for b in blocking {
      let p = try RunningBarlua([script(b)], env: b.env)
      XCTAssertTrue(p.waitFor("blocking"), b.call)
      usleep(200_000)  // well inside the call
      p.signal(SIGINT)
      let r = p.finish()
      XCTAssertLessThan(r.seconds, 2, "\(b.call) ignored Ctrl-C")
      XCTAssertEqual(r.status, 1, b.call)
      XCTAssertTrue(r.err.contains("\(b.name): interrupted!"), "\(b.call): \(r.err)")
      XCTAssertTrue(r.out.contains("cleanup ran"), b.call)
      XCTAssertFalse(r.out.contains("not interrupted"), b.call)
    }
  }

  func testSIGTERMEndsEveryBlockingCallWithCleanupAndStatus143() throws {
    for b in blocking {
      let p = try RunningBarlua([script(b)], env: b.env)
      XCTAssertTrue(p.waitFor("blocking"), b.call)
      usleep(200_000)
      p.signal(SIGTERM)
      let r = p.finish()
      XCTAssertLessThan(r.seconds, 2, "\(b.call) ignored SIGTERM")
      XCTAssertEqual(r.status, 143, b.call)
      XCTAssertTrue(r.err.contains("\(b.name): terminated (SIGTERM)"), "\(b.call): \(r.err)")
      XCTAssertTrue(r.out.contains("cleanup ran"), b.call)
    }
  }

  /// SIGTERM in running Lua code (no blocking call): the code stops at its next instruction,
  /// a pcall around it sees the error and its cleanup runs; barlua still exits 143, even
  /// though the script caught the error and ended normally.
  func testSIGTERMStopsALoopLetsPcallCleanUpAndExits143() throws {
    let dir = Barlua.tempDir()
    Barlua.write(
      """
      local ok, e = pcall(function()
        print("looping") io.stdout:flush()
        while true do end
      end)
      print("restored after: " .. tostring(e))
      """, to: "\(dir)/loop.lua")
    let p = try RunningBarlua(["\(dir)/loop.lua"])
    XCTAssertTrue(p.waitFor("looping"))
    p.signal(SIGTERM)
    let r = p.finish()
    XCTAssertEqual(r.status, 143)
    XCTAssertTrue(r.out.contains("restored after: "), r.out)
    XCTAssertTrue(r.out.contains("terminated (SIGTERM)"), r.out)
  }

  /// Ctrl-C during regs.load of a large map ends it: the loader's own pcalls (one unreadable
  /// register becomes an entry of `skipped`) pass the interrupt on. Before, the register being
  /// read when it came was listed as skipped and the load went on to the end.
  func testCtrlCEndsALongRegsLoad() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // 100,000 registers whose offsets are all different expressions: seconds of walking.
    Barlua.write(
      """
      local path = '\(dir)/slow.xml'
      local parts = {'<ipxact:component xmlns:ipxact="http://www.accellera.org/XMLSchema/IPXACT/1685-2014">',
        '<ipxact:name>c</ipxact:name><ipxact:memoryMaps><ipxact:memoryMap><ipxact:name>m</ipxact:name>',
        '<ipxact:addressBlock><ipxact:name>b</ipxact:name><ipxact:baseAddress>0</ipxact:baseAddress>',
        "<ipxact:range>'h100000</ipxact:range><ipxact:width>32</ipxact:width>"}
      for i = 0, 99999 do
        parts[#parts + 1] = string.format('<ipxact:register><ipxact:name>r%d</ipxact:name>'
          .. '<ipxact:addressOffset>%d*2+%d*2</ipxact:addressOffset><ipxact:size>32</ipxact:size></ipxact:register>',
          i, i, i)
      end
      parts[#parts + 1] = '</ipxact:addressBlock></ipxact:memoryMap></ipxact:memoryMaps></ipxact:component>'
      local f = assert(io.open(path, 'w')) f:write(table.concat(parts, '\\n')) f:close()
      print('loading') io.stdout:flush()
      local spec = require('barlua.regs').load(path, {cache = false})
      print('loaded ' .. #spec.registers .. ', skipped ' .. #spec.skipped)
      """, to: "\(dir)/load.lua")
    let p = try RunningBarlua(["\(dir)/load.lua"])
    XCTAssertTrue(p.waitFor("loading"))
    usleep(500_000)
    p.signal(SIGINT)
    let r = p.finish(timeout: 10)
    XCTAssertEqual(r.status, 1, "out: \(r.out) err: \(r.err)")
    XCTAssertTrue(r.err.contains("regs.load: ") && r.err.contains("interrupted!"), r.err)
    XCTAssertFalse(r.out.contains("loaded"), r.out)
  }

  /// The loop runs inside a coroutine (resumed by coroutine.wrap and by coroutine.resume):
  /// the first Ctrl-C stops it; before, the hook reached only the main thread.
  func testCtrlCStopsALoopInsideACoroutine() throws {
    for resume in ["coroutine.wrap(f)()", "print(coroutine.resume(coroutine.create(f)))"] {
      let dir = Barlua.tempDir()
      Barlua.write(
        """
        local function f() print("looping") io.stdout:flush() while true do end end
        \(resume)
        print("main thread went on")
        """, to: "\(dir)/co.lua")
      let p = try RunningBarlua(["\(dir)/co.lua"])
      XCTAssertTrue(p.waitFor("looping"))
      usleep(100_000)
      p.signal(SIGINT)
      let r = p.finish()
      XCTAssertEqual(r.status, 1, resume)
      XCTAssertTrue(r.err.contains("interrupted!"), "\(resume): \(r.err)")
      XCTAssertFalse(r.out.contains("main thread went on"), resume)
    }
  }

  /// Coroutines still behave as Lua's: values in and out, errors with positions, yields
  /// (a guard for the replaced functions: the same output as Lua's own).
  func testReplacedCoroutineFunctionsKeepLuaSemantics() throws {
    let r = try Barlua.run([
      "-e",
      """
      local co = coroutine.create(function(a, b) local c = coroutine.yield(a + b) error("e" .. c) end)
      print(coroutine.resume(co, 1, 2))
      print(coroutine.resume(co, 3))
      print(coroutine.resume(co))
      local g = coroutine.wrap(function(x) coroutine.yield(x * 2) return "end" end)
      print(g(21), g())
      print(pcall(g))
      print(pcall(coroutine.wrap(function() error("inside") end)))
      print(pcall(coroutine.resume, 42))
      """,
    ])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertEqual(
      r.out,
      """
      true\t3
      false\t(command line):1: e3
      false\tcannot resume dead coroutine
      42\tend
      false\tcannot resume dead coroutine
      false\t(command line):8: inside
      false\tbad argument #1 to 'coroutine.resume' (thread expected, got number)

      """)
  }
}
