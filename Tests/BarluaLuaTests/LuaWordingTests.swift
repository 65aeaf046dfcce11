import BarluaCore
import XCTest

@testable import BarluaLua

/// The core states causes without Lua; the bindings name the Lua call that helps.
final class LuaWordingTests: XCTestCase {
  static let luaNames = ["pci.map", "pci.devices", "vfio.open", "pat.events", "pat.parse", "device:map", "{size="]

  func testCoreWordingHasNoLuaAndLuaWordingNamesTheCall() {
    let addr = try! PCIAddress("0000:00:02.0")
    let cases: [(Error, String)] = [
      (
        SystemError("open", path: "/x", errno: EPERM, cause: .lockdown(mode: "integrity", file: "/l")),
        "the kernel log (pat.events with debugpat) still works"
      ),
      (
        SystemError("open", path: "/dev/kmsg", errno: ENOENT, cause: .noKernelLogDevice),
        "or read saved text with pat.parse)"
      ),
      (MappingError.noResourceFiles(addr: addr, path: "/r/resource0"), "(map it through VFIO instead: vfio.open)"),
      (
        SystemError("mmap", path: "/f", errno: ENOMEM, cause: .mapCountLimit(count: 65520, limit: 65530)),
        "unmap bars you no longer use (bar:unmap(), or local b <close> = ...)"
      ),
      (MappingError.deviceFileWithoutSize(path: "/dev/mem"), "/dev/mem is a device file with no size: pass {size=...}"),
      (
        VFIOWriteCombiningUnavailable.notOffered(addr: "0000:00:02.0", bar: 2),
        "use pci.map(\"0000:00:02.0\", 2, {wc=true}) on a prefetchable BAR, after closing the VFIO device"
      ),
    ]
    for (error, lua) in cases {
      let core = "\(error)"
      for name in Self.luaNames { XCTAssertFalse(core.contains(name), core) }
      XCTAssertTrue(LuaWording.describe(error).contains(lua), LuaWording.describe(error))
    }
    let causes: [SystemCause] = [
      .lockdown(mode: "integrity", file: "/l"), .debugfsNotMounted(path: "/d"), .noPATMemtypeList, .rootOnly,
      .dmesgRestricted, .kernelLogDenied, .noKernelLogDevice, .noPrintk, .mapCountLimit(count: 65520, limit: 65530),
    ]
    for cause in causes {
      for name in Self.luaNames { XCTAssertFalse(cause.description.contains(name), cause.description) }
    }
  }
}
