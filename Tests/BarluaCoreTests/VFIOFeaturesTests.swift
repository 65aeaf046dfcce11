import BarluaCore
import CBarluaSys
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// barlua sends VFIO_DEVICE_FEATURE only for feature numbers a released kernel defines (#11
/// item 17): today only VFIO_DEVICE_FEATURE_DMA_BUF = 11. Before this, `device:features()`
/// and `device:map(bar, {wc=true})` also sent PROBE|SET and SET for 14, which no released
/// kernel defines.
final class VFIOFeaturesTests: XCTestCase {
  func testOnlyReleasedFeatureNumbersAreListed() {
    XCTAssertEqual(VFIOFeatures.released, [11])
    XCTAssertEqual(VFIOFeatures.dmaBuf, 11)
  }

  /// Every header the probe sends, recorded: one PROBE|GET for feature 11, nothing else.
  func testProbeSendsOnlyFeature11() {
    for answer in [ENOTTY, 0, EOPNOTSUPP] {
      var sent: [[UInt32]] = []
      let f = VFIOFeatures.probe { header in
        sent.append(header)
        return answer
      }
      XCTAssertEqual(
        sent,
        [[8, UInt32(BARLUA_VFIO_DEVICE_FEATURE_PROBE | BARLUA_VFIO_DEVICE_FEATURE_GET) | 11]])
      for header in sent {
        XCTAssertTrue(
          VFIOFeatures.released.contains(VFIOFeatures.featureNumber(header[1])), "\(header)")
      }
      XCTAssertEqual(f.dmaBufOffered, answer == 0)
      // A kernel that exports dma-bufs (7.2) still offers no write-combining mapping.
      XCTAssertFalse(f.writeCombining)
    }
  }

  /// The one gate every VFIO_DEVICE_FEATURE passes: an unreleased number (14, 13, 12) never
  /// reaches ioctl (EINVAL before it; fd -1 would give EBADF), a released one does.
  func testSendRefusesUnreleasedNumbersBeforeTheIoctl() {
    let probe = UInt32(BARLUA_VFIO_DEVICE_FEATURE_PROBE | BARLUA_VFIO_DEVICE_FEATURE_SET)
    for feature: UInt32 in [12, 13, 14, 0xffff] {
      var words: [UInt32] = [8, probe | feature]
      XCTAssertEqual(VFIOFeatures.send(fd: -1, &words), EINVAL, "feature \(feature)")
    }
    var words: [UInt32] = [8, UInt32(BARLUA_VFIO_DEVICE_FEATURE_PROBE) | 11]
    XCTAssertEqual(VFIOFeatures.send(fd: -1, &words), EBADF, "feature 11 reaches ioctl")
    var short: [UInt32] = [4, 11]
    XCTAssertEqual(VFIOFeatures.send(fd: -1, &short), EINVAL, "argsz must match the buffer")
  }

  /// The refusal names why and the sysfs alternative (no Lua call: LuaWording adds pci.map),
  /// with no "from 2026 kernels" promise.
  func testWriteCombiningReason() {
    XCTAssertEqual(
      "\(VFIOWriteCombiningUnavailable.notOffered(addr: "0000:00:02.0", bar: 2))",
      "write-combining through VFIO is not offered: no released kernel defines a VFIO feature"
        + " that maps a BAR write-combining (VFIO maps BARs uncached-minus; the dma-buf export,"
        + " VFIO_DEVICE_FEATURE_DMA_BUF, has no mmap): map BAR2 of 0000:00:02.0 through its"
        + " sysfs resource2_wc file (prefetchable BARs only), after closing the VFIO device")
  }
}
