import Foundation
import XCTest

/// Command-line and environment bytes reach Lua as they are, as in lua5.4 (Debian's lua.c):
/// `-e` chunks, `arg[i]`, script names, `-l` names, LUA_INIT and BARLUA_PATH that are not
/// UTF-8 were replaced by U+FFFD (so a script named `b\xe4r.lua` could not run). The fixed
/// cases name each place; the fuzzer runs random byte strings through every one of them in
/// barlua and lua5.4 and compares stdout and stderr byte for byte and the exit status.
final class CommandLineBytesTests: XCTestCase {
  static let lua = "/usr/bin/lua5.4"

  func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

  /// What differs between barlua's and lua5.4's run of `argv` with `env` added to a clean
  /// environment, or nil. Allowed, documented differences: lua.c's tracebacks end with
  /// `[C]: in ?`; barlua's "not found" lists its own places (BARLUA_PATH, the script's
  /// folders, its module folder) before package.path's.
  func difference(_ argv: [[UInt8]], env: [[UInt8]] = []) -> String? {
    let base = [bytes("PATH=/usr/bin:/bin"), bytes("HOME=/nonexistent"), bytes("BARLUA_HISTORY=")]
    let b = ByteProcess.run(Barlua.path, argv: argv, env: base + env)
    var l = ByteProcess.run(Self.lua, argv: argv, env: base + env)
    l.err = replace(l.err, bytes("\n\t[C]: in ?"), with: [])
    let luaLines = Set(l.err.split(separator: 10, omittingEmptySubsequences: false).map { Array($0) })
    let bErr = b.err.split(separator: 10, omittingEmptySubsequences: false).map { Array($0) }.filter { line in
      !(line.starts(with: bytes("\tno file '")) && !luaLines.contains(line))
    }.joined(separator: [10]).map { $0 }
    var d: [String] = []
    if b.status != l.status { d.append("exit status \(b.status), lua5.4 \(l.status)") }
    if b.out != l.out { d.append("stdout \(show(b.out)), lua5.4 \(show(l.out))") }
    if bErr != l.err { d.append("stderr \(show(bErr)), lua5.4 \(show(l.err))") }
    return d.isEmpty ? nil : "argv \(argv.map(show)) env \(env.map(show)): " + d.joined(separator: "; ")
  }

  func replace(_ s: [UInt8], _ what: [UInt8], with: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var i = 0
    while i < s.count {
      if i + what.count <= s.count, Array(s[i..<(i + what.count)]) == what {
        out += with
        i += what.count
      } else {
        out.append(s[i])
        i += 1
      }
    }
    return out
  }

