import BarluaCore
import Foundation
import XCTest

@testable import BarluaLua

/// The core states causes without Lua; the bindings name the Lua call that helps.
final class LuaWordingTests: XCTestCase {
  static let luaNames = [
    "pci.map", "pci.devices", "vfio.open", "pat.events", "pat.parse", "device:map", "{size=", "{write=", "mmio.map",
  ]

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
        SystemError("open", path: "/f", errno: EACCES, cause: .writeRefused(path: "/f", attribute: nil)),
        "the file needs to be readable and writable by you (to only read it: {write=false})"
      ),
      (
        SystemError("open", path: "/f", errno: EPERM, cause: .writeRefused(path: "/f", attribute: .appendOnly)),
        "remove the flag with chattr -a /f if it should be mapped writable (to only read it: {write=false})"
      ),
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
      .writeRefused(path: "/f", attribute: nil), .writeRefused(path: "/f", attribute: .immutable),
      .writeRefused(path: "/f", attribute: .appendOnly),
    ]
    for cause in causes {
      for name in Self.luaNames { XCTAssertFalse(cause.description.contains(name), cause.description) }
    }
  }

  /// The core's own error for a file nobody may write, as the core builds it (not a case
  /// written here): a program using BarluaCore reads no Lua in it; the Lua wording names
  /// {write=false}.
  func testRefusedWriteFromTheCoreHasNoLua() throws {
    let path = try readOnlyFile(Data(count: 4096))
    XCTAssertThrowsError(try Mapping.mapFile(path: path)) { error in
      let core = "\(error)"
      for name in Self.luaNames { XCTAssertFalse(core.contains(name), core) }
      XCTAssertTrue(core.hasSuffix(" (or map it read-only)"), core)
      let attribute: FileAttribute? = geteuid() == 0 ? .immutable : nil
      XCTAssertEqual((error as? SystemError)?.cause, .writeRefused(path: path, attribute: attribute))
      let lua = LuaWording.describe(error)
      XCTAssertTrue(lua.hasSuffix(" (to only read it: {write=false})"), lua)
    }
    XCTAssertEqual(try Mapping.mapFile(path: path, writable: false).size, 4096)
  }
}
