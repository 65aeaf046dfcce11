import Foundation
import TestSupport
import XCTest

/// regs.load's cache (barlua.regs_cache): the same result as parsing, for every fixture; never
/// stale (a file changed with the same size and mtime); and an unwritable, full, foreign,
/// group-writable, corrupt or symlinked cache falls back to parsing.
final class RegsCacheTests: XCTestCase {
  static let fixtures = Barlua.repository + "/Tests/Fixtures/ipxact/"
  var cache = ""

  override func setUp() { cache = Barlua.tempDir() }
  override func tearDown() { try? FileManager.default.removeItem(atPath: cache) }

  /// (how it was served, canonical text) of regs.load(file) with XDG_CACHE_HOME = cache.
  func load(_ file: String, nocache: Bool = false, shell: String = "") throws -> (how: String, spec: String) {
    let script = Barlua.repository + "/Tests/tools/regs_canonical.lua"
    let r = try ChildProcess.run(
      "/bin/bash", ["-c", shell + "exec \"$0\" \"$@\"", Barlua.path, script, file] + (nocache ? ["nocache"] : []),
      environment: ["PATH": "/usr/bin:/bin", "HOME": cache, "XDG_CACHE_HOME": cache + "/xdg"], stdin: "")
    XCTAssertEqual(r.status, 0, r.err)
    let lines = r.out.split(separator: "\n", maxSplits: 1).map(String.init)
    return (lines.first ?? "", lines.count > 1 ? lines[1] : "")
  }

