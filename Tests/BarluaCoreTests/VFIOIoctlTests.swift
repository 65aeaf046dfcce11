import CBarluaSys
import XCTest

@testable import BarluaCore

/// An ioctl's name in errors comes from its entry in barlua_vfio.h's one list (which also gives
/// its number), never from a string written beside the call.
final class VFIOIoctlTests: XCTestCase {
  func testNamesAndNumbersComeFromOneList() {
    let requests: [(Int, UInt, String)] = [
      (BARLUA_IOCTL_VFIO_GET_API_VERSION, BARLUA_VFIO_GET_API_VERSION, "VFIO_GET_API_VERSION"),
      (BARLUA_IOCTL_VFIO_DEVICE_RESET, BARLUA_VFIO_DEVICE_RESET, "VFIO_DEVICE_RESET"),
      (BARLUA_IOCTL_VFIO_IOMMU_GET_INFO, BARLUA_VFIO_IOMMU_GET_INFO, "VFIO_IOMMU_GET_INFO"),
      (
        BARLUA_IOCTL_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, BARLUA_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO,
        "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO"
      ),
      (BARLUA_IOCTL_VFIO_IOMMU_UNMAP_DMA, BARLUA_VFIO_IOMMU_UNMAP_DMA, "VFIO_IOMMU_UNMAP_DMA"),
    ]
    for (request, number, name) in requests {
      XCTAssertEqual(VFIOIoctl.name(request), name)
      XCTAssertEqual(barlua_vfio_ioctl_number(Int32(request)), number, name)
    }
    // Why a number cannot name a request: VFIO reuses numbers across object types.
    XCTAssertEqual(BARLUA_VFIO_IOMMU_GET_INFO, BARLUA_VFIO_DEVICE_GET_PCI_HOT_RESET_INFO)
    let names = (0..<BARLUA_IOCTL_COUNT).map { VFIOIoctl.name($0) }
    XCTAssertEqual(Set(names).count, names.count, "every entry has its own name")
    XCTAssertFalse(names.contains { !$0.hasPrefix("VFIO_") }, "\(names)")
    XCTAssertEqual(
      VFIOIoctl.name(BARLUA_IOCTL_VFIO_DEVICE_GET_REGION_INFO, "BAR0"), "VFIO_DEVICE_GET_REGION_INFO(BAR0)")
    XCTAssertEqual(VFIOIoctl.name(BARLUA_IOCTL_COUNT), "request \(BARLUA_IOCTL_COUNT)", "no such entry")
  }

  /// A failing ioctl's SystemError names the request from its number, with the detail.
  func testFailureNamesTheRequest() throws {
    let fd = try FileDescriptor.open("/dev/null", flags: O_RDONLY)
    XCTAssertThrowsError(try VFIOIoctl.call(fd, BARLUA_IOCTL_VFIO_DEVICE_RESET)) {
      XCTAssertEqual(($0 as? SystemError)?.call, "ioctl VFIO_DEVICE_RESET")
    }
    var arg: UInt32 = 0
    XCTAssertThrowsError(try VFIOIoctl.call(fd, BARLUA_IOCTL_VFIO_DEVICE_GET_IRQ_INFO, &arg, detail: "MSI")) {
      XCTAssertEqual(($0 as? SystemError)?.call, "ioctl VFIO_DEVICE_GET_IRQ_INFO(MSI)")
    }
  }
}
