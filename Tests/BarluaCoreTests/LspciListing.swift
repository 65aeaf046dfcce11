import Foundation

/// One line of `lspci -n -D`: `0000:00:03.0 0200: 1af4:1041 (rev 01)`.
struct LspciDevice: Equatable, CustomStringConvertible {
  let addr: String
  let baseAndSubclass: UInt32
  let vendor: UInt16
  let device: UInt16
  let revision: UInt8

  var description: String {
    "\(addr) \(String(baseAndSubclass, radix: 16)): \(String(vendor, radix: 16)):"
      + "\(String(device, radix: 16)) rev \(revision)"
  }

  /// Parses `lspci -n -D` output; a line it cannot read becomes a device that matches nothing.
  static func parse(_ text: String) -> [LspciDevice] {
    text.split(separator: "\n").map { line in
      let f = line.split(separator: " ")
      let ids = f.count > 2 ? f[2].split(separator: ":") : []
      let rev = f.count >= 5 && f[3] == "(rev" ? UInt8(f[4].dropLast(), radix: 16) : 0
      return LspciDevice(
        addr: String(f.first ?? ""),
        baseAndSubclass: f.count > 1 ? UInt32(f[1].dropLast(), radix: 16) ?? 0xdead : 0xdead,
        vendor: ids.count == 2 ? UInt16(ids[0], radix: 16) ?? 0 : 0,
        device: ids.count == 2 ? UInt16(ids[1], radix: 16) ?? 0 : 0, revision: rev ?? 0xff)
    }
  }
}
