// vfio-probe: a developer tool, not part of barlua. It exercises BarluaCore's VFIO core
// against the real kernel in the test-bed guest (scripts/testbed/guest --barlua PATH) and
// prints one PASS/FAIL line per check. Environment:
//   BARLUA_EDU=0000:00:03.0          a QEMU edu device bound to vfio-pci
//   BARLUA_IVSHMEM=0000:00:04.0      an ivshmem-plain device bound to vfio-pci
//   BARLUA_NONVIABLE_EDU=0000:...    a vfio-pci device whose group holds a non-vfio device
// Exit status: 0 when every check passed, 1 otherwise.
import BarluaCore
import CBarluaSys

#if canImport(Glibc)
  import Glibc
#endif

var failures = 0

@MainActor func check(_ name: String, _ ok: Bool, _ detail: String = "") {
  print("\(ok ? "PASS" : "FAIL") \(name)\(detail.isEmpty ? "" : ": " + detail)")
  if !ok { failures += 1 }
}

@MainActor func attempt<T>(_ name: String, _ body: () throws -> T) -> T? {
  do {
    return try body()
  } catch {
    check(name, false, "threw \(error)")
    return nil
  }
}

@MainActor func expectError(_ name: String, contains text: String, _ body: () throws -> Void) {
  do {
    try body()
    check(name, false, "no error")
  } catch {
    check(name, "\(error)".contains(text), "\(error)")
  }
}

enum PCIHex {
  static func byte(_ b: UInt8) -> String { (b < 16 ? "0" : "") + String(b, radix: 16) }
}

func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

