import Synchronization

/// The process-wide table of open VFIO groups and containers.
///
/// A group file opens only once per system, so a second device of an open group reuses its
/// `VFIOGroup`; groups of the same kind (IOMMU or no-IOMMU) share a container when the kernel
/// accepts it. Counts decide when a group or container is closed.
final class VFIORegistry: Sendable {
  static let shared = VFIORegistry()

  private struct State: ~Copyable {
    /// Keyed by group file path.
    var groups: [String: VFIOGroup] = [:]
    var containers: [(devVFIO: String, container: VFIOContainer)] = []
  }

  private let state = Mutex(State())

  /// The groups this process holds open: number and group file descriptor (for the hot
  /// reset, which needs every affected group's).
  func heldGroups() -> [(number: Int, fd: Int32)] {
    state.withLock { state in state.groups.values.map { ($0.number, $0.fd.rawValue) } }
  }

  /// The open group `number`, opening and attaching it on first use. Counts one device.
  func acquireGroup(
    number: Int, file: (path: String, noIOMMU: Bool), devVFIO: String,
    members: () throws -> [PCIGroupMember]
  ) throws -> VFIOGroup {
    try state.withLock { state in
      let key = file.path
      if let group = state.groups[key] {
        group.deviceCount += 1
        return group
      }
      let group = try VFIOGroup.open(number: number, file: file, devVFIO: devVFIO, members: members)
      let kind: VFIOIOMMU.Kind = group.isNoIOMMU ? .noiommu : .iommu
      for (dir, container) in state.containers
      where dir == devVFIO && container.iommu?.kind == kind {
        // The kernel refuses groups an existing IOMMU domain cannot take; then try the next.
        if (try? container.attach(group)) != nil {
          group.container = container
          break
        }
      }
      if group.container == nil {
        let container = try VFIOContainer.open(devVFIO: devVFIO)
        try container.attach(group)
        group.container = container
        state.containers.append((devVFIO, container))
      }
      group.deviceCount = 1
      state.groups[key] = group
      return group
    }
  }

  /// One device of `group` closed: closes the group with its last device, and the container
  /// with its last group.
  func releaseGroup(_ group: VFIOGroup) {
    state.withLock { state in
      group.deviceCount -= 1
      guard group.deviceCount <= 0 else { return }
      state.groups = state.groups.filter { $0.value !== group }
      let container = group.container
      group.close()
      group.container = nil
      if let container {
        container.groupCount -= 1
        if container.groupCount <= 0 {
          container.close()
          state.containers.removeAll { $0.container === container }
        }
      }
    }
  }

  /// Counts for tests and diagnostics: open groups and open containers.
  var openCounts: (groups: Int, containers: Int) {
    state.withLock { ($0.groups.count, $0.containers.count) }
  }
}
