import Foundation
import XCTest

/// A sysfs tree that is not the kernel's (a `BARLUA_SYSFS_PCI` copy anyone may have made, a
/// damaged mount): a FIFO or a device node where the kernel keeps a regular file is refused
/// without being opened for a blocking read, and a `driver` link that loops is an error on
/// that device, not "no driver". The tree is the captured `vm-virtio` fixture
/// (Tests/BarluaCoreTests/Fixtures/pci/vm-virtio, from a QEMU guest; see its README).
final class SysfsSpecialFileTests: XCTestCase {
  func tree() throws -> String {
    let d = Barlua.tempDir()
    let fixture = "\(Barlua.repository)/Tests/BarluaCoreTests/Fixtures/pci/vm-virtio/bus"
    try FileManager.default.copyItem(atPath: fixture, toPath: "\(d)/bus")
    return "\(d)/bus/pci/devices"
  }

  /// Runs barlua under a hard limit: the old code blocked in open(2) forever (and the
  /// restarted open swallowed Ctrl-C), so a hang is killed and shows as status 137.
  func list(_ devices: String) throws -> Barlua.Result {
    try Barlua.run(
      [
        "-s", "KILL", "20", Barlua.path, "-e",
        "for _, d in ipairs(pci.devices()) do print(d.addr, d.driver, d.error) end",
      ], env: ["BARLUA_SYSFS_PCI": devices], name: "timeout", executable: "/usr/bin/timeout")
  }

  func testFifoIsRefusedAndTheOthersAreListed() throws {
    let devices = try tree()
    let vendor = "\(devices)/0000:00:04.0/vendor"
    try FileManager.default.removeItem(atPath: vendor)
    XCTAssertEqual(mkfifo(vendor, 0o644), 0)
    let r = try list(devices)
    XCTAssertEqual(r.status, 0, r.err)
    let lines = r.out.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, 6, r.out)
    XCTAssertEqual(lines.filter { $0.hasSuffix("\tnil") }.count, 5, r.out)
    XCTAssertTrue(
      lines.contains(
        "0000:00:04.0\tvirtio-pci\topen \(vendor): not a regular file: it is a FIFO; the kernel keeps a regular"
          + " file there, so this tree is not the kernel's"), r.out)
  }

  /// A character device node (1:5, /dev/zero's numbers, made with mknod) where `config` belongs:
  /// never read (a device node could block or never end).
  func testDeviceNodeIsRefused() throws {
    let devices = try tree()
    let config = "\(devices)/0000:00:03.0/config"
    try FileManager.default.removeItem(atPath: config)
    XCTAssertEqual(mknod(config, S_IFCHR | 0o644, dev_t(1 << 8 | 5)), 0, "mknod needs root")
    let r = try list(devices)
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(r.out.contains("open \(config): not a regular file: it is a character device"), r.out)
  }

  func testLoopingDriverLinkIsReported() throws {
    let devices = try tree()
    let link = "\(devices)/0000:00:03.0/driver"
    try FileManager.default.removeItem(atPath: link)
    XCTAssertEqual(symlink("driver", link), 0)
    let r = try list(devices)
    XCTAssertEqual(r.status, 0, r.err)
    XCTAssertTrue(
      r.out.contains(
        "0000:00:03.0\tnil\tstat \(link): Too many levels of symbolic links (errno 40): the driver link loops"),
      r.out)
    XCTAssertTrue(r.out.contains("0000:00:04.0\tvirtio-pci\tnil"), r.out)
  }
}
