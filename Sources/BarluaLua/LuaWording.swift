import BarluaCore

#if canImport(Glibc)
  import Glibc
#endif

/// Core errors worded for Lua users: the core states facts and causes without Lua; where the
/// remedy is a Lua call, it is named here.
enum LuaWording {
  /// The message for `error`, raised after the function's name.
  static func describe(_ error: Error) -> String {
    switch error {
    case let e as SystemError: describe(e)
    case let e as MappingError: describe(e)
    case let e as VFIOWriteCombiningUnavailable: describe(e)
    case let e as PCILifecycleError: describe(e)
    default: "\(error)"
    }
  }

  static func describe(_ e: SystemError) -> String {
    switch e.cause {
    case .lockdown(let mode, let file)?:
      "\(e.fact): \(SystemCause.lockdownText(mode: mode, file: file)); the kernel log"
        + " (pat.events with debugpat) still works"
    case .mapCountLimit(let count, let limit)?:
      "\(e.fact): \(SystemCause.mapCountText(count: count, limit: limit)): unmap bars you no longer"
        + " use (bar:unmap(), or local b <close> = ...), or raise the limit as root with"
        + " sysctl -w vm.max_map_count=\(limit * 2)"
    case nil where e.call == "mmap" && e.errno == ENOMEM:
      "\(e.fact): the kernel could not find memory or address space for the mapping: map less"
        + " (a {size=}) or unmap bars you no longer use"
    case .noKernelLogDevice?:
      "\(e.fact): \(SystemCause.noKernelLogDeviceText) or read saved text with pat.parse)"
    case .writeRefused(let path, let attribute)?:
      "\(e.fact): \(SystemCause.writeRefusedText(path: path, attribute: attribute))"
        + " (to only read it: {write=false})"
    default: "\(e)"
    }
  }

  static func describe(_ e: MappingError) -> String {
    switch e {
    case .noResourceFiles: "\(e.fact) (map it through VFIO instead: vfio.open)"
    case .deviceFileWithoutSize: "\(e.fact): pass {size=...}"
    }
  }

  static func describe(_ e: VFIOWriteCombiningUnavailable) -> String {
    switch e {
    case .notOffered(let addr, let bar):
      "\(VFIOWriteCombiningUnavailable.missingText): use pci.map(\"\(addr)\","
        + " \(bar.map(String.init) ?? "bar"), {wc=true}) on a prefetchable BAR, after closing the"
        + " VFIO device"
    }
  }

  static func describe(_ e: PCILifecycleError) -> String {
    switch e {
    case .inUse(_, _, let evidence) where !evidence.contains(where: \.blocksEvenWhenForced):
      "\(e) (stop using it first, or pass {force=true} if you know it is safe)"
    case .hotResetUnheld:
      "\(e) (vfio.open each; pci.reset(addr, {method=\"bus\"}) resets through sysfs instead)"
    default: "\(e)"
    }
  }
}
