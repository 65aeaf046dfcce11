import Foundation

/// An independent reader of pci.ids vendor and device lines, to check libpci's answers
/// against the file itself rather than against remembered strings.
struct PCIIdsFile {
  private var vendors: [UInt16: String] = [:]
  private var devices: [UInt32: String] = [:]

  static let path = "/usr/share/misc/pci.ids"
  static let system = PCIIdsFile(path: path)

  init?(path: String) {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    var vendor: UInt16?
    for line in text.split(separator: "\n") {
      if line.hasPrefix("C ") { break }  // the class list follows the vendors
      if line.hasPrefix("#") { continue }
      if line.hasPrefix("\t\t") { continue }  // subsystems
      if line.hasPrefix("\t") {
        guard let vendor, let id = UInt16(line.dropFirst().prefix(4), radix: 16) else { continue }
        devices[UInt32(vendor) << 16 | UInt32(id)] = String(line.dropFirst(7))
      } else if let id = UInt16(line.prefix(4), radix: 16) {
        vendor = id
        vendors[id] = String(line.dropFirst(6))
      }
    }
  }

  func vendorName(_ vendor: UInt16) -> String? { vendors[vendor] }
  func deviceName(vendor: UInt16, device: UInt16) -> String? {
    devices[UInt32(vendor) << 16 | UInt32(device)]
  }
}
