import Foundation
import XCTest

@testable import BarluaCore

/// /sys/kernel/debug/x86/pat_memtype_list: both formats, and why it cannot be read.
final class PATMemtypeListTests: XCTestCase {
  typealias Entry = MemtypeList.Entry

  func testListOfThisVM618() throws {
    let text = try PATFixtures.text("memtype-list-6.18.txt")
    let entries = try MemtypeList.parse(text)
    XCTAssertEqual(entries.count, text.split(separator: "\n").count - 1, "all but the header")
    XCTAssertEqual(
      Array(entries.prefix(3)),
      [
        Entry(first: 0x9_f000, last: 0xa_0fff, type: "write-back"),
        Entry(first: 0xeec0_0000, last: 0xeecf_ffff, type: "uncached-minus"),
        Entry(first: 0x40_0000_0000, last: 0x40_0000_0fff, type: "uncached-minus"),
      ])
    for entry in entries {
      XCTAssertEqual((entry.last &+ 1) % 0x1000, 0, "exclusive ends become inclusive: \(entry)")
    }
  }

  func testOldFormat() throws {
    let entries = try MemtypeList.parse(try PATFixtures.text("memtype-list-4.x.txt"))
    XCTAssertEqual(
      entries,
      [
        Entry(first: 0x9_f000, last: 0xa_0fff, type: "write-back"),
        Entry(first: 0xeec0_0000, last: 0xeecf_ffff, type: "uncached-minus"),
        Entry(first: 0x387f_fff0_0000, last: 0x387f_fff1_ffff, type: "write-combining"),
        Entry(first: 0xffff_ffff_ffff_f000, last: .max, type: "uncached-minus"),
      ])
  }

  func testUnknownLineIsAnError() {
    XCTAssertThrowsError(try MemtypeList.parse("PAT memtype list:\nsomething new\n")) {
      XCTAssertEqual(
        ($0 as? SystemError)?.description,
        "unexpected contents in /sys/kernel/debug/x86/pat_memtype_list: 'something new' (expected a"
          + " PAT memtype list line)")
    }
  }

  func testReadsAnInjectedFile() throws {
    let list = MemtypeList(path: try PATFixtures.path("memtype-list-6.18.txt"))
    XCTAssertEqual(try list.entries().count, 27)
  }

  func testDebugfsNotMounted() throws {
    let folder = try temporaryFolder()
    let debugfs = folder + "/debug"
    try FileManager.default.createDirectory(atPath: debugfs, withIntermediateDirectories: true)
    let mounts = folder + "/mounts"
    try "sysfs /sys sysfs rw 0 0\nproc /proc proc rw 0 0\n".write(
      toFile: mounts, atomically: true, encoding: .utf8)
    let list = MemtypeList(
      path: debugfs + "/x86/pat_memtype_list", debugfsPath: debugfs, mountsPath: mounts,
      lockdownPath: folder + "/no-lockdown")
    XCTAssertThrowsError(try list.entries()) {
      XCTAssertEqual(
        ($0 as? SystemError)?.description,
        "open \(debugfs)/x86/pat_memtype_list: No such file or directory (errno 2): debugfs is"
          + " not mounted: mount -t debugfs none \(debugfs)")
    }
  }

  func testDebugfsMountedButNoPAT() throws {
    let folder = try temporaryFolder()
    let mounts = folder + "/mounts"
    try "debugfs \(folder) debugfs rw,relatime 0 0\n".write(
      toFile: mounts, atomically: true, encoding: .utf8)
    let list = MemtypeList(
      path: folder + "/x86/pat_memtype_list", debugfsPath: folder, mountsPath: mounts,
      lockdownPath: folder + "/no-lockdown")
    XCTAssertThrowsError(try list.entries()) {
      XCTAssertTrue(
        ($0 as? SystemError)?.cause?.description.hasPrefix(
          "debugfs is mounted but has no x86/pat_memtype_list: not an x86 kernel with PAT")
          ?? false,
        "\($0)")
    }
  }

  func testLockdownIsNamed() throws {
    let folder = try temporaryFolder()
    let lockdown = folder + "/lockdown"
    for (content, mode) in [
      ("none [integrity] confidentiality\n", "integrity"),
      ("none integrity [confidentiality]\n", "confidentiality"),
    ] {
      try content.write(toFile: lockdown, atomically: true, encoding: .utf8)
      let list = MemtypeList(
        path: folder + "/missing", debugfsPath: folder, mountsPath: folder + "/mounts",
        lockdownPath: lockdown)
      XCTAssertEqual(list.lockdownMode(), mode)
      for code in [EPERM, ENOENT] {
        XCTAssertEqual(list.explain(errno: code), .lockdown(mode: mode, file: lockdown))
        XCTAssertTrue(
          SystemCause.lockdown(mode: mode, file: lockdown).description.hasPrefix(
            "kernel lockdown is in \(mode) mode (\(lockdown)), which closes debugfs"))
      }
    }
    try "[none] integrity confidentiality\n".write(
      toFile: lockdown, atomically: true, encoding: .utf8)
    let open = MemtypeList(
      path: folder + "/missing", debugfsPath: folder, mountsPath: folder + "/mounts",
      lockdownPath: lockdown)
    XCTAssertEqual(open.lockdownMode(), "none")
    XCTAssertEqual(open.explain(errno: EACCES), .rootOnly)
    XCTAssertEqual(SystemCause.rootOnly.description, "debugfs files are readable by root only: run as root")
  }

  /// This machine: either the list reads, or the error matches what /proc/mounts says.
  func testThisMachine() throws {
    let list = MemtypeList()
    let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
    let mounted = mounts.split(separator: "\n").contains {
      $0.contains(" /sys/kernel/debug debugfs ")
    }
    do {
      let entries = try list.entries()
      XCTAssertTrue(mounted)
      let lines = try String(contentsOfFile: MemtypeList.defaultPath, encoding: .utf8)
        .split(separator: "\n")
      XCTAssertEqual(entries.count, lines.count - 1)
    } catch let error as SystemError {
      XCTAssertEqual(error.path, MemtypeList.defaultPath)
      if !mounted {
        XCTAssertEqual(error.cause, .debugfsNotMounted(path: "/sys/kernel/debug"))
      }
    }
  }

  private func temporaryFolder() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "barlua-pat-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
  }
}