  var entries: [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: cache + "/xdg/barlua/regs")) ?? []
  }

  func testCachedResultEqualsParsedForEveryFixture() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures).filter {
      $0.hasSuffix(".xml") && $0 != "barlua-features-1685-2022.xml"  // two maps: needs {map =}
    }
    XCTAssertGreaterThan(files.count, 4)
    for f in files {
      let parsed = try load(Self.fixtures + f, nocache: true)
      let first = try load(Self.fixtures + f)
      let second = try load(Self.fixtures + f)
      XCTAssertEqual(first.how, "parsed", f)
      XCTAssertEqual(second.how, "cache", f)
      XCTAssertEqual(first.spec, parsed.spec, f)
      XCTAssertEqual(second.spec, parsed.spec, f)
    }
    let attrs = try FileManager.default.attributesOfItem(atPath: cache + "/xdg/barlua/regs/" + entries[0])
    XCTAssertEqual((attrs[.posixPermissions] as? Int) ?? 0, 0o600)
    let dir = try FileManager.default.attributesOfItem(atPath: cache + "/xdg/barlua/regs")
    XCTAssertEqual((dir[.posixPermissions] as? Int) ?? 0, 0o700)
  }

  /// The same size and modification time, one byte different: parsed again, the new value.
  func testAChangedFileIsNeverServedStale() throws {
    let file = cache + "/leon.xml"
    try FileManager.default.copyItem(atPath: Self.fixtures + "leon2-timers-1685-2014.xml", toPath: file)
    let before = try load(file)
    XCTAssertEqual(try load(file).how, "cache")
    let mtime = try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as! Date
    var text = try String(contentsOfFile: file, encoding: .utf8)
    text = text.replacingOccurrences(of: "timerControl", with: "timerKontrol")
    try text.write(toFile: file, atomically: false, encoding: .utf8)
    try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: file)
    let after = try load(file)
    XCTAssertEqual(after.how, "parsed")
    XCTAssertNotEqual(after.spec, before.spec)
    XCTAssertTrue(after.spec.contains("timerKontrol"))
    XCTAssertEqual(after.spec, try load(file, nocache: true).spec)
  }

  /// A component read with an external typeDefinitions document (IP-XACT 2022, found in its
  /// folder by VLNV): the cached result keeps aliases and skipped/warnings as parsed, and is not
  /// used once that document changes (same size and mtime) or the folder's .xml files change.
  func testATypeDefinitionsDocumentIsPartOfTheKey() throws {
    let dir = cache + "/td"
    try FileManager.default.copyItem(atPath: Self.fixtures + "typedefs", toPath: dir)
    let uart = dir + "/uart.xml"
    let types = dir + "/uart_types.xml"
    let parsed = try load(uart, nocache: true)
    XCTAssertTrue(parsed.spec.contains("alias=\"misc.irq.pending\""), parsed.spec)
    XCTAssertEqual(try load(uart).how, "parsed")
    let cached = try load(uart)
    XCTAssertEqual(cached.how, "cache")
    XCTAssertEqual(cached.spec, parsed.spec)
    let mtime = try FileManager.default.attributesOfItem(atPath: types)[.modificationDate] as! Date
    var text = try String(contentsOfFile: types, encoding: .utf8)
    text = text.replacingOccurrences(of: "'hA5", with: "'h5A")
    try text.write(toFile: types, atomically: false, encoding: .utf8)
    try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: types)
    let after = try load(uart)
    XCTAssertEqual(after.how, "parsed")
    XCTAssertTrue(after.spec.contains("reset=0x5a01"), after.spec)
    XCTAssertEqual(after.spec, try load(uart, nocache: true).spec)
    XCTAssertEqual(try load(uart).how, "cache")
    Barlua.write("<x/>", to: dir + "/other.xml")
    XCTAssertEqual(try load(uart).how, "parsed")
    XCTAssertEqual(try load(uart).how, "cache")
  }

  /// A register whose typeDefinitions document is not in the folder is skipped, the rest loads
  /// and is cached; once the document is there, the file is parsed again and it loads.
  func testATypeDefinitionsDocumentAddedLaterIsRead() throws {
    let dir = cache + "/part"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let part = dir + "/part.xml"
    Barlua.write(
      """
      <?xml version="1.0"?>
      <ipxact:component xmlns:ipxact="http://www.accellera.org/XMLSchema/IPXACT/1685-2022">
        <ipxact:vendor>barlua</ipxact:vendor><ipxact:library>tests</ipxact:library>
        <ipxact:name>part</ipxact:name><ipxact:version>1.0</ipxact:version>
        <ipxact:typeDefinitions><ipxact:externalTypeDefinitions><ipxact:name>types</ipxact:name>
          <ipxact:typeDefinitionsRef vendor="barlua" library="tests" name="uart_types" version="1.0"/>
        </ipxact:externalTypeDefinitions></ipxact:typeDefinitions>
        <ipxact:memoryMaps><ipxact:memoryMap><ipxact:name>m</ipxact:name>
          <ipxact:addressBlock><ipxact:name>b</ipxact:name><ipxact:baseAddress>0</ipxact:baseAddress>
            <ipxact:range>16</ipxact:range><ipxact:width>32</ipxact:width>
            <ipxact:register><ipxact:name>plain</ipxact:name><ipxact:addressOffset>0</ipxact:addressOffset>
              <ipxact:size>32</ipxact:size></ipxact:register>
            <ipxact:register><ipxact:name>typed</ipxact:name><ipxact:addressOffset>4</ipxact:addressOffset>
              <ipxact:registerDefinitionRef typeDefinitions="types">ctrl_reg</ipxact:registerDefinitionRef>
            </ipxact:register>
          </ipxact:addressBlock>
        </ipxact:memoryMap></ipxact:memoryMaps>
      </ipxact:component>
      """, to: part)
    let before = try load(part)
    XCTAssertEqual(before.how, "parsed")
    XCTAssertFalse(before.spec.contains("name=\"typed\""), before.spec)
    XCTAssertTrue(before.spec.contains("not found"), before.spec)
    XCTAssertEqual(try load(part).how, "cache")
    try FileManager.default.copyItem(atPath: Self.fixtures + "typedefs/uart_types.xml", toPath: dir + "/uart_types.xml")
    let after = try load(part)
    XCTAssertEqual(after.how, "parsed")
    XCTAssertTrue(after.spec.contains("name=\"typed\""), after.spec)
    XCTAssertEqual(try load(part).how, "cache")
  }

  func testUnusableCachesFallBackToParsing() throws {
    let file = Self.fixtures + "kactus2-wb_slave-1685-2014.xml"
    let parsed = try load(file, nocache: true).spec
    _ = try load(file)
    let entry = cache + "/xdg/barlua/regs/" + entries[0]
    let good = try Data(contentsOf: URL(fileURLWithPath: entry))
    func check(_ name: String, wantHow: String = "parsed", shell: String = "", line: UInt = #line) throws {
      let r = try load(file, shell: shell)
      XCTAssertTrue(r.how.hasPrefix(wantHow), "\(name): \(r.how)", line: line)
      XCTAssertEqual(r.spec, parsed, name, line: line)
    }
    // Corrupt: truncated, a flipped byte in a length, random bytes, Lua source.
    for (name, data) in [
      ("truncated", good.prefix(good.count / 2)), ("flipped", flip(good, at: 25)),
      ("random", Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) })),
      ("code", Data("return os.execute('touch /tmp/barlua-pwned')".utf8)),
    ] {
      try data.write(to: URL(fileURLWithPath: entry))
      try check(name)
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/barlua-pwned"))
    // Someone else's entry, a group-writable one, a symlink: not read.
    try good.write(to: URL(fileURLWithPath: entry))
    try check("rewritten", wantHow: "cache")
    chown(entry, 65534, 65534)
    try check("owned by nobody")
    try FileManager.default.removeItem(atPath: entry)
    try good.write(to: URL(fileURLWithPath: entry))
    chmod(entry, 0o664)
    try check("group-writable")
    try FileManager.default.removeItem(atPath: entry)
    try good.write(to: URL(fileURLWithPath: cache + "/elsewhere"))
    try FileManager.default.createSymbolicLink(atPath: entry, withDestinationPath: cache + "/elsewhere")
    try check("symlink")
    try FileManager.default.removeItem(atPath: entry)
    // A world-writable cache directory: not used (nothing read from or written into it).
    chmod(cache + "/xdg/barlua/regs", 0o777)
    try check("world-writable directory")
    XCTAssertEqual(entries, [])
    chmod(cache + "/xdg/barlua/regs", 0o700)
    // Unwritable: XDG_CACHE_HOME's barlua is a file, not a directory.
    try FileManager.default.removeItem(atPath: cache + "/xdg/barlua")
    _ = FileManager.default.createFile(atPath: cache + "/xdg/barlua", contents: Data())
    try check("not a directory")
    try FileManager.default.removeItem(atPath: cache + "/xdg/barlua")
    // Full: every write fails (EFBIG past the file size limit 0, SIGXFSZ ignored) and nothing is left behind.
    try check("full", shell: "trap '' XFSZ; ulimit -f 0; ")
    XCTAssertEqual(entries, [])
    try check("stored again afterwards")
    try check("then served", wantHow: "cache")
  }

  /// The decoder on mutated entries: every result is a table or nil with a reason; no crash,
  /// no error, whatever the bytes (lengths and counts past the end, deep nesting).
  func testDecoderOnMutatedEntries() throws {
    let r = try Barlua.run([
      "-e",
      """
      local core = require 'barlua.cache_core'
      local spec = require('barlua.ipxact').load('\(Self.fixtures)leon2-timers-1685-2014.xml')
      local good = assert(core.encode({key = 'k', spec = spec}))
      assert(core.decode(good).spec.name == spec.name)
      math.randomseed(25)
      local tables, refused = 0, 0
      for _ = 1, 3000 do
        local b = {good:byte(1, -1)}
        for _ = 1, math.random(1, 8) do b[math.random(#b)] = math.random(0, 255) end
        local s = string.char(table.unpack(b)):sub(1, math.random(#b) + 40)
        local v, why = core.decode(s)
        if v == nil then assert(type(why) == 'string') refused = refused + 1 else tables = tables + 1 end
        local r, rwhy = core.decode(s, 'regs')
        assert(r == nil and type(rwhy) == 'string' or type(r) == 'table')
      end
      local head = 'barlua-regs-cache 2\\nP\\0\\0\\0\\0'
      local deep = head .. string.rep('T\\1\\0\\0\\0\\0\\0\\0\\0', 100)
      assert(core.decode(deep) == nil)
      assert(core.decode(head .. 'T\\255\\255\\255\\127\\0\\0\\0\\0') == nil)
      -- A pool that claims more strings than bytes, a reference past the pool, a pooled
      -- string longer than the pool allows.
      assert(core.decode('barlua-regs-cache 2\\nP\\255\\255\\255\\0\\1a') == nil)
      assert(core.decode('barlua-regs-cache 2\\nP\\1\\0\\0\\0\\1aQ\\1\\0\\0\\0') == nil)
      assert(core.decode('barlua-regs-cache 2\\nP\\1\\0\\0\\0\\1aQ\\0\\0\\0\\0') == 'a')
      assert(core.decode('barlua-regs-cache 2\\nP\\1\\0\\0\\0\\41' .. string.rep('a', 41) .. 'Q\\0\\0\\0\\0') == nil)
      -- The format before the pool (version 1) is not read.
      assert(core.decode('barlua-regs-cache 1\\nS\\1\\0\\0\\0a') == nil)
      print(tables + refused, refused > 2000)
      """,
    ])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertEqual(r.out, "3000\ttrue\n")
  }

  /// Well-formed entries whose spec lacks the shape regs.load promises (what regs.define and
  /// scripts/regs.lua read) are refused by the decoder, each rule on its own; and such an
  /// entry in the cache, under the right key, is parsed again, not served.
  func testEntriesOfTheWrongShapeAreRefused() throws {
    let file = Self.fixtures + "leon2-timers-1685-2014.xml"
    let parsed = try load(file, nocache: true).spec
    _ = try load(file)
    let entry = cache + "/xdg/barlua/regs/" + entries[0]
    let r = try Barlua.run(
      [
        "-e",
        """
        local core = require 'barlua.cache_core'
        local f = assert(io.open(os.getenv('ENTRY'), 'rb'))
        local good = f:read('a')
        f:close()
        assert(core.decode(good, 'regs'), 'the stored entry has the shape')
        local function copy(v)
          if type(v) ~= 'table' then return v end
          local c = {}
          for k, x in pairs(v) do c[k] = copy(x) end
          return c
        end
        local function field(doc) local _, fl = next(doc.spec.registers[1].fields) return fl end
        local cases = {
          {'spec missing', function(d) d.spec = nil end},
          {'spec not a table', function(d) d.spec = 'x' end},
          {'name missing', function(d) d.spec.name = nil end},
          {'name a number', function(d) d.spec.name = 1 end},
          {'registers missing', function(d) d.spec.registers = nil end},
          {'registers empty', function(d) d.spec.registers = {} end},
          {'registers a string', function(d) d.spec.registers = 'x' end},
          {'size a string', function(d) d.spec.size = '4' end},
          {'skipped holds a table', function(d) d.spec.skipped = {{}} end},
          {'warnings holds a number', function(d) d.spec.warnings = {'a', 2} end},
          {'register a string', function(d) d.spec.registers[1] = 'x' end},
          {'register without offset', function(d) d.spec.registers[1].offset = nil end},
          {'offset a string', function(d) d.spec.registers[1].offset = '0' end},
          {'offset a boolean', function(d) d.spec.registers[1].offset = true end},
          {'width missing', function(d) d.spec.registers[2].width = nil end},
          {'access a number', function(d) d.spec.registers[1].access = 3 end},
          {'name missing in a register', function(d) d.spec.registers[1].name = nil end},
          {'reset a string', function(d) d.spec.registers[1].reset = '0' end},
          {'fields a string', function(d) d.spec.registers[1].fields = 'x' end},
          {'a field named by a number', function(d) d.spec.registers[1].fields = {field(d)} end},
          {'a field not a table', function(d) d.spec.registers[1].fields.x = 'x' end},
          {'bit missing', function(d) field(d).bit = nil end},
          {'bit a string', function(d) field(d).bit = '0' end},
          {'field width missing', function(d) field(d).width = nil end},
          {'field access missing', function(d) field(d).access = nil end},
          {'alias a number', function(d) field(d).alias = 1 end},
          {'a register past the array part', function(d) d.spec.registers[#d.spec.registers + 2] = 'x' end},
        }
        local doc = core.decode(good)
        local refused = 0
        for _, c in ipairs(cases) do
          local d = copy(doc)
          c[2](d)
          local bytes = assert(core.encode(d))
          assert(core.decode(bytes), c[1] .. ': still well-formed')
          if core.decode(bytes, 'regs') == nil then refused = refused + 1 else print('accepted: ' .. c[1]) end
        end
        -- Extra keys are allowed (origin, doc, and what a later barlua adds).
        local d = copy(doc)
        d.spec.registers[1].later = {1, 'x'}
        assert(core.decode(assert(core.encode(d)), 'regs'), 'an extra key')
        -- The wrong shape under the right key, in the cache itself.
        d = copy(doc)
        d.spec.registers[1].offset = 'zero'
        f = assert(io.open(os.getenv('ENTRY'), 'wb'))
        f:write(assert(core.encode(d)))
        f:close()
        print(refused .. '/' .. #cases)
        """,
      ], env: ["ENTRY": entry])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertEqual(r.out, "27/27\n")
    let again = try load(file)
    XCTAssertEqual(again.how, "parsed")
    XCTAssertEqual(again.spec, parsed)
  }

  /// A parse (which runs the collector with a longer pause), a cached load and a load past a
  /// damaged entry all leave the collector as the script had it: running or stopped, and its
  /// pause.
  func testTheCollectorIsLeftAsItWas() throws {
    let file = cache + "/leon.xml"
    try FileManager.default.copyItem(atPath: Self.fixtures + "leon2-timers-1685-2014.xml", toPath: file)
    let script = """
      local regs = require 'barlua.regs'
      collectgarbage('setpause', 160)
      local function load(stopped)
        if stopped then collectgarbage('stop') else collectgarbage('restart') end
        local spec = regs.load(os.getenv('FILE'))
        assert(collectgarbage('isrunning') == not stopped, 'collector started or stopped')
        assert(collectgarbage('setpause', 160) == 160, 'pause changed')
        return spec
      end
      local out = {}
      for _, stopped in ipairs({false, true, false, true}) do out[#out + 1] = #load(stopped).registers end
      local dir = os.getenv('XDG_CACHE_HOME') .. '/barlua/regs/'
      local name = io.popen('ls ' .. dir):read('l')
      local f = assert(io.open(dir .. name, 'r+b'))
      f:seek('set', 40)
      f:write('\\255\\255\\255\\255')
      f:close()
      out[#out + 1] = #load(false).registers
      print(table.concat(out, ' '))
      """
    let r = try Barlua.run(["-e", script], env: ["FILE": file, "XDG_CACHE_HOME": cache + "/xdg"])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertEqual(r.out, "7 7 7 7 7\n")
  }

  /// The content hash that keys the cache: a file's (read 1 MiB at a time) is its bytes'
  /// (hashed at once) at every length around the 32-byte block and the read size; every
  /// one-byte change and every length gives another hash.
  func testContentHashOfAFileIsTheHashOfItsBytes() throws {
    let r = try Barlua.run(
      [
        "-e",
        """
        local core = require 'barlua.cache_core'
        local path = os.getenv('DIR') .. '/h'
        local seen, n = {}, 0
        local function distinct(h) assert(not seen[h], 'a hash seen before') seen[h] = true end
        local lengths = {0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100, (1 << 20) - 1, 1 << 20, (1 << 20) + 33,
          (3 << 20) + 5}
        for _, len in ipairs(lengths) do
          local s = string.rep('0123456789abcdefghijklmnopqrstuvwxyz', len // 36 + 1):sub(1, len)
          local f = assert(io.open(path, 'wb'))
          f:write(s)
          f:close()
          local h, size = core.hash_file(path)
          assert(h == core.hash_string(s) and size == len, 'length ' .. len)
          assert(#h == 32 and h:match('^%x+$'))
          distinct(h)
          n = n + 1
        end
        distinct(core.hash_string('\\0'))
        distinct(core.hash_string('\\0\\0'))
        local base = string.rep('x', 100)
        for i = 1, #base do
          distinct(core.hash_string(base:sub(1, i - 1) .. 'y' .. base:sub(i + 1)))
          n = n + 1
        end
        print(n)
        """,
      ], env: ["DIR": cache])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertEqual(r.out, "116\n")
  }

  func flip(_ d: Data, at i: Int) -> Data {
    var c = d
    c[i] ^= 0xff
    return c
  }
}
