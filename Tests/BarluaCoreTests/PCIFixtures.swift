import BarluaCore
import Foundation
import XCTest

/// The captured sysfs trees in Fixtures/pci (see scripts/dev/capture-sysfs-fixture.sh).
enum PCIFixtures {
  /// `Fixtures/pci/NAME`, the root of a sysfs-shaped tree.
  static func tree(_ name: String) throws -> String {
    let fixtures = try XCTUnwrap(
      Bundle.module.url(forResource: "Fixtures", withExtension: nil), "Fixtures not in bundle")
    return fixtures.appendingPathComponent("pci/\(name)").path
  }

  /// A reader over the fixture's `bus/pci/devices`.
  static func sysfs(_ name: String) throws -> PCISysfs {
    PCISysfs(root: try tree(name) + "/bus/pci/devices")
  }
}
