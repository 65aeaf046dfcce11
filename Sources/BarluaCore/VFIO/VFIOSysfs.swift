#if canImport(Glibc)
  import Glibc
#endif

/// The few sysfs facts VFIO needs: a device's driver, IOMMU group, group members and BAR
/// resources. `root` is `/sys` on a real system; tests point it at a tree of their own.
struct VFIOSysfs: Sendable {
  var root: String

  init(root: String = VFIOSysfs.defaultRoot) { self.root = root }

  /// `/sys`, or the tree around `$BARLUA_SYSFS_PCI` when that names a `.../bus/pci/devices`
  /// folder: VFIO then reads the same captured tree as PCI discovery (its `drivers/vfio-pci`
  /// and `kernel/iommu_groups`), so a script sees one consistent system.
  static var defaultRoot: String {
    let pci = PCISysfs.defaultRoot
    let suffix = "/bus/pci/devices"
    guard pci != "/sys" + suffix, pci.hasSuffix(suffix) else { return "/sys" }
    return String(pci.dropLast(suffix.count))
  }

  var devicesDir: String { root + "/bus/pci/devices" }
  var vfioPCIDriverDir: String { root + "/bus/pci/drivers/vfio-pci" }

  func devicePath(_ addr: String) -> String { devicesDir + "/" + addr }

  func deviceExists(_ addr: String) -> Bool {
    access(devicePath(addr), F_OK) == 0
  }

  /// Name of the bound driver (last component of the `driver` link), nil when none is bound.
  func driver(_ addr: String) -> String? {
    VFIOSysfs.linkTarget(devicePath(addr) + "/driver").map(VFIOSysfs.lastComponent)
  }

  /// The IOMMU group number from the `iommu_group` link, nil when the device has none.
  func iommuGroup(_ addr: String) -> Int? {
    guard let target = VFIOSysfs.linkTarget(devicePath(addr) + "/iommu_group") else {
      return nil
    }
    return Int(VFIOSysfs.lastComponent(target))
  }

  func groupDir(_ group: Int) -> String { root + "/kernel/iommu_groups/\(group)" }

  /// PCI addresses of every device in IOMMU group `group`, sorted.
  func groupMembers(_ group: Int) -> [String] {
    VFIOSysfs.listDirectory(groupDir(group) + "/devices").sorted()
  }

  /// True for the fake groups vfio creates in no-IOMMU mode (their `name` is `vfio-noiommu`).
  func groupIsNoIOMMU(_ group: Int) -> Bool {
    VFIOSysfs.readText(groupDir(group) + "/name")?.hasPrefix("vfio-noiommu") ?? false
  }

  /// Devices bound to vfio-pci (the driver directory's entries that are PCI addresses), sorted.
  func vfioPCIDevices() -> [String] {
    VFIOSysfs.listDirectory(vfioPCIDriverDir).filter { PCIAddressText.isFull($0) }.sorted()
  }

  /// One line of the `resource` file: start, end, flags. Index 0–5 are BARs, 6 the ROM.
  struct Resource: Equatable, Sendable {
    var start: UInt64
    var end: UInt64
    var flags: UInt64
    /// IORESOURCE_PREFETCH.
    var prefetchable: Bool { flags & 0x2000 != 0 }
    var size: UInt64 { end >= start && (start != 0 || end != 0) ? end - start + 1 : 0 }
  }

  func resources(_ addr: String) -> [Resource] {
    guard let text = VFIOSysfs.readText(devicePath(addr) + "/resource") else { return [] }
    return VFIOSysfs.parseResources(text)
  }

  static func parseResources(_ text: String) -> [Resource] {
    text.split(separator: "\n").compactMap { line in
      let f = line.split(separator: " ").compactMap { field -> UInt64? in
        let s = field.hasPrefix("0x") ? field.dropFirst(2) : field[...]
        return UInt64(s, radix: 16)
      }
      guard f.count >= 3 else { return nil }
      return Resource(start: f[0], end: f[1], flags: f[2])
    }
  }

  // ---- small file helpers ----

  static func lastComponent(_ path: String) -> String {
    String(path.split(separator: "/").last ?? "")
  }

  static func linkTarget(_ path: String) -> String? {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink(path, &buf, buf.count - 1)
    guard n > 0 else { return nil }
    return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  static func listDirectory(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  static func readText(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = read(fd, &buf, buf.count)
      if n <= 0 { break }
      bytes.append(contentsOf: buf[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  static func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}

/// PCI addresses as text: `"0000:15:00.0"`, and the short form `"15:00.0"` meaning domain 0.
enum PCIAddressText {
  /// The full lower-case form, or nil when `text` is not a PCI address.
  static func normalize(_ text: String) -> String? {
    let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false)
    let domain: Substring
    let bus: Substring
    let rest: Substring
    switch parts.count {
    case 2: (domain, bus, rest) = ("0000", parts[0], parts[1])
    case 3: (domain, bus, rest) = (parts[0], parts[1], parts[2])
    default: return nil
    }
    let df = rest.split(separator: ".", omittingEmptySubsequences: false)
    guard df.count == 2, let d = UInt32(domain, radix: 16), domain.count <= 8,
      let b = UInt8(bus, radix: 16), bus.count <= 2,
      let s = UInt8(df[0], radix: 16), df[0].count <= 2, s < 32,
      let f = UInt8(df[1], radix: 16), df[1].count == 1, f < 8
    else { return nil }
    return pad(UInt64(d), 4) + ":" + pad(UInt64(b), 2) + ":" + pad(UInt64(s), 2) + "." + String(f)
  }

  static func isFull(_ text: String) -> Bool {
    text.split(separator: ":").count == 3 && normalize(text) == text
  }

  static func pad(_ v: UInt64, _ width: Int) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, width - s.count)) + s
  }
}
