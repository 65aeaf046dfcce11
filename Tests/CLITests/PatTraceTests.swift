import Foundation
import XCTest

/// scripts/pat_trace.lua and its core scripts/lib/pattrace.lua, off the device: argument
/// errors, and verdicts and JSON built from real kernel logs (Tests/BarluaCoreTests/Fixtures/pat)
/// split into the steps their sources name. The device steps themselves run in the guest
/// (Tests/guest/50-52).
final class PatTraceTests: XCTestCase {
  static var repo: URL { URL(fileURLWithPath: Barlua.repository) }
  static var script: String { repo.appendingPathComponent("scripts/pat_trace.lua").path }
  static var fixtures: String { repo.appendingPathComponent("Tests/BarluaCoreTests/Fixtures/pat").path }

  /// Lua prelude: `trace(method, bar, first, last, file, section, counts)` parses a fixture
  /// with pat.parse (only the text between the `=== step X` marker and the next one for
  /// `section = {step = "X"}`, only lines matching a pattern for `{lines = pattern}`), keeps the events overlapping [first, last] and hands them to the
  /// steps open, mmap, first access, second access, munmap, close in order, `counts[i]` each.
  static var prelude: String {
    """
    local pattrace = require "pattrace"
    local function read(name)
      local f = assert(io.open("\(fixtures)/" .. name))
      local s = f:read("a")
      f:close()
      return s
    end
    function trace(method, bar, first, last, file, section, counts)
      local text = read(file)
      if section and section.step then
        local s = assert(text:find("=== step " .. section.step .. ":", 1, true))
        local e = text:find("=== step", s + 1, true) or #text + 1
        text = text:sub(s, e - 1)
      elseif section and section.lines then
        local kept = {}
        for line in text:gmatch("[^\\n]+") do
          if line:find(section.lines) then kept[#kept + 1] = line end
        end
        text = table.concat(kept, "\\n")
      end
      local evs = {}
      for _, e in ipairs(pat.parse(text)) do
        if e.first and not math.ult(last, e.first) and not math.ult(e.last, first) then
          evs[#evs + 1] = e
        end
      end
      local r = { method = method, bar = bar, first = first, last = last, steps = {} }
      local k = 1
      for i, name in ipairs(pattrace.STEPS) do
        local s = { name = name, events = {} }
        for _ = 1, counts[i] do
          s.events[#s.events + 1] = assert(evs[k], "fewer events than counts")
          k = k + 1
        end
        r.steps[i] = s
      end
      assert(k == #evs + 1, "more events than counts: " .. #evs)
      return r
    end
    -- A capture with a `=== step LABEL STEP:` line before each step (capture/testbed-pattrace.lua):
    -- each step gets the events of its own section that overlap [first, last].
    function stepped(method, bar, first, last, file, label)
      local text = read(file)
      local r = { method = method, bar = bar, first = first, last = last, steps = {} }
      for i, name in ipairs(pattrace.STEPS) do
        local s = assert(text:find("=== step " .. label .. " " .. name .. ":", 1, true), name)
        local e = text:find("=== step", s + 1, true) or #text + 1
        local evs = {}
        for _, ev in ipairs(pat.parse(text:sub(s, e - 1))) do
          if ev.first and not math.ult(last, ev.first) and not math.ult(ev.last, first) then
            evs[#evs + 1] = ev
          end
        end
        r.steps[i] = { name = name, events = evs }
      end
      return r
    end

    """
  }

  func lua(_ code: String) throws -> Barlua.Result {
    try Barlua.run(["-e", Self.prelude + code])
  }

  func verdict(_ call: String, debugpat: String = "true") throws -> String {
    let r = try lua("io.write(pattrace.verdict(\(call), \(debugpat)))")
    XCTAssertEqual(r.status, 0, r.err)
    return r.out
  }

