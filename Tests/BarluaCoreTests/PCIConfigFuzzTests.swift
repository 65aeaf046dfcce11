import BarluaCore
import Foundation
import XCTest

/// Hostile config spaces: loops, pointers into the header or past the end, truncated files,
/// all-ones entries and random bytes. Each walk ends, every error names the offset, and what was
/// found before a break is kept.
final class PCIConfigFuzzTests: XCTestCase {
  /// A 4 KiB config space with the capability list bit set and `pointer` at 0x34.
  func space(_ size: Int = 4096, pointer: UInt8 = 0x40, _ edit: (inout [UInt8]) -> Void) -> PCIConfigSpace {
    var b = [UInt8](repeating: 0, count: size)
    b[0] = 0x86
    b[1] = 0x80
    if size > 0x34 {
      b[0x06] = 0x10
      b[0x34] = pointer
    }
    edit(&b)
    return PCIConfigSpace(bytes: b, path: "fuzz")
  }

  func error(_ s: PCIConfigSpace, _ list: PCIConfigError.List) -> PCIConfigError? {
    s.walk(list).error as? PCIConfigError
  }

  func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
    for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
  }

  func testStandardLoopIsAnErrorNamingTheOffsets() {
    let s = space { b in
      b[0x40] = 0x05
      b[0x41] = 0x50
      b[0x50] = 0x11
      b[0x51] = 0x40
    }
    XCTAssertEqual(error(s, .standard), .capabilityLoop(list: .standard, from: 0x51, to: 0x40, path: "fuzz"))
    XCTAssertEqual(s.walk(.standard).capabilities.map(\.offset), [0x40, 0x50], "entries before the loop kept")
    XCTAssertEqual(try s.find(0x11, extended: false), 0x50, "found before the break")
    XCTAssertThrowsError(try s.find(0x10, extended: false)) { e in
      XCTAssertEqual(
        "\(e)", "standard capability list of fuzz loops: the pointer at 0x51 points back to 0x40")
    }
    XCTAssertThrowsError(try s.capabilities())
    let selfLoop = space { b in
      b[0x40] = 0x01
      b[0x41] = 0x40
    }
    XCTAssertEqual(error(selfLoop, .standard), .capabilityLoop(list: .standard, from: 0x41, to: 0x40, path: "fuzz"))
  }

  func testPointersIntoTheHeader() {
    XCTAssertEqual(
      error(space(pointer: 0x10) { _ in }, .standard),
      .pointerIntoHeader(list: .standard, from: 0x34, to: 0x10, path: "fuzz"))
    let s = space { b in
      b[0x40] = 0x05
      b[0x41] = 0x3C
    }
    XCTAssertEqual(error(s, .standard), .pointerIntoHeader(list: .standard, from: 0x41, to: 0x3C, path: "fuzz"))
    let ext = space { b in put32(&b, 0x100, 0x0F0 << 20 | 0x1_0001) }
    XCTAssertEqual(error(ext, .extended), .pointerIntoHeader(list: .extended, from: 0x100, to: 0xF0, path: "fuzz"))
    XCTAssertEqual(ext.walk(.extended).capabilities.map(\.id), [1])
    XCTAssertTrue(
      "\(error(ext, .extended)!)".contains("the pointer at 0x100 points to 0xf0, inside the first 256 bytes"))
  }

  func testLowPointerBitsAreIgnoredAsLspciAndLinuxDo() throws {
    let s = space(pointer: 0x43) { b in
      b[0x40] = 0x10
      b[0x41] = 0x52
      b[0x50] = 0x05
    }
    XCTAssertEqual(try s.capabilities().map(\.offset), [0x40, 0x50])
  }

  func testPointersPastTheEnd() {
    // A 64-byte file (what non-root users get) whose list starts at 0x40.
    let short = space(64) { b in
      b[0x06] = 0x10
      b[0x34] = 0x40
    }
    XCTAssertEqual(
      error(short, .standard),
      .pointerPastEnd(list: .standard, from: 0x34, to: 0x40, size: 64, fullSize: 64, path: "fuzz"))
    // The same through a sysfs-like view: 64 readable bytes of 4096, so the message says root.
    let e = PCIConfigError.pointerPastEnd(list: .standard, from: 0x34, to: 0x40, size: 64, fullSize: 4096, path: "p")
    XCTAssertTrue("\(e)".hasSuffix("the kernel lets only root (CAP_SYS_ADMIN) read past byte 64"), "\(e)")
    // Extended list in a truncated file.
    let truncated = space(0x180) { b in put32(&b, 0x100, 0x200 << 20 | 0x1_0001) }
    XCTAssertEqual(
      error(truncated, .extended),
      .pointerPastEnd(list: .extended, from: 0x100, to: 0x200, size: 0x180, fullSize: 0x180, path: "fuzz"))
    // Past 4 KiB: a longer file is read as 4096 bytes, and the last dword is the last entry.
    let long = space(8192) { b in
      put32(&b, 0x100, 0xFFC << 20 | 0x1_0001)
      put32(&b, 0xFFC, 0x1_0003)
    }
    XCTAssertEqual(long.size, 4096)
    XCTAssertEqual(long.walk(.extended).capabilities.map(\.offset), [0x100, 0xFFC])
    XCTAssertNil(long.walk(.extended).error)
  }

  func testAllOnesEntriesAreBroken() {
    let s = space { b in
      b[0x40] = 0xFF
      b[0x41] = 0xFF
    }
    XCTAssertEqual(error(s, .standard), .brokenEntry(list: .standard, offset: 0x40, header: 0xFFFF, path: "fuzz"))
    let ext = space { b in
      put32(&b, 0x100, 0x140 << 20 | 0x1_0001)
      put32(&b, 0x140, 0xFFFF_FFFF)
    }
    XCTAssertEqual(
      error(ext, .extended), .brokenEntry(list: .extended, offset: 0x140, header: 0xFFFF_FFFF, path: "fuzz"))
    XCTAssertEqual(try ext.find(0x01, extended: true), 0x100)
  }

  func testExtendedLoop() {
    let s = space { b in
      put32(&b, 0x100, 0x140 << 20 | 0x2_0001)
      put32(&b, 0x140, 0x100 << 20 | 0x1_0003)
    }
    XCTAssertEqual(error(s, .extended), .capabilityLoop(list: .extended, from: 0x140, to: 0x100, path: "fuzz"))
    XCTAssertEqual(s.walk(.extended).capabilities.map(\.version), [2, 1])
  }

  func testNoListBitMeansNoCapabilities() throws {
    let s = space { b in b[0x06] = 0 }
    XCTAssertEqual(try s.capabilities(), [])
  }

  /// Every prefix of every captured config space: a walk ends, and fails only with a config
  /// error or not at all.
  func testTruncatedFixtures() throws {
    for set in ["qemu-q35-6.1", "host-vm"] {
      let folder = try PCIConfigFixtureTests.folder(set)
      for file in try FileManager.default.contentsOfDirectory(atPath: folder) where file.hasSuffix(".config") {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(file)")))
        for length in Array(0..<min(bytes.count, 0x120)) + [0x180, 0x1FF, 0x800, bytes.count]
        where length <= bytes.count {
          let s = PCIConfigSpace(bytes: Array(bytes.prefix(length)))
          for list in [PCIConfigError.List.standard, .extended] {
            let w = s.walk(list)
            if let e = w.error { XCTAssertTrue(e is PCIConfigError, "\(file) \(length): \(e)") }
          }
        }
      }
    }
  }

  /// Random bytes and random mutations of real spaces (a fixed seed: the same cases each run).
  func testRandomSpacesEndAndKeepTheirBounds() throws {
    var rng = SplitMix64(seed: 0x5EED_C0DE)
    let real = try PCIConfigFixtureTests.bytes("qemu-q35-6.1", "0000:03:00.0")
    for round in 0..<3000 {
      var b: [UInt8]
      if round % 2 == 0 {
        let size = [64, 128, 256, 300, 4096][Int(rng.next() % 5)]
        b = (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      } else {
        b = real
        for _ in 0..<(1 + rng.next() % 8) {
          // Mutate the capability area: pointers, ids, headers.
          let at = Int(rng.next() % 2 == 0 ? 0x34 + rng.next() % 0xCC : 0x100 + rng.next() % 0x60)
          b[at] = UInt8(truncatingIfNeeded: rng.next())
        }
      }
      let s = PCIConfigSpace(bytes: b)
      let std = s.walk(.standard)
      let ext = s.walk(.extended)
      XCTAssertLessThanOrEqual(std.capabilities.count, 48)
      XCTAssertLessThanOrEqual(ext.capabilities.count, 960)
      XCTAssertEqual(Set(std.capabilities.map(\.offset)).count, std.capabilities.count, "no entry twice")
      for c in std.capabilities { XCTAssertTrue((0x40...0xFE).contains(c.offset)) }
      for c in ext.capabilities { XCTAssertTrue((0x100...0xFFC).contains(c.offset)) }
      for e in [std.error, ext.error].compactMap({ $0 }) { XCTAssertTrue(e is PCIConfigError, "\(e)") }
      // The decoders built on the walk also end without crashing.
      _ = try? s.link()
      _ = try? s.serialNumber()
      _ = try? s.aerRegisters()
    }
  }
}
