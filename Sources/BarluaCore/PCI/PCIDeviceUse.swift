#if canImport(Glibc)
  import Glibc
#endif

/// One piece of evidence that a device is in use: unbinding or removing it would take
/// something away from the running system (api.md: "in use"). Each names what was seen where.
public enum PCIDeviceUse: Equatable, Sendable, CustomStringConvertible {
  /// A network interface of the device is administratively up (`flags` has IFF_UP).
  case interfaceUp(device: PCIAddress, interface: String, operstate: String)
  /// A block device of the device (or a partition, or a holder built on it) is mounted.
  case mounted(device: PCIAddress, block: String, mountPoint: String)
  /// A block device of the device (or a partition) is in use as swap.
  case swap(device: PCIAddress, block: String)
  /// Another block device is built on it (`holders/`: dm, md, ...).
  case held(device: PCIAddress, block: String, holder: String)
  /// The firmware's boot VGA device (`boot_vga` is 1): the console may be on it.
  case bootVGA(device: PCIAddress)
  /// A process holds the device's VFIO group open (QEMU, DPDK, another barlua, this one).
  case vfioOpen(device: PCIAddress, group: String, pid: Int32, command: String, isSelf: Bool)

  public var device: PCIAddress {
    switch self {
    case .interfaceUp(let d, _, _), .mounted(let d, _, _), .swap(let d, _), .held(let d, _, _),
      .bootVGA(let d), .vfioOpen(let d, _, _, _, _):
      d
    }
  }

  /// Whether only closing it in this process lets the change go on: the kernel's unbind of
  /// a VFIO device waits for its users, so this process would wait for itself.
  public var blocksEvenWhenForced: Bool {
    if case .vfioOpen(_, _, _, _, true) = self { return true }
    return false
  }

  public var description: String {
    switch self {
    case .interfaceUp(let d, let name, let state):
      "\(d): network interface \(name) is up (operstate \(state); ip link set \(name) down)"
    case .mounted(let d, let block, let point):
      "\(d): /dev/\(block) is mounted on \(point) (/proc/self/mountinfo)"
    case .swap(let d, let block): "\(d): /dev/\(block) is in use as swap (/proc/swaps)"
    case .held(let d, let block, let holder): "\(d): /dev/\(block) is held by \(holder) (/sys/block/\(block)/holders)"
    case .bootVGA(let d): "\(d): it is the boot VGA device (boot_vga is 1): the console may be on it"
    case .vfioOpen(let d, let group, let pid, let command, let isSelf):
      isSelf
        ? "\(d): this process holds its VFIO group \(group) open: close the device first"
        : "\(d): process \(pid) (\(command)) holds its VFIO group \(group) open"
    }
  }
}

/// Finds the evidence that a device is in use, from sysfs, `/proc/self/mountinfo`,
/// `/proc/swaps` and the open files of `/proc/*/fd`. Paths are parameters so tests can point
/// them at captured files.
public struct PCIDeviceUseProbe: Sendable {
  public var sysfs: PCISysfs
  public var sysBlock: String
  public var sysNet: String
  public var mountInfo: String
  public var swaps: String
  public var proc: String
  public var devVFIO: String

  public init(
    sysfs: PCISysfs = PCISysfs(), sysBlock: String = "/sys/block", sysNet: String = "/sys/class/net",
    mountInfo: String = "/proc/self/mountinfo", swaps: String = "/proc/swaps", proc: String = "/proc",
    devVFIO: String = "/dev/vfio"
  ) {
    self.sysfs = sysfs
    self.sysBlock = sysBlock
    self.sysNet = sysNet
    self.mountInfo = mountInfo
    self.swaps = swaps
    self.proc = proc
    self.devVFIO = devVFIO
  }

  /// The evidence for `addr` and every other member of its IOMMU group.
  public func evidence(_ addr: PCIAddress) throws -> [PCIDeviceUse] {
    var devices = [addr]
    if (try? sysfs.iommuGroup(addr)) != nil {
      for member in (try? sysfs.groupMembers(addr)) ?? [] {
        if let a = member.address, a != addr { devices.append(a) }
      }
    }
    var found: [PCIDeviceUse] = []
    for d in devices { found += try evidenceOfOne(d) }
    found += vfioHolders(addr)
    return found
  }