  // vm-6.1.txt is a VFIO BAR0 of edu on 6.1; vm-testbed.md labels its lines mmap (1),
  // touch (2), munmap (1), close (1).
  func testVerdictOfTheVM61VFIOSequence() throws {
    let v = try verdict(
      #"trace("vfio", 0, 0xfea00000, 0xfeafffff, "vm-6.1.txt", nil, {0, 1, 2, 0, 1, 1})"#)
    XCTAssertEqual(
      v,
      "VFIO mapped BAR0 uncached-minus; mmap reserved the whole BAR uncached-minus; the first"
        + " access faulted the whole BAR in (Overlap + second reserve, uncached-minus); munmap"
        + " freed it; close freed it. 2 reserves, 2 frees: nothing left reserved. This is the"
        + " 4.18/6.1 pattern.")
  }

  // The seed's AlmaLinux 4.18 run (the lines at 4121 s), BAR0, a 64-bit BAR: its debugger
  // session found reserve at mmap, Overlap + reserve at access, free at munmap; the program's
  // last free of BAR0 came when it closed the device.
  func testVerdictOfTheSeed418Run() throws {
    let v = try verdict(
      #"trace("vfio", 0, 0x387fffe00000, 0x387fffefffff, "seed-4.18.txt", {lines = "^%[ 4121%."},"#
        + " {0, 1, 2, 0, 1, 1})")
    XCTAssertTrue(v.hasPrefix("VFIO mapped BAR0 uncached-minus; mmap reserved the whole BAR"), v)
    XCTAssertTrue(v.hasSuffix("This is the 4.18/6.1 pattern."), v)
  }

  // 6.12 logs the same reserve and free lines, but only at mmap and at close. Its real lines
  // (edu resource0, step A of the 6.12 capture) in that shape:
  func testVerdictOfA612ShapedVFIOSequence() throws {
    let v = try verdict(
      #"trace("vfio", 0, 0xfea00000, 0xfeafffff, "qemu-6.12-dmesg.txt", {step = "A"},"#
        + " {0, 1, 0, 0, 0, 1})")
    XCTAssertEqual(
      v,
      "VFIO mapped BAR0 uncached-minus; mmap reserved the whole BAR uncached-minus; the first"
        + " access caused no PAT event; munmap caused no PAT event; close freed it. 1 reserve,"
        + " 1 free: nothing left reserved. This is the 6.12 pattern.")
  }

  // 7.2, captured in the test bed (qemu-7.2-dmesg.txt): VFIO reserves the BAR when the device
  // is opened and frees it at close; mmap and the accesses log nothing.
  func testVerdictOfThe72VFIOCapture() throws {
    for (label, bar, first, last) in [
      ("edu-vfio", 0, "0xfea00000", "0xfeafffff"), ("ivshmem-vfio", 2, "0xfd800000", "0xfdbfffff"),
    ] {
      let v = try verdict(#"stepped("vfio", \#(bar), \#(first), \#(last), "qemu-7.2-dmesg.txt", "\#(label)")"#)
      XCTAssertEqual(
        v,
        "VFIO mapped BAR\(bar) uncached-minus; open reserved the whole BAR uncached-minus; mmap caused no PAT"
          + " event; the first access caused no PAT event; munmap caused no PAT event; close freed it."
          + " 1 reserve, 1 free: nothing left reserved. This is the 7.2 pattern.")
    }
    for (label, bar, type) in [("ivshmem-sysfs", 2, "uncached-minus"), ("ivshmem-sysfs-wc", 2, "write-combining")] {
      let method = label.hasSuffix("-wc") ? "sysfs-wc" : "sysfs"
      let v = try verdict(#"stepped("\#(method)", \#(bar), 0xfd800000, 0xfdbfffff, "qemu-7.2-dmesg.txt", "\#(label)")"#)
      XCTAssertTrue(v.hasPrefix("sysfs resource2\(label.hasSuffix("-wc") ? "_wc" : "") mapped BAR2 \(type);"), v)
      XCTAssertTrue(v.hasSuffix("This is the sysfs pattern of 6.1, 6.12 and 7.2."), v)
    }
  }

  // A device on another driver: the hint is vfio.open's own refusal (the rule is not retyped),
  // with every step, the unbind first; a device with no driver needs no unbind. Devices of the
  // captured vm-virtio tree (00:00.0 has no driver, 00:03.0 is on virtio-pci).
  func testVFIOUnavailableHintIncludesTheUnbindStep() throws {
    let root = Self.repo.path + "/Tests/BarluaCoreTests/Fixtures/pci/vm-virtio/bus/pci"
    let r = try Barlua.run(
      [
        "-e",
        Self.prelude + """
          local b = { index = 0 }
          print(pattrace.unavailable(pci.device("0000:00:03.0"), b, "vfio"))
          print(pattrace.unavailable(pci.device("0000:00:00.0"), b, "vfio"))
          """,
      ], env: ["BARLUA_SYSFS_PCI": root + "/devices"])
    XCTAssertEqual(r.status, 0, r.err)
    let dev = root + "/devices"
    XCTAssertEqual(
      r.out,
      "0000:00:03.0 is bound to virtio-pci, not vfio-pci: bind it with: echo vfio-pci >"
        + " \(dev)/0000:00:03.0/driver_override; echo 0000:00:03.0 > \(dev)/0000:00:03.0/driver/unbind;"
        + " echo 0000:00:03.0 > \(root)/drivers_probe\n"
        + "0000:00:00.0 is bound to no driver, not vfio-pci: bind it with: echo vfio-pci >"
        + " \(dev)/0000:00:00.0/driver_override; echo 0000:00:00.0 > \(root)/drivers_probe\n")
  }

  // Whether sysfs-wc can map a BAR is the `wc` fact of pci.device (the BAR has resourceN_wc), in
  // the test bed's captured tree: ivshmem BAR2 has one; its BAR0 and edu's BAR0 have none, and
  // the reason says so. A prefetchable BAR without the file is refused too: the file decides.
  func testSysfsWCFollowsTheWCFact() throws {
    let fixture = Self.repo.path + "/Tests/BarluaCoreTests/Fixtures/pci/qemu-q35-type1"
    let copy = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: copy) }
    try FileManager.default.removeItem(atPath: copy)
    try FileManager.default.copyItem(atPath: fixture, toPath: copy)
    try FileManager.default.removeItem(atPath: copy + "/bus/pci/devices/0000:01:00.0/resource2_wc")
    let r = try Barlua.run(
      [
        "-e",
        Self.prelude + """
          local ivshmem, edu, reset = pci.device("00:02.0"), pci.device("00:01.0"), pci.device("01:00.0")
          print(ivshmem.bars[0].wc, ivshmem.bars[2].wc, edu.bars[0].wc, reset.bars[2].wc)
          print(pattrace.unavailable(ivshmem, ivshmem.bars[2], "sysfs-wc"))
          print(pattrace.unavailable(ivshmem, ivshmem.bars[0], "sysfs-wc"))
          print(pattrace.unavailable(edu, edu.bars[0], "sysfs-wc"))
          print(pattrace.unavailable(reset, reset.bars[2], "sysfs-wc"))
          print(pattrace.unavailable(edu, edu.bars[0], "sysfs"))
          """,
      ], env: ["BARLUA_SYSFS_PCI": copy + "/bus/pci/devices"])
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertEqual(
      r.out,
      """
      false\ttrue\tfalse\tfalse
      nil
      BAR0 is not prefetchable and has no resource0_wc: the kernel offers no write-combining mapping of it
      BAR0 is not prefetchable and has no resource0_wc: the kernel offers no write-combining mapping of it
      BAR2 has no resource2_wc: the kernel offers no write-combining mapping of it
      nil

      """)
  }

  // Events decide, not the kernel: a sequence no known pattern has is named as such, with the
  // closest pattern and the steps that differ.
  func testVerdictOfAnUnknownSequenceNamesTheClosestPattern() throws {
    let v = try verdict(
      #"trace("vfio", 0, 0xfea00000, 0xfeafffff, "qemu-6.12-dmesg.txt", {step = "A"}, {1, 0, 0, 0, 1, 0})"#)
    XCTAssertTrue(
      v.hasSuffix(
        "This is none of the known patterns (the 4.18/6.1 pattern, the 6.12 pattern, the 7.2 pattern);"
          + " the closest, the 7.2 pattern (reserve at open, free at close), differs: munmap gave free"
          + " instead of no event; close gave no event instead of free."), v)
  }

  // Step B of the 6.1 capture: ivshmem resource2_wc mapped, read, unmapped.
  func testVerdictOfSysfsWriteCombiningOn61() throws {
    let v = try verdict(
      #"trace("sysfs-wc", 2, 0xfe000000, 0xfe3fffff, "qemu-6.1-dmesg.txt", {step = "B"},"#
        + " {0, 1, 0, 0, 1, 0})")
    XCTAssertEqual(
      v,
      "sysfs resource2_wc mapped BAR2 write-combining; mmap reserved the whole BAR"
        + " write-combining; the first access caused no PAT event; munmap freed it. 1 reserve,"
        + " 1 free: nothing left reserved. This is the sysfs pattern of 6.1, 6.12 and 7.2.")
  }

  func testVerdictWithoutDebugpatSaysWhyNothingWasLogged() throws {
    let r = try lua(
      """
      local r = { method = "vfio", bar = 0, first = 0xfea00000, last = 0xfeafffff, steps = {} }
      for i, name in ipairs(pattrace.STEPS) do r.steps[i] = { name = name, events = {} } end
      io.write(pattrace.verdict(r, false))
      """)
    XCTAssertEqual(
      r.out,
      "VFIO mapped BAR0, but the kernel logged no PAT reservation for it (debugpat is off, so it"
        + " logs none); mmap caused no PAT event; the first access caused no PAT event; munmap"
        + " caused no PAT event; close caused no PAT event.")
  }

  // The --json facts of the 6.1 VFIO sequence: lists stay lists when empty, addresses are hex.
  func testJSONFactsOfThe61Sequence() throws {
    let r = try lua(
      #"""
      local cjson = require "cjson"
      local t = trace("vfio", 0, 0xfea00000, 0xfeafffff, "vm-6.1.txt", nil, {0, 1, 2, 0, 1, 1})
      t.steps[2].memtype = { { first = 0xfea00000, last = 0xfeafffff, type = "uncached-minus" } }
      io.write(pattrace.json(cjson, { device = "0000:00:01.0", methods = { pattrace.facts(t, true) } }))
      """#)
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(r.out.contains(#""events":[]"#), r.out)
    let facts = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
    let method = try XCTUnwrap((facts["methods"] as? [[String: Any]])?.first)
    XCTAssertEqual(method["method"] as? String, "vfio")
    XCTAssertEqual(method["first"] as? String, "0xfea00000")
    XCTAssertEqual(method["last"] as? String, "0xfeafffff")
    XCTAssertEqual(method["available"] as? Bool, true)
    XCTAssertTrue((method["verdict"] as? String)?.hasSuffix("This is the 4.18/6.1 pattern.") == true)
    let steps = try XCTUnwrap(method["steps"] as? [[String: Any]])
    XCTAssertEqual(
      steps.map { $0["step"] as? String }, ["open", "mmap", "first access", "second access", "munmap", "close"])
    let kinds = steps.map { (($0["events"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String } }
    XCTAssertEqual(kinds, [[], ["reserve"], ["overlap", "reserve"], [], ["free"], ["free"]])
    let reserve = try XCTUnwrap((steps[1]["events"] as? [[String: Any]])?.first)
    XCTAssertEqual(reserve["ret"] as? String, "uncached-minus")
    XCTAssertEqual(reserve["first"] as? String, "0xfea00000")
    XCTAssertEqual((steps[1]["memtype"] as? [[String: Any]])?.first?["type"] as? String, "uncached-minus")
    XCTAssertNil(steps[0]["memtype"], "no memtype list for a step that did not read it")
  }

  func testNoDeviceIsAUsageErrorNamingVFIODevices() throws {
    let r = try Barlua.run([Self.script])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.contains("Usage: pat_trace"), r.err)
    XCTAssertTrue(r.err.contains("Error: --device is required"), r.err)
    XCTAssertTrue(r.err.contains("vfio.devices()"), r.err)
    XCTAssertEqual(r.out, "")
  }

  func testBadBarIsAUsageError() throws {
    // `--bar=-1`: argparse reads a separate `-1` as an option.
    for bad in ["7", "x", "-1"] {
      let r = try Barlua.run([Self.script, "--device", "0000:00:00.0", "--bar=\(bad)"])
      XCTAssertEqual(r.status, 1)
      XCTAssertTrue(r.err.contains("Error: --bar \(bad) is not a BAR number (0..5)"), r.err)
    }
  }

  func testUnknownMethodIsAUsageError() throws {
    let r = try Barlua.run([Self.script, "--device", "0000:00:00.0", "--method", "mmio"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(
      r.err.contains("Error: argument for option '--method' must be one of 'vfio', 'sysfs', 'sysfs-wc'"),
      r.err)
  }

  func testUnknownDeviceSaysSo() throws {
    let r = try Barlua.run([Self.script, "--device", "0000:ff:1f.7"])
    XCTAssertEqual(r.status, 1)
    XCTAssertTrue(r.err.hasPrefix("pat_trace: pci.device: no PCI device 0000:ff:1f.7"), r.err)
  }
}
