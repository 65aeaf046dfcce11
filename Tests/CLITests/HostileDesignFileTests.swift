import Foundation
import TestSupport
import XCTest

/// Issue #22: hostile IP-XACT files (written by Tests/tools/ipxact_hostile.lua, one process per
/// file) end within a CPU-time and a memory limit, in a regs.load error that names the element
/// and FILE:LINE, or load what they really say. Before the fixes these ran "forever" (the
/// replications, the empty register-file arrays, 25,000 "reserved" fields, a 48 MB attribute),
/// needed 858 MB (20,000 nested register files) or loaded registers at wrapped offsets. Issue
/// #25's fuzzer added the cases of work that grew faster than the file (a refused register read
/// again at each of its placements; widening, aliases and definitions searched per register).
final class HostileDesignFileTests: XCTestCase {
  /// CPU seconds and bytes of address space each file may use: the loads take well under a
  /// second; the 48 MB files need ~350 MB (the tool holds the file's text while writing it).
  static let cpuSeconds = 15
  static let addressSpace = 1 << 30

  /// The case's first output line (its verdict), and its standard error.
  func load(_ name: String, in dir: String) throws -> (verdict: String, err: String, status: Int32) {
    let r = try ChildProcess.run(
      "/usr/bin/timeout",
      [
        "-s", "KILL", "300", "/usr/bin/prlimit", "--cpu=\(Self.cpuSeconds)", "--as=\(Self.addressSpace)",
        Barlua.path, "Tests/tools/ipxact_hostile.lua", name, dir,
      ], stdin: "", directory: Barlua.repository)
    return (r.out.split(separator: "\n").first.map(String.init) ?? "", r.err, r.status)
  }

  func testHostileFilesEndInBoundedTimeAndMemory() throws {
    let dir = Barlua.tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let e = "error: regs.load: \(dir)/"
    let cases: [(String, String)] = [
      // #22.3
      (
        "replication_zero_width",
        e + "replication_zero_width.xml:6: <addressOffset> 'r': cannot evaluate '{'h1000000000{{0{1'b1}}}}': "
          + "replication of a zero-width operand in '{'h1000000000{{0{1'b1}}}}'"
      ),
      (
        "replication_wraps",
        e + "replication_wraps.xml:6: <addressOffset> 'r': cannot evaluate '{'h4000000000000000{4'hf}}': "
          + "replication wider than 64 bits in '{'h4000000000000000{4'hf}}'"
      ),
      // #22.4: nothing to load in empty register files; elements looked at are bounded.
      ("empty_register_file_arrays", "loaded 1 registers, the first 'r' at 0x0"),
      (
        "absent_register_arrays",
        e + "absent_register_arrays.xml:8: <registerFile> 'outer[2].inner': the arrays of the memory map have more "
          + "than 1048576 elements (registers and register files, barlua's limit per file)"
      ),
      // #22.5
      (
        "repeated_field_names",
        e + "repeated_field_names.xml:6: <field> 'r.reserved': the 32-bit register has more than 32 fields"
      ),
      ("many_reserved_fields", "loaded 1 registers, the first 'r' at 0x0"),
      // #22.6
      (
        "huge_attribute",
        e + "huge_attribute.xml:6: <register>: attribute 'id' is longer than 1048576 bytes (barlua's limit)"
      ),
      ("huge_vendor_attribute", "loaded 1 registers, the first 'r' at 0x0"),
      // #22.7
      ("deep_register_files", e + "deep_register_files.xml:6: <name>: elements nest deeper than 256 (barlua's limit)"),
      (
        "deeper_register_files",
        e + "deeper_register_files.xml:6: <name>: elements nest deeper than 256 (barlua's limit)"
      ),
      (
        "long_name",
        e + "long_name.xml:6: <register> '\(String(repeating: "n", count: 77))...': the name is longer than 1024 "
          + "characters (barlua's limit)"
      ),
      // #22.8
      (
        "offset_wraps",
        e + "offset_wraps.xml:6: <register> 'r': byte offset 0x0 + (0x4000000000000001 + 0 * 0x1) * 4 passes "
          + "2^63 - 1 (barlua's largest offset)"
      ),
      (
        "scaled_offset_wraps",
        e + "scaled_offset_wraps.xml:6: <addressOffset> 'r': cannot evaluate '16777216T': '16777216T' is beyond "
          + "2^63 - 1"
      ),
      (
        "array_offset_wraps",
        e + "array_offset_wraps.xml:6: <register> 'r': byte offset 0x0 + (0x7ffffffffffffff0 + 7 * 0x4) * 1 passes "
          + "2^63 - 1 (barlua's largest offset)"
      ),
      // #22.9: 1 >>> -1 is 0 (the count is unsigned: every bit shifted out).
      ("shift_by_negative", "loaded 1 registers, the first 'r' at 0x4"),
      // The parameter chain: the innermost cause, named with its place.
      (
        "parameter_chain",
        e + "parameter_chain.xml:6: <addressOffset> 'r': cannot evaluate 'p200': parameter 'p136' "
          + "(\(dir)/parameter_chain.xml:145): parameters refer to parameters more than 64 deep (barlua's limit)"
      ),
      ("short_parameter_chain", "loaded 1 registers, the first 'r' at 0x7c"),
      // The limits that need large files to reach, lowered.
      (
        "file_size_limit",
        e + "file_size_limit.xml: larger than 512 bytes (barlua's limit for an IP-XACT file)"
      ),
      ("element_limit", e + "element_limit.xml:6: <addressOffset>: more than 12 IP-XACT elements (barlua's limit)"),
      ("text_limit", e + "text_limit.xml:6: <description>: the text is longer than 64 bytes (barlua's limit)"),
      // #25's fuzzer: work that grew with placements x kids, or with the square of a register
      // file's registers (before: 9.5, 23, 312, 106 and 72 CPU seconds).
      ("refused_register_in_arrays", "loaded 1 registers, the first 'r' at 0x0"),
      (
        "absent_members_in_arrays",
        e + "absent_members_in_arrays.xml:6: <registerFile> 'a[524]': registers and register files are visited "
          + "more than 1048576 times in the memory map's arrays (barlua's limit per file)"
      ),
      ("widened_neighbours", "loaded 20000 registers, the first 'r0' at 0x0"),
      ("many_aliases", "loaded 20000 registers, the first 'r0' at 0x0"),
      ("many_definitions", "loaded 20000 registers, the first 'r0' at 0x0"),
    ]
    let listed = try ChildProcess.run(
      Barlua.path, ["Tests/tools/ipxact_hostile.lua", "list"], stdin: "", directory: Barlua.repository)
    XCTAssertEqual(
      listed.out.split(separator: "\n").map(String.init).sorted(), cases.map(\.0).sorted(),
      "every case of the tool is checked here")
    for (name, verdict) in cases {
      let r = try load(name, in: dir)
      XCTAssertEqual(r.status, 0, "\(name): killed or failed (status \(r.status)): \(r.err.suffix(400))")
      XCTAssertEqual(r.verdict, verdict, name)
    }
  }
}
