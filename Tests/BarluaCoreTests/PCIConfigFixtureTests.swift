import BarluaCore
import Foundation
import XCTest

/// The capability walk, link decoding and serial number on config spaces captured from real
/// systems (Fixtures/config/README.md), held to what `lspci -vvv` printed for the same devices.
final class PCIConfigFixtureTests: XCTestCase {
  static func folder(_ name: String) throws -> String {
    let fixtures = try XCTUnwrap(
      Bundle.module.url(forResource: "Fixtures", withExtension: nil), "Fixtures not in bundle")
    return fixtures.appendingPathComponent("config/\(name)").path
  }

  static func bytes(_ set: String, _ addr: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: "\(try folder(set))/\(addr).config")))
  }

  /// What lspci -vvv printed for one device.
  struct Listed {
    var capabilities: [(offset: Int, version: Int?, text: String)] = []
    var linkCap: String?
    var linkStatus: String?
  }

  /// `lspci -vvv` by `BB:SS.F`.
  static func lspci(_ set: String) throws -> [String: Listed] {
    let text = try String(contentsOfFile: "\(try folder(set))/lspci-vvv.txt", encoding: .utf8)
    var result: [String: Listed] = [:]
    var current: String?
    let capLine = try NSRegularExpression(pattern: #"^\tCapabilities: \[([0-9a-f]+)(?: v(\d+))?\] (.*)$"#)
    for line in text.split(separator: "\n").map(String.init) {
      if let first = line.first, first.isHexDigit, line.count > 7 {
        current = String(line.prefix(7))
        result[current!] = Listed()
        continue
      }
      guard let current else { continue }
      let range = NSRange(line.startIndex..., in: line)
      if let m = capLine.firstMatch(in: line, range: range) {
        let group = { (i: Int) -> String? in
          Range(m.range(at: i), in: line).map { String(line[$0]) }
        }
        result[current]!.capabilities.append(
          (Int(group(1)!, radix: 16)!, group(2).flatMap { Int($0) }, group(3)!))
      } else if line.hasPrefix("\t\tLnkCap:\t") {
        result[current]!.linkCap = String(line.dropFirst("\t\tLnkCap:\t".count))
      } else if line.hasPrefix("\t\tLnkSta:\t") {
        result[current]!.linkStatus = String(line.dropFirst("\t\tLnkSta:\t".count))
      }
    }
    return result
  }

  /// The name lspci's text starts with, as barlua names the capability.
  static func name(ofLspci text: String) -> String? {
    let prefixes: [(String, String)] = [
      ("Power Management", "pm"), ("MSI-X", "msix"), ("MSI:", "msi"), ("Express", "express"),
      ("Vendor Specific Information", "vendor"), ("Subsystem", "ssvid"), ("Slot ID", "slot_id"),
      ("Hot-plug capable", "hotplug"), ("SATA HBA", "sata"), ("Advanced Error Reporting", "aer"),
      ("Access Control Services", "acs"), ("Device Serial Number", "dsn"),
    ]
    return prefixes.first { text.hasPrefix($0.0) }?.1
  }

  /// "Speed 2.5GT/s, Width x1" (LnkSta) or "Port #0, Speed 16GT/s, Width x32, ..." (LnkCap).
  static func speedAndWidth(_ text: String) -> (Double, Int)? {
    guard let s = text.range(of: "Speed "), let g = text.range(of: "GT/s", range: s.upperBound..<text.endIndex),
      let w = text.range(of: "Width x")
    else { return nil }
    let widthDigits = text[w.upperBound...].prefix { $0.isNumber }
    guard let speed = Double(text[s.upperBound..<g.lowerBound]), let width = Int(widthDigits) else { return nil }
    return (speed, width)
  }

  func checkSet(_ set: String) throws {
    let listed = try Self.lspci(set)
    XCTAssertFalse(listed.isEmpty)
    var compared = 0
    for (bdf, want) in listed.sorted(by: { $0.key < $1.key }) {
      let space = PCIConfigSpace(bytes: try Self.bytes(set, "0000:\(bdf)"), path: bdf)
      let got = try space.capabilities()
      XCTAssertEqual(got.map(\.offset), want.capabilities.map(\.offset), "\(set) \(bdf): offsets in list order")
      for (c, w) in zip(got, want.capabilities) {
        XCTAssertEqual(c.name, Self.name(ofLspci: w.text), "\(set) \(bdf) [\(hex(c.offset))] \(w.text)")
        if c.extended { XCTAssertEqual(c.version, w.version, "\(set) \(bdf) [\(hex(c.offset))] version") }
        if c.name == "express" {
          XCTAssertTrue(w.text.hasPrefix("Express (v\(c.version!))"), "\(set) \(bdf): \(w.text)")
        }
        if c.name == "pm" { XCTAssertEqual(w.text, "Power Management version \(c.version!)") }
        if c.name == "dsn" {
          let digits = w.text.dropFirst("Device Serial Number ".count).replacingOccurrences(of: "-", with: "")
          XCTAssertEqual(try space.serialNumber(), digits, "\(set) \(bdf) serial")
        }
        compared += 1
      }
      if !got.contains(where: { $0.name == "dsn" }) { XCTAssertNil(try space.serialNumber()) }
      let link = try space.link()
      if let cap = want.linkCap, let sta = want.linkStatus {
        let l = try XCTUnwrap(link, "\(set) \(bdf) has LnkCap in lspci")
        let (maxSpeed, maxWidth) = try XCTUnwrap(Self.speedAndWidth(cap))
        let (speed, width) = try XCTUnwrap(Self.speedAndWidth(sta))
        XCTAssertEqual(l.maxSpeed, maxSpeed, "\(set) \(bdf) max speed")
        XCTAssertEqual(l.maxWidth, maxWidth, "\(set) \(bdf) max width")
        XCTAssertEqual(l.speed, speed, "\(set) \(bdf) speed")
        XCTAssertEqual(l.width, width, "\(set) \(bdf) width")
        XCTAssertEqual(l.degraded, sta.contains("downgraded"), "\(set) \(bdf) degraded")
        XCTAssertFalse(l.training)
      } else {
        XCTAssertNil(link, "\(set) \(bdf): lspci shows no link")
      }
    }
    XCTAssertGreaterThan(compared, 10)
  }

  func testQemuCapabilitiesLinksAndSerialEqualLspci() throws { try checkSet("qemu-q35-6.1") }

  func testHostCapabilitiesEqualLspci() throws { try checkSet("host-vm") }

  func testE1000eDecodes() throws {
    let space = PCIConfigSpace(bytes: try Self.bytes("qemu-q35-6.1", "0000:03:00.0"))
    XCTAssertEqual(try space.serialNumber(), "525400ffff123456")
    XCTAssertEqual(try space.find(0x01, extended: true), 0x100)
    XCTAssertEqual(try space.find(0x03, extended: true), 0x140)
    XCTAssertEqual(try space.find(0x10, extended: false), 0xE0)
    XCTAssertNil(try space.find(0x0D, extended: true), "no ACS")
    let aer = try XCTUnwrap(try space.aerRegisters())
    XCTAssertEqual(aer.uncorrectableStatus, 0)
    XCTAssertEqual(aer.correctableStatus, 0)
    // Root port: port type and the speeds its Link Capabilities 2 offers.
    let port = PCIConfigSpace(bytes: try Self.bytes("qemu-q35-6.1", "0000:00:04.0"))
    let cap = try XCTUnwrap(try port.expressCapability())
    XCTAssertEqual(try port.portType(at: cap), .rootPort)
    XCTAssertEqual(try space.portType(at: 0xE0).code, 0, "e1000e is an endpoint")
  }

  func testAERCounterFilesParse() throws {
    let text = try String(contentsOfFile: "\(try Self.folder("qemu-q35-6.1"))/aer-files.txt", encoding: .utf8)
    let sections = text.components(separatedBy: "== ").filter { !$0.isEmpty }
    XCTAssertGreaterThan(sections.count, 6)
    for s in sections {
      let lines = s.split(separator: "\n", maxSplits: 1)
      let c = PCIAER.Counters(text: lines.count > 1 ? String(lines[1]) : "", path: String(lines[0]))
      XCTAssertEqual(c.problems, [], String(lines[0]))
      XCTAssertTrue(c.counts.last?.name.hasPrefix("TOTAL_ERR_") ?? false, String(lines[0]))
      if lines[0].hasSuffix("correctable") {
        XCTAssertEqual(
          c.counts.dropLast().map(\.name), PCIAER.correctableNames.sorted { $0.key < $1.key }.map(\.value))
      }
    }
  }
}
