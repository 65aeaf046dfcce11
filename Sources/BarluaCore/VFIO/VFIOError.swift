/// Why VFIO cannot open a device, as facts: a program words them for its users (the Lua
/// bindings do); `description` is a plain-English wording with the shell commands that help.
public enum VFIOError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The device is bound to `driver` (nil: to no driver), not vfio-pci. `deviceDir` is its
  /// sysfs directory and `driversProbe` the bus's `drivers_probe` file, for the bind commands.
  case notBoundToVFIOPCI(PCIAddress, driver: String?, deviceDir: String, driversProbe: String)
  /// The kernel says IOMMU group `group` is not viable; `members` is every member of it with
  /// its driver (those that do not allow VFIO are `blockers`).
  case groupNotViable(group: Int, members: [PCIGroupMember])

  /// The members whose drivers make the group not viable (`PCIGroupMember.allowsVFIO`).
  public var blockers: [PCIGroupMember] {
    guard case .groupNotViable(_, let members) = self else { return [] }
    return members.filter { !$0.allowsVFIO }
  }

  public var description: String {
    switch self {
    case .notBoundToVFIOPCI(let addr, let driver, let dir, let probe):
      let unbind = driver.map { _ in "echo \(addr) > \(dir)/driver/unbind; " } ?? ""
      return "\(addr) is " + (driver.map { "bound to \($0)" } ?? "bound to no driver")
        + ", not vfio-pci: bind it with: echo vfio-pci > \(dir)/driver_override; " + unbind
        + "echo \(addr) > \(probe)"
    case .groupNotViable(let group, let members):
      // Members on a driver that does not claim DMA (pcieport, pci-stub, vfio-pci and its
      // variants) never block the group, so they are never named as something to unbind.
      let bound = blockers.map { "\($0.name) is bound to \($0.driver ?? "no driver")" }
      let unbound = members.filter { $0.driver == nil }.map(\.name)
      var text = "IOMMU group \(group) is not viable"
      switch bound.count {
      case 0: text += ": no member is bound to a driver that claims DMA"
      case 1: text += ": " + bound[0] + " (bind it to vfio-pci or unbind it)"
      default: text += ": " + bound.joined(separator: "; ") + " (bind each to vfio-pci or unbind it)"
      }
      if !unbound.isEmpty {
        text += "; also in the group, with no driver: " + unbound.joined(separator: ", ")
      }
      if bound.isEmpty {
        text += " (a device may be in the middle of binding: try again)"
      }
      return text
    }
  }
}