func sysfsHex(_ addr: String, _ file: String) -> UInt64? {
  let fd = open("/sys/bus/pci/devices/\(addr)/\(file)", O_RDONLY)
  guard fd >= 0 else { return nil }
  defer { close(fd) }
  var buf = [UInt8](repeating: 0, count: 64)
  let n = read(fd, &buf, 63)
  guard n > 0 else { return nil }
  // The first field ("0x1234\n", or a `resource` line's start address).
  let s = String(
    String(decoding: buf[0..<n], as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
      .first ?? "")
  return UInt64(s.hasPrefix("0x") ? String(s.dropFirst(2)) : s, radix: 16)
}

func sysfsText(_ path: String) -> String {
  let fd = open(path, O_RDONLY)
  guard fd >= 0 else { return "(unreadable)" }
  defer { close(fd) }
  var buf = [UInt8](repeating: 0, count: 4096)
  let n = read(fd, &buf, 4095)
  return n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : ""
}

extension String {
  func trimmingWhitespace() -> String {
    String(
      self.drop(while: { $0 == " " || $0 == "\n" }).reversed().drop(while: {
        $0 == " " || $0 == "\n"
      }).reversed())
  }
}

func read32(_ m: Mapping, _ off: UInt64) -> UInt32 { barlua_rd32(m.window.pointee.base + Int(off)) }
func write32(_ m: Mapping, _ off: UInt64, _ v: UInt32) {
  barlua_wr32(m.window.pointee.base + Int(off), v)
}

@MainActor func describe(_ d: VFIODevice) {
  print(
    "device \(d.addr) group=\(d.group) groupPath=\(d.groupPath) iommu=\(d.iommu.rawValue)"
      + " numRegions=\(d.numRegions) numIrqs=\(d.numIrqs) canReset=\(d.canReset)")
  for r in d.regions() {
    let sparse =
      r.sparse.map {
        " sparse=" + $0.map { "\(hex($0.offset))+\(hex($0.size))" }.joined(separator: ",")
      } ?? ""
    print(
      "  region \(r.index) \(r.name) size=\(hex(r.size)) offset=\(hex(r.offset)) read=\(r.read)"
        + " write=\(r.write) mmap=\(r.mmap) msixMappable=\(r.msixMappable)\(sparse)")
  }
  if let irqs = attempt("irqs \(d.addr)", { try d.irqs() }) {
    for i in irqs {
      print("  irq \(i.index) \(i.name) count=\(i.count) flags=\(hex(UInt64(i.flags)))")
    }
  }
  print(
    "  sysfs resource:\n" + sysfsText("/sys/bus/pci/devices/\(d.addr)/resource"), terminator: "")
}

@MainActor func checkConfig(_ d: VFIODevice) {
  let vendor = attempt("config vendor") { try d.configRead(offset: 0, width: 2) }
  let device = attempt("config device") { try d.configRead(offset: 2, width: 2) }
  let both = attempt("config read32(0)") { try d.configRead(offset: 0, width: 4) }
  let sv = sysfsHex(d.addr, "vendor")
  let sd = sysfsHex(d.addr, "device")
  check(
    "\(d.addr) config vendor/device equal sysfs",
    vendor.map(UInt64.init) == sv && device.map(UInt64.init) == sd,
    "config \(vendor.map { hex(UInt64($0)) } ?? "-"):\(device.map { hex(UInt64($0)) } ?? "-")"
      + " sysfs \(sv.map(hex) ?? "-"):\(sd.map(hex) ?? "-")")
  check(
    "\(d.addr) config read32(0) is device<<16|vendor",
    both.map(UInt64.init) == ((sd ?? 0) << 16 | (sv ?? 0)), both.map { hex(UInt64($0)) } ?? "-")
  // Interrupt line (0x3c) is virtualised and writable: write, read back, restore.
  if let old = attempt("config read8(0x3c)", { try d.configRead(offset: 0x3c, width: 1) }) {
    _ = attempt("config write8(0x3c)") { try d.configWrite(offset: 0x3c, width: 1, value: 0x5a) }
    let back = attempt("config read8(0x3c) again") { try d.configRead(offset: 0x3c, width: 1) }
    check("\(d.addr) config write8/read8 0x3c", back == 0x5a, back.map { hex(UInt64($0)) } ?? "-")
    _ = attempt("config restore 0x3c") { try d.configWrite(offset: 0x3c, width: 1, value: old) }
  }
  expectError("\(d.addr) config misaligned", contains: "is not 4-byte aligned") {
    _ = try d.configRead(offset: 2, width: 4)
  }
  expectError("\(d.addr) config past the end", contains: "exceeds config space size") {
    _ = try d.configRead(offset: 0x1000, width: 4)
  }
  expectError("\(d.addr) config value too wide", contains: "does not fit in 8 bits") {
    try d.configWrite(offset: 0x3c, width: 1, value: 0x1ff)
  }
}

let env = ProcessInfoLite()
struct ProcessInfoLite {
  subscript(_ key: String) -> String? { getenv(key).map { String(cString: $0) } }
}

// Child mode: another process trying a device the parent holds (or an unprivileged user).
if let addr = env["BARLUA_PROBE_CHILD"] {
  do {
    let d = try VFIODevice.open(addr)
    print("child opened \(d.addr)")
    exit(0)
  } catch {
    print("child error: \(error)")
    exit(3)
  }
}

/// Runs this program again (optionally under `prefix`, e.g. setpriv) in child mode.
func runChild(_ addr: String, prefix: String = "") -> String {
  var buf = [UInt8](repeating: 0, count: 4096)
  let n = readlink("/proc/self/exe", &buf, 4095)
  guard n > 0 else { return "(no /proc/self/exe)" }
  let exe = String(decoding: buf[0..<n], as: UTF8.self)
  let out = "/tmp/vfio-probe-child-\(getpid()).txt"
  _ = system("BARLUA_PROBE_CHILD=\(addr) \(prefix) \(exe) > \(out) 2>&1")
  defer { unlink(out) }
  return sysfsText(out).trimmingWhitespace()
}

print("vfio-probe: kernel \(sysfsText("/proc/sys/kernel/osrelease").trimmingWhitespace())")
for l in VFIO.devices() {
  print(
    "listing \(l.addr) group=\(l.group.map(String.init) ?? "-") path=\(l.groupPath ?? "-")"
      + " viable=\(l.viable) blockers=\(l.blockers)")
}

var edu: VFIODevice? = nil
var eduBar0: Mapping? = nil  // kept alive so that close() has a live mapping to unmap
var ivshmem: VFIODevice? = nil

if let addr = env["BARLUA_EDU"] {
  edu = attempt("open edu \(addr)") { try VFIODevice.open(addr) }
}
if let d = edu {
  describe(d)
  eduBar0 = attempt("map edu BAR0") { try d.map(bar: 0) }
  if let bar0 = eduBar0 {
    print(
      "  mapping size=\(hex(bar0.size)) method=\(bar0.info.method.rawValue)"
        + " index=\(bar0.info.index ?? -1) base=\(bar0.info.base.map(hex) ?? "nil")"
        + " prefetchable=\(bar0.info.prefetchable.map(String.init) ?? "nil")")
    let id = read32(bar0, 0)
    check("edu BAR0 read32(0) == 0x010000ed", id == 0x0100_00ed, hex(UInt64(id)))
    write32(bar0, 4, 0x1234_5678)
    let inv = read32(bar0, 4)
    check("edu liveness: write 0x12345678 to 0x04 reads ~x", inv == 0xedcb_a987, hex(UInt64(inv)))
    check("edu mapping base equals sysfs resource", bar0.info.base == sysfsHex(d.addr, "resource"))
    // A sub-range at offset 0x1000 must not see offset 0 (the identification register).
    if let sub = attempt(
      "map edu BAR0 0x0+0x1000 again", { try d.map(bar: 0, offset: 0, size: 0x1000) })
    {
      check("edu second mapping reads the same id", read32(sub, 0) == 0x0100_00ed)
      // Dropped here: must unmap itself, and close() must not unmap it twice.
    }
    checkConfig(d)
    expectError("edu BAR1 empty", contains: "BAR1 is not implemented") { _ = try d.map(bar: 1) }
    expectError("edu region 20 absent", contains: "has no region 20") { _ = try d.map(bar: 20) }
    expectError("edu CONFIG not mmap'able", contains: "CONFIG cannot be mmap'ed") {
      _ = try d.map(bar: 7)
    }
    expectError("edu BAR0 past the end", contains: "exceeds BAR0 size 0x100000") {
      _ = try d.map(bar: 0, offset: 0xff000, size: 0x2000)
    }
    if d.canReset {
      write32(bar0, 4, 0xa5a5_a5a5)
      let r: Bool? = attempt("edu reset") {
        try d.reset()
        return true
      }
      check("edu reset", r == true)
      let after = read32(bar0, 0)
      check("edu BAR0 id after reset", after == 0x0100_00ed, hex(UInt64(after)))
      let cmd = attempt("config command after reset") { try d.configRead(offset: 4, width: 2) }
      print("  command register after reset: \(cmd.map { hex(UInt64($0)) } ?? "-")")
    } else {
      expectError("edu reset refused", contains: "does not support reset") { try d.reset() }
    }
    print("  live mappings before close: \(d.liveMappings.count)")
  }
}

if let addr = env["BARLUA_IVSHMEM"] {
  ivshmem = attempt("open ivshmem \(addr)") { try VFIODevice.open(addr) }
}
if let d = ivshmem {
  describe(d)
  if let bar2 = attempt("map ivshmem BAR2", { try d.map(bar: 2) }) {
    print(
      "  mapping size=\(hex(bar2.size)) base=\(bar2.info.base.map(hex) ?? "nil")"
        + " prefetchable=\(bar2.info.prefetchable.map(String.init) ?? "nil")")
    check("ivshmem BAR2 prefetchable", bar2.info.prefetchable == true)
    let last = bar2.size - 4
    write32(bar2, 0, 0xcafe_f00d)
    write32(bar2, last, 0x5eed_1234)
    write32(bar2, 0x1000, 0x0bad_beef)
    check("ivshmem BAR2 write/read at 0", read32(bar2, 0) == 0xcafe_f00d)
    check("ivshmem BAR2 write/read at end", read32(bar2, last) == 0x5eed_1234)
    if let sub = attempt(
      "map ivshmem BAR2 sub-range", { try d.map(bar: 2, offset: 0x1000, size: 0x1000) })
    {
      let v = read32(sub, 0)
      check("ivshmem BAR2 sub-range offset 0x1000 aliases", v == 0x0bad_beef, hex(UInt64(v)))
      check("ivshmem sub-range base", sub.info.base == bar2.info.base.map { $0 + 0x1000 })
    }
    if let odd = attempt(
      "map ivshmem BAR2 unaligned", { try d.map(bar: 2, offset: 0x1004, size: 8) })
    {
      write32(bar2, 0x1004, 0x1357_9bdf)
      check("ivshmem BAR2 unaligned sub-range", read32(odd, 0) == 0x1357_9bdf)
    }
  }
  checkConfig(d)
}

if let e = edu, let i = ivshmem {
  print(
    "two devices open: \(e.addr) (\(e.groupPath)) and \(i.addr) (\(i.groupPath)), both \(e.iommu.rawValue)"
  )
  check("two devices open at once", e.isOpen && i.isOpen && e.group != i.group)
  let busy = runChild(e.addr)
  check(
    "another process opening the open edu gets EBUSY and the hint",
    busy.contains("Device or resource busy") && busy.contains("already in use by another process"),
    busy)
  let counts = VFIO.openCounts
  check(
    "two groups share one container", counts.groups == 2 && counts.containers == 1,
    "groups=\(counts.groups) containers=\(counts.containers)")
  // Same device twice in one process: the group is reused, not reopened (that gives EBUSY).
  if let again = attempt("open edu a second time", { try VFIODevice.open(e.addr) }) {
    check(
      "second handle of edu reads the id",
      (try? again.map(bar: 0)).map { read32($0, 0) } == 0x0100_00ed)
    let c2 = VFIO.openCounts
    check(
      "second handle reuses the open group", c2.groups == 2 && c2.containers == 1,
      "groups=\(c2.groups) containers=\(c2.containers)")
    again.close()
    check(
      "first handle still works after the second closed",
      (try? e.configRead(offset: 0, width: 2)) == 0x1234)
  }
}

if let addr = env["BARLUA_TESTDEV"], access("/usr/bin/setpriv", X_OK) == 0 {
  let denied = runChild(
    addr, prefix: "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups")
  check(
    "an unprivileged user gets EACCES and the permission hint",
    denied.contains("Permission denied") && denied.contains("run as root or give your user"),
    denied)
}

if let addr = env["BARLUA_TESTDEV"] {
  if let t = attempt("open pci-testdev \(addr)", { try VFIODevice.open(addr) }) {
    describe(t)
    if t.canReset {
      let r: Bool? = attempt("pci-testdev reset") {
        try t.reset()
        return true
      }
      check("pci-testdev reset", r == true)
    } else {
      expectError("pci-testdev reset refused", contains: "does not support reset") {
        try t.reset()
      }
    }
    t.close()
  }
}

if let d = edu {
  let maps = d.liveMappings
  d.close()
  check(
    "close unmaps the device's live mappings", !maps.isEmpty && maps.allSatisfy { !$0.isMapped })
  d.close()
  check("close twice is harmless", !d.isOpen)
  expectError("map after close", contains: "is closed") { _ = try d.map(bar: 0) }
  // Reopen after close: the group and container were released and open again cleanly.
  if let re = attempt("reopen edu after close", { try VFIODevice.open(d.addr) }) {
    check("reopened edu reads the id", (try? re.map(bar: 0)).map { read32($0, 0) } == 0x0100_00ed)
    re.close()
  }
}
ivshmem?.close()
edu = nil
ivshmem = nil
let after = VFIO.openCounts
check(
  "everything released after close", after.groups == 0 && after.containers == 0,
  "groups=\(after.groups) containers=\(after.containers)")

if let addr = env["BARLUA_NONVIABLE_EDU"] {
  if env["BARLUA_GUEST_MODE"] == "noiommu" {
    // No IOMMU, no shared groups: vfio gives every device a group of its own, so the edu
    // behind the bridge opens although a virtio device sits next to it.
    if let d = attempt("edu behind the bridge opens in noiommu mode", { try VFIODevice.open(addr) }) {
      check(
        "edu behind the bridge has its own noiommu group",
        d.groupPath.contains("noiommu-") && d.iommu == .noiommu, d.groupPath)
      d.close()
    }
  } else {
    expectError("non-viable group names the other device", contains: "is not viable") {
      _ = try VFIODevice.open(addr)
    }
  }
}
// Only in the throw-away guest: bind the bridged virtio-rng to vfio-pci as well. Its group
// (bridge, edu, virtio) then becomes viable, two devices share one group, and its MSI-X BAR
// brings a real capability chain (VFIO_REGION_INFO_CAP_MSIX_MAPPABLE) from the kernel.
func writeSysfs(_ path: String, _ text: String) -> Bool {
  let fd = open(path, O_WRONLY)
  guard fd >= 0 else { return false }
  defer { close(fd) }
  return text.withCString { write(fd, $0, strlen($0)) } == text.utf8.count
}
if env["BARLUA_GUEST"] == "1", let virtio = env["BARLUA_NONVIABLE_VIRTIO"],
  let bridged = env["BARLUA_NONVIABLE_EDU"]
{
  let dir = "/sys/bus/pci/devices/\(virtio)"
  _ = writeSysfs("\(dir)/driver/unbind", virtio)
  let bound =
    writeSysfs("\(dir)/driver_override", "vfio-pci")
    && writeSysfs("/sys/bus/pci/drivers_probe", virtio)
  check("bind \(virtio) to vfio-pci", bound)
  let a = attempt("open bridged edu \(bridged)") { try VFIODevice.open(bridged) }
  let b = attempt("open bridged virtio \(virtio)") { try VFIODevice.open(virtio) }
  if let a, let b {
    describe(b)
    let c = VFIO.openCounts
    let sameGroup = env["BARLUA_GUEST_MODE"] != "noiommu"
    check(
      sameGroup ? "two devices of one group share it" : "noiommu: one group each, one container",
      sameGroup
        ? (a.group == b.group && c.groups == 1 && c.containers == 1)
        : (a.group != b.group && c.groups == 2 && c.containers == 1),
      "groups \(a.group),\(b.group) open groups=\(c.groups) containers=\(c.containers)")
    let msix = b.regions().filter { $0.msixMappable }
    check(
      "virtio MSI-X BAR carries VFIO_REGION_INFO_CAP_MSIX_MAPPABLE", msix.count == 1,
      msix.map(\.name).joined(separator: ","))
    if let r = msix.first, let m = attempt("map \(r.name) of virtio", { try b.map(bar: r.index) }) {
      check("virtio \(r.name) with the MSI-X table maps", m.size == r.size, hex(m.size))
    }
    // The kernel's raw answer, kept as a host-test fixture (Fixtures/vfio/).
    if let r = msix.first, let out = env["BARLUA_OUT"],
      let bytes = attempt("raw region info", { try b.regionInfoAnswer(r.index) })
    {
      print("  raw region info \(r.name): " + bytes.map { PCIHex.byte($0) }.joined(separator: " "))
      let fd = open(
        "\(out)/virtio-rng-\(r.name)-region-info.bin", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
      if fd >= 0 {
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
      }
    }
    expectError("virtio I/O BAR0 is not mmap-able", contains: "BAR0 cannot be mmap'ed") {
      _ = try b.map(bar: 0)
    }
    if let bar0 = attempt("map bridged edu BAR0", { try a.map(bar: 0) }) {
      check("bridged edu BAR0 id", read32(bar0, 0) == 0x0100_00ed)
    }
    a.close()
    b.close()
    let after = VFIO.openCounts
    check("bridged group released", after.groups == 0 && after.containers == 0)
  }
  // No test-bed device offers a reset where it sits. Alone behind its bridge the edu can have
  // a secondary-bus reset: remove its virtio neighbour and let the kernel re-probe "bus".
  let release = sysfsText("/proc/sys/kernel/osrelease")
  if env["BARLUA_GUEST_MODE"] != "noiommu" && release.hasPrefix("6.1.") {
    // Found here: after `remove` of a group member, 6.1's intel-iommu BUGs (list_del
    // corruption in device_block_translation) when the group is attached again. Not ours.
    print("SKIP reset by secondary-bus reset: kernel 6.1 with intel-iommu crashes after the")
    print("     removal it needs (list_del corruption); proven on 6.12 and in noiommu mode")
  } else {
    resetBridged(dir: dir, bridged: bridged)
  }
}

@MainActor func resetBridged(dir: String, bridged: String) {
  let removed = writeSysfs("\(dir)/remove", "1")
  let method = writeSysfs("/sys/bus/pci/devices/\(bridged)/reset_method", "bus")
  check("edu alone behind the bridge, reset_method bus", removed && method)
  if let d = attempt("open bridged edu for reset", { try VFIODevice.open(bridged) }) {
    check("bridged edu can_reset", d.canReset)
    if d.canReset, let bar0 = attempt("map bridged edu BAR0", { try d.map(bar: 0) }) {
      write32(bar0, 4, 0x0f0f_0f0f)
      let cmdBefore = attempt("command before reset") { try d.configRead(offset: 4, width: 2) }
      let ok: Bool? = attempt("VFIO_DEVICE_RESET") {
        try d.reset()
        return true
      }
      let cmdAfter = attempt("command after reset") { try d.configRead(offset: 4, width: 2) }
      let id = read32(bar0, 0)
      check(
        "VFIO_DEVICE_RESET succeeds and BAR0 still reads the id", ok == true && id == 0x0100_00ed,
        "id \(hex(UInt64(id))) command \(cmdBefore.map { hex(UInt64($0)) } ?? "-") ->"
          + " \(cmdAfter.map { hex(UInt64($0)) } ?? "-")")
    }
    d.close()
  }
}

// A device bound to another driver (virtio-pci for the 9p share in the test bed).
func firstNonVFIODevice() -> String? {
  guard let dir = opendir("/sys/bus/pci/devices") else { return nil }
  defer { closedir(dir) }
  var names: [String] = []
  while let e = readdir(dir) {
    names.append(
      withUnsafePointer(to: e.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
      })
  }
  for name in names.sorted() where name.contains(":") {
    var buf = [UInt8](repeating: 0, count: 256)
    let n = readlink("/sys/bus/pci/devices/\(name)/driver", &buf, 255)
    if n > 0, !String(decoding: buf[0..<n], as: UTF8.self).hasSuffix("/vfio-pci") { return name }
  }
  return nil
}
if let other = firstNonVFIODevice() {
  expectError("device \(other) not bound to vfio-pci", contains: "not vfio-pci") {
    _ = try VFIODevice.open(other)
  }
}

print("vfio-probe: \(failures == 0 ? "ALL PASS" : "\(failures) FAILED")")
exit(failures == 0 ? 0 : 1)
