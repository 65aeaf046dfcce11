import CBarluaSys
import XCTest

@testable import BarluaCore

/// An ioctl's name in errors comes from its request number (barlua_vfio.h's one list), never
/// from a string written beside the call.
final class VFIOIoctlTests: XCTestCase {
  func testNamesComeFromTheRequestNumber() {
    let requests: [(UInt, String)] = [
      (BARLUA_VFIO_GET_API_VERSION, "VFIO_GET_API_VERSION"), (BARLUA_VFIO_CHECK_EXTENSION, "VFIO_CHECK_EXTENSION"),
      (BARLUA_VFIO_SET_IOMMU, "VFIO_SET_IOMMU"), (BARLUA_VFIO_GROUP_GET_STATUS, "VFIO_GROUP_GET_STATUS"),
      (BARLUA_VFIO_GROUP_SET_CONTAINER, "VFIO_GROUP_SET_CONTAINER"),
      (BARLUA_VFIO_GROUP_UNSET_CONTAINER, "VFIO_GROUP_UNSET_CONTAINER"),
      (BARLUA_VFIO_GROUP_GET_DEVICE_FD, "VFIO_GROUP_GET_DEVICE_FD"),
      (BARLUA_VFIO_DEVICE_GET_INFO, "VFIO_DEVICE_GET_INFO"),
      (BARLUA_VFIO_DEVICE_GET_REGION_INFO, "VFIO_DEVICE_GET_REGION_INFO"),
      (BARLUA_VFIO_DEVICE_GET_IRQ_INFO, "VFIO_DEVICE_GET_IRQ_INFO"),
      (BARLUA_VFIO_DEVICE_SET_IRQS, "VFIO_DEVICE_SET_IRQS"),
      (BARLUA_VFIO_DEVICE_RESET, "VFIO_DEVICE_RESET"), (BARLUA_VFIO_DEVICE_FEATURE, "VFIO_DEVICE_FEATURE"),
      (BARLUA_VFIO_IOMMU_GET_INFO, "VFIO_IOMMU_GET_INFO"), (BARLUA_VFIO_IOMMU_MAP_DMA, "VFIO_IOMMU_MAP_DMA"),
      (BARLUA_VFIO_IOMMU_UNMAP_DMA, "VFIO_IOMMU_UNMAP_DMA"),
    ]
    for (request, name) in requests { XCTAssertEqual(VFIOIoctl.name(request), name) }
    XCTAssertEqual(Set(requests.map(\.0)).count, requests.count, "every request number is distinct")
    XCTAssertEqual(VFIOIoctl.name(BARLUA_VFIO_DEVICE_GET_REGION_INFO, "BAR0"), "VFIO_DEVICE_GET_REGION_INFO(BAR0)")
    XCTAssertEqual(VFIOIoctl.name(0x1234), "0x1234", "a number that is no VFIO request")
  }

  /// A failing ioctl's SystemError names the request from its number, with the detail.
  func testFailureNamesTheRequest() throws {
    let fd = try FileDescriptor.open("/dev/null", flags: O_RDONLY)
    XCTAssertThrowsError(try VFIOIoctl.call(fd, BARLUA_VFIO_DEVICE_RESET)) {
      XCTAssertEqual(($0 as? SystemError)?.call, "ioctl VFIO_DEVICE_RESET")
    }
    var arg: UInt32 = 0
    XCTAssertThrowsError(try VFIOIoctl.call(fd, BARLUA_VFIO_DEVICE_GET_IRQ_INFO, &arg, detail: "MSI")) {
      XCTAssertEqual(($0 as? SystemError)?.call, "ioctl VFIO_DEVICE_GET_IRQ_INFO(MSI)")
    }
  }
}