  /// The evidence for one device, not its group.
  public func evidenceOfOne(_ addr: PCIAddress) throws -> [PCIDeviceUse] {
    let dir = sysfs.path(addr)
    var found: [PCIDeviceUse] = []
    if try SysfsFiles.readTextIfPresent("\(dir)/boot_vga") == "1" { found.append(.bootVGA(device: addr)) }
    for name in below(dir, in: sysNet) {
      let flags = try SysfsFiles.readTextIfPresent("\(sysNet)/\(name)/flags") ?? "0x0"
      guard flags.hasPrefix("0x"), let value = UInt32(flags.dropFirst(2), radix: 16) else {
        throw SystemError(content: "\(sysNet)/\(name)/flags", text: flags, expected: "a hex number")
      }
      if value & 1 != 0 {
        let state = try SysfsFiles.readTextIfPresent("\(sysNet)/\(name)/operstate") ?? "unknown"
        found.append(.interfaceUp(device: addr, interface: name, operstate: state))
      }
    }
    let blocks = below(dir, in: sysBlock)
    if !blocks.isEmpty {
      let mounts = (try? SysfsFiles.readText(mountInfo)) ?? ""
      let swapText = (try? SysfsFiles.readText(swaps)) ?? ""
      for disk in blocks {
        for block in [disk] + partitions(of: disk) {
          let base = partitionDir(disk: disk, block: block)
          for holder in (try? SysfsFiles.list("\(base)/holders")) ?? [] {
            found.append(.held(device: addr, block: block, holder: holder))
          }
          if let dev = try? SysfsFiles.readText("\(base)/dev") {
            for point in Self.mountPoints(of: dev, in: mounts) {
              found.append(.mounted(device: addr, block: block, mountPoint: point))
            }
          }
          if Self.swapNames(swapText).contains("/dev/\(block)") { found.append(.swap(device: addr, block: block)) }
        }
      }
    }
    return found
  }

  /// The entries of `classDir` (`/sys/block`, `/sys/class/net`) whose device path lies below
  /// `dir` (the PCI device's directory): a virtio disk is `.../0000:00:06.0/virtio3/block/vda`.
  func below(_ dir: String, in classDir: String) -> [String] {
    guard let real = Self.realPath(dir) else { return [] }
    return ((try? SysfsFiles.list(classDir)) ?? []).sorted().filter { name in
      guard let target = Self.realPath("\(classDir)/\(name)") else { return false }
      return target.hasPrefix(real + "/")
    }
  }

  func partitions(of disk: String) -> [String] {
    ((try? SysfsFiles.list("\(sysBlock)/\(disk)")) ?? []).sorted().filter { name in
      name.hasPrefix(disk) && ((try? SysfsFiles.exists("\(sysBlock)/\(disk)/\(name)/partition")) ?? false)
    }
  }

  func partitionDir(disk: String, block: String) -> String {
    block == disk ? "\(sysBlock)/\(disk)" : "\(sysBlock)/\(disk)/\(block)"
  }

  /// Mount points of the device `dev` ("MAJ:MIN") in mountinfo text (field 3).
  static func mountPoints(of dev: String, in mountinfo: String) -> [String] {
    mountinfo.split(separator: "\n").compactMap { line in
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count > 4, fields[2] == dev else { return nil }
      return KernelText.unescapeOctal(String(fields[4]))
    }
  }

  /// The file names of /proc/swaps (first column, header skipped).
  static func swapNames(_ text: String) -> Set<String> {
    Set(
      text.split(separator: "\n").dropFirst().compactMap {
        $0.split(separator: " ", omittingEmptySubsequences: true).first.map { KernelText.unescapeOctal(String($0)) }
      })
  }

  /// Processes that hold `addr`'s VFIO group file open.
  func vfioHolders(_ addr: PCIAddress) -> [PCIDeviceUse] {
    guard let group = try? sysfs.iommuGroup(addr) else { return [] }
    let file = sysfs.groupFile(addr, group: group, devVFIO: devVFIO).path
    guard (try? SysfsFiles.exists(file)) == true else { return [] }
    let me = getpid()
    var found: [PCIDeviceUse] = []
    for entry in ((try? SysfsFiles.list(proc)) ?? []).sorted() {
      guard let pid = Int32(entry) else { continue }
      guard let fds = try? SysfsFiles.list("\(proc)/\(entry)/fd") else { continue }
      if fds.contains(where: { (try? SysfsFiles.readLink("\(proc)/\(entry)/fd/\($0)")) == file }) {
        let command = (try? SysfsFiles.readText("\(proc)/\(entry)/comm")) ?? "?"
        found.append(
          .vfioOpen(device: addr, group: file, pid: pid, command: command, isSelf: pid == me))
      }
    }
    return found
  }

  static func realPath(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
  }
}

/// Text the kernel escapes in /proc files: `\040` for a space, `\011`, `\012`, `\134`.
enum KernelText {
  static func unescapeOctal(_ s: String) -> String {
    guard s.contains("\\") else { return s }
    var out: [UInt8] = []
    let b = Array(s.utf8)
    var i = 0
    while i < b.count {
      if b[i] == UInt8(ascii: "\\"), i + 4 <= b.count,
        b[(i + 1)..<(i + 4)].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) }),
        let v = UInt8(String(decoding: b[(i + 1)..<(i + 4)], as: UTF8.self), radix: 8)
      {
        out.append(v)
        i += 4
      } else {
        out.append(b[i])
        i += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