  /// Bytes as a Swift-like literal: printable ASCII as is, the rest \xHH.
  func show(_ s: [UInt8]) -> String {
    "\""
      + s.map {
        $0 >= 0x20 && $0 < 0x7f && $0 != 0x22 && $0 != 0x5c ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0)
      }.joined() + "\""
  }

  func write(_ content: String, to path: [UInt8]) {
    let fd = (path + [0]).withUnsafeBufferPointer { p in
      p.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
    }
    XCTAssertGreaterThanOrEqual(fd, 0, show(path))
    _ = content.withCString { Glibc.write(fd, $0, strlen($0)) }
    close(fd)
  }

  func mkdir(_ path: [UInt8]) {
    _ = (path + [0]).withUnsafeBufferPointer { p in
      p.withMemoryRebound(to: CChar.self) { Glibc.mkdir($0.baseAddress!, 0o755) }
    }
  }

  static let printArgs = "for i = -3, #arg do io.write(i, '=', tostring(arg[i]), '|') end io.write('\\n')"

  // MARK: the places, one by one

  func testScriptNameAndArgumentsThatAreNotUTF8() throws {
    let dir = bytes(Barlua.tempDir())
    let script = dir + bytes("/b") + [0xE4] + bytes("r.lua")
    write("io.write('ran ', arg[0], ' ', ..., '\\n')", to: script)
    let r = ByteProcess.run(Barlua.path, argv: [bytes("barlua"), script, [0xFF, 0xFE, 0x41]], env: [])
    XCTAssertEqual(r.status, 0, show(r.err))
    XCTAssertEqual(r.out, bytes("ran ") + script + bytes(" ") + [0xFF, 0xFE, 0x41, 10], show(r.out))
    XCTAssertNil(difference([bytes("lua"), script, [0xFF, 0xFE, 0x41]]))
    // A missing script's name is quoted as given.
    XCTAssertNil(difference([bytes("lua"), dir + bytes("/nope\u{0}").dropLast() + [0xC0, 0xAF]]))
  }

  func testExecuteChunksLuaInitAndArgTable() throws {
    XCTAssertNil(difference([bytes("lua"), bytes("-e"), bytes("io.write('") + [0xE4, 0xFF] + bytes("')")]))
    XCTAssertNil(difference([bytes("lua"), bytes("-e"), [0xFF] + bytes(" = 1")]))  // the lexer's message
    XCTAssertNil(difference([bytes("lua"), bytes("-e"), bytes(Self.printArgs), bytes("--"), [0xE9]]))
    XCTAssertNil(difference([bytes("lua"), bytes("-e"), bytes("error('") + [0x80] + bytes("')")]))
    XCTAssertNil(
      difference([bytes("lua"), bytes("-e"), bytes("")], env: [bytes("LUA_INIT=io.write('") + [0xB5] + bytes("')")]))
    let dir = bytes(Barlua.tempDir())
    let initFile = dir + bytes("/init") + [0xF8] + bytes(".lua")
    write("io.write('init file')", to: initFile)
    XCTAssertNil(difference([bytes("lua"), bytes("-e"), bytes("")], env: [bytes("LUA_INIT=@") + initFile]))
    XCTAssertNil(difference([[0xFF] + bytes("prog"), bytes("-e"), bytes("error('x')")]))  // argv[0], the prefix
  }

  func testLibraryNamesAndBarluaPath() throws {
    let dir = bytes(Barlua.tempDir()) + bytes("/lib") + [0xE4]
    mkdir(dir)
    let name: [UInt8] = bytes("m") + [0xFC, 0xC3]
    write("io.write('loaded ', ..., '\\n') return 7", to: dir + bytes("/") + name + bytes(".lua"))
    let luaPath = bytes("LUA_PATH=") + dir + bytes("/?.lua")
    XCTAssertNil(
      difference([bytes("lua"), bytes("-l"), name, bytes("-e"), bytes("print(_G['m\\xfc\\xc3'])")], env: [luaPath]))
    XCTAssertNil(
      difference(
        [bytes("lua"), bytes("-l") + [0xA7] + bytes("=") + name, bytes("-e"), bytes("print(_G['\\xa7'])")],
        env: [luaPath]))
    XCTAssertNil(difference([bytes("lua"), bytes("-l"), bytes("no") + [0xFF]], env: [luaPath]))
    // BARLUA_PATH names a folder that is not UTF-8: barlua finds the module there, as lua5.4
    // does through LUA_PATH.
    let r = ByteProcess.run(
      Barlua.path, argv: [bytes("barlua"), bytes("-e"), bytes("print(require('m\\xfc\\xc3'))")],
      env: [bytes("BARLUA_PATH=") + dir])
    XCTAssertEqual(
      r.out, bytes("loaded ") + name + bytes("\n7\t") + dir + bytes("/") + name + bytes(".lua\n"),
      show(r.out) + show(r.err))
    XCTAssertNil(
      difference(
        [bytes("lua"), bytes("-e"), bytes("print(require('m\\xfc\\xc3'))")],
        env: [bytes("BARLUA_PATH=") + dir, luaPath]))
  }

  // MARK: the fuzzer

  /// SplitMix64: the same cases on every run for one seed.
  struct Random {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
  }

  /// A random byte string (no NUL): stray high bytes, truncated and overlong UTF-8, valid
  /// UTF-8 and ASCII, minus the bytes in `avoid`.
  func randomBytes(_ r: inout Random, max: Int, avoid: Set<UInt8> = []) -> [UInt8] {
    var s: [UInt8] = []
    let pieces: [[UInt8]] = [
      [0xC3, 0xA4], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98, 0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82],
      [0xF4, 0x90, 0x80, 0x80],
    ]
    for _ in 0..<r.below(max + 1) {
      switch r.below(10) {
      case 0..<4: s.append(UInt8(0x80 + r.below(0x80)))
      case 4..<6: s += pieces[r.below(pieces.count)]
      case 6: s.append(UInt8(1 + r.below(0x1F)))
      default: s.append(UInt8(0x20 + r.below(0x5F)))
      }
    }
    return s.filter { $0 != 0 && !avoid.contains($0) }
  }

  /// Random command lines through every place bytes enter: -e chunks (string literals and
  /// raw bytes, whose syntax errors quote them), script names and arguments, missing
  /// scripts, -l names (found and not), LUA_INIT (a chunk or @file), BARLUA_PATH, argv[0].
  /// Bounded: BARLUA_FUZZ_CASES cases (default 200) or 90 seconds, whichever ends first;
  /// BARLUA_FUZZ_SEED picks another sequence.
  func testRandomBytesAgreeWithLua() throws {
    let env = ProcessInfo.processInfo.environment
    let count = env["BARLUA_FUZZ_CASES"].flatMap { Int($0) } ?? 200
    let seed = env["BARLUA_FUZZ_SEED"].flatMap { UInt64($0) } ?? 22
    var r = Random(state: seed)
    let deadline = Date().addingTimeInterval(90)
    let dir = bytes(Barlua.tempDir())
    let literal: Set<UInt8> = [0x27, 0x5C, 0x0A, 0x0D]  // ' \ LF CR: keep a '...' literal whole
    let name: Set<UInt8> = [0x2F, 0x2E, 0x3F, 0x3B, 0x3D, 0x2D]  // / . ? ; = -: keep a module name plain
    var failures: [String] = []
    var ran = 0
    while ran < count && Date() < deadline {
      ran += 1
      var argv: [[UInt8]] = [r.below(4) == 0 ? randomBytes(&r, max: 6) + bytes("lua") : bytes("lua")]
      var extra: [[UInt8]] = []
      switch r.below(8) {
      case 0:  // a chunk printing arg, then random arguments (the first is the script)
        argv += [bytes("-e"), bytes(Self.printArgs)]
        if r.below(2) == 0 { argv.append(bytes("--")) }
        for _ in 0..<r.below(4) { argv.append(randomBytes(&r, max: 12)) }
      case 1:  // a string literal of random bytes
        argv += [bytes("-e"), bytes("io.write('") + randomBytes(&r, max: 40, avoid: literal) + bytes("', '\\n')")]
      case 2:  // raw random bytes as a chunk (not an option: no leading '-')
        argv += [bytes("-e"), bytes("x=") + randomBytes(&r, max: 20)]
      case 3:  // a script whose name is random bytes, with random arguments
        let script = dir + bytes("/s") + randomBytes(&r, max: 10, avoid: [0x2F]) + bytes(".lua")
        write("io.write(arg[0], '|', select('#', ...), '|', table.concat({...}, '|'), '\\n')", to: script)
        argv.append(script)
        for _ in 0..<r.below(4) { argv.append(randomBytes(&r, max: 12)) }
      case 4:  // a missing script
        argv.append(dir + bytes("/missing") + randomBytes(&r, max: 10, avoid: [0x2F]))
      case 5:  // -l of a module whose name is random bytes, found through LUA_PATH, or not
        let lib = dir + bytes("/l") + randomBytes(&r, max: 6, avoid: name.union([0x2F]))
        mkdir(lib)
        let mod = bytes("m") + randomBytes(&r, max: 8, avoid: name)
        if r.below(3) > 0 {
          write("io.write('loaded ', ..., '\\n') return 1", to: lib + bytes("/") + mod + bytes(".lua"))
        }
        let global = r.below(2) == 0 ? [] : bytes("g") + randomBytes(&r, max: 4, avoid: name) + bytes("=")
        argv += [bytes("-l"), global + mod, bytes("-e"), bytes("io.write('ok\\n')")]
        extra.append(bytes("LUA_PATH=") + lib + bytes("/?.lua"))
      case 6:  // LUA_INIT: a chunk, or @file with a random name
        if r.below(2) == 0 {
          extra.append(bytes("LUA_INIT=io.write('") + randomBytes(&r, max: 30, avoid: literal) + bytes("')"))
        } else {
          let file = dir + bytes("/i") + randomBytes(&r, max: 10, avoid: [0x2F])
          if r.below(3) > 0 { write("io.write('init ran\\n')", to: file) }
          extra.append(bytes("LUA_INIT=@") + file)
        }
        argv += [bytes("-e"), bytes("io.write('main\\n')")]
      default:  // BARLUA_PATH: a folder named by random bytes (lua5.4 finds it by LUA_PATH)
        let lib = dir + bytes("/b") + randomBytes(&r, max: 8, avoid: name.union([0x2F, 0x3A]))
        mkdir(lib)
        write("return 'from ' .. select(2, ...)", to: lib + bytes("/bm.lua"))
        argv += [bytes("-e"), bytes("print(require 'bm')")]
        extra += [bytes("BARLUA_PATH=") + lib, bytes("LUA_PATH=") + lib + bytes("/?.lua")]
      }
      if let d = difference(argv, env: extra) { failures.append(d) }
      if failures.count >= 5 { break }
    }
    XCTAssertTrue(failures.isEmpty, "seed \(seed), \(ran) cases:\n" + failures.joined(separator: "\n"))
    XCTAssertGreaterThanOrEqual(ran, min(count, 50), "too few cases ran in the time limit")
  }
}
