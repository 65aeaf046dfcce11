// VFIO for Swift: the ioctl request numbers (the kernel's _IO() macros do not import into
// Swift), the flag and index constants as plain values, and ioctl wrappers that are not
// variadic. The structures themselves come straight from <linux/vfio.h>.
#ifndef BARLUA_VFIO_H
#define BARLUA_VFIO_H
#include <linux/vfio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

// ---- ioctl request numbers ----
static inline unsigned long barlua_vfio_get_api_version(void) { return VFIO_GET_API_VERSION; }
static inline unsigned long barlua_vfio_check_extension(void) { return VFIO_CHECK_EXTENSION; }
static inline unsigned long barlua_vfio_set_iommu(void) { return VFIO_SET_IOMMU; }
static inline unsigned long barlua_vfio_group_get_status(void) { return VFIO_GROUP_GET_STATUS; }
static inline unsigned long barlua_vfio_group_set_container(void) {
  return VFIO_GROUP_SET_CONTAINER;
}
static inline unsigned long barlua_vfio_group_unset_container(void) {
  return VFIO_GROUP_UNSET_CONTAINER;
}
static inline unsigned long barlua_vfio_group_get_device_fd(void) {
  return VFIO_GROUP_GET_DEVICE_FD;
}
static inline unsigned long barlua_vfio_device_get_info(void) { return VFIO_DEVICE_GET_INFO; }
static inline unsigned long barlua_vfio_device_get_region_info(void) {
  return VFIO_DEVICE_GET_REGION_INFO;
}
static inline unsigned long barlua_vfio_device_get_irq_info(void) {
  return VFIO_DEVICE_GET_IRQ_INFO;
}
static inline unsigned long barlua_vfio_device_reset(void) { return VFIO_DEVICE_RESET; }
static inline unsigned long barlua_vfio_device_feature(void) { return VFIO_DEVICE_FEATURE; }

// ---- constants (some are shift expressions Swift would not import reliably) ----
enum {
  BARLUA_VFIO_API_VERSION = VFIO_API_VERSION,
  BARLUA_VFIO_TYPE1_IOMMU = VFIO_TYPE1_IOMMU,
  BARLUA_VFIO_TYPE1v2_IOMMU = VFIO_TYPE1v2_IOMMU,
  BARLUA_VFIO_NOIOMMU_IOMMU = VFIO_NOIOMMU_IOMMU,
  BARLUA_VFIO_GROUP_FLAGS_VIABLE = VFIO_GROUP_FLAGS_VIABLE,
  BARLUA_VFIO_GROUP_FLAGS_CONTAINER_SET = VFIO_GROUP_FLAGS_CONTAINER_SET,
  BARLUA_VFIO_DEVICE_FLAGS_RESET = VFIO_DEVICE_FLAGS_RESET,
  BARLUA_VFIO_DEVICE_FLAGS_PCI = VFIO_DEVICE_FLAGS_PCI,
  BARLUA_VFIO_REGION_INFO_FLAG_READ = VFIO_REGION_INFO_FLAG_READ,
  BARLUA_VFIO_REGION_INFO_FLAG_WRITE = VFIO_REGION_INFO_FLAG_WRITE,
  BARLUA_VFIO_REGION_INFO_FLAG_MMAP = VFIO_REGION_INFO_FLAG_MMAP,
  BARLUA_VFIO_REGION_INFO_FLAG_CAPS = VFIO_REGION_INFO_FLAG_CAPS,
  BARLUA_VFIO_REGION_INFO_CAP_SPARSE_MMAP = VFIO_REGION_INFO_CAP_SPARSE_MMAP,
  BARLUA_VFIO_REGION_INFO_CAP_TYPE = VFIO_REGION_INFO_CAP_TYPE,
  BARLUA_VFIO_REGION_INFO_CAP_MSIX_MAPPABLE = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
  BARLUA_VFIO_IRQ_INFO_EVENTFD = VFIO_IRQ_INFO_EVENTFD,
  BARLUA_VFIO_IRQ_INFO_MASKABLE = VFIO_IRQ_INFO_MASKABLE,
  BARLUA_VFIO_IRQ_INFO_AUTOMASKED = VFIO_IRQ_INFO_AUTOMASKED,
  BARLUA_VFIO_IRQ_INFO_NORESIZE = VFIO_IRQ_INFO_NORESIZE,
  BARLUA_VFIO_PCI_BAR0_REGION_INDEX = VFIO_PCI_BAR0_REGION_INDEX,
  BARLUA_VFIO_PCI_BAR5_REGION_INDEX = VFIO_PCI_BAR5_REGION_INDEX,
  BARLUA_VFIO_PCI_ROM_REGION_INDEX = VFIO_PCI_ROM_REGION_INDEX,
  BARLUA_VFIO_PCI_CONFIG_REGION_INDEX = VFIO_PCI_CONFIG_REGION_INDEX,
  BARLUA_VFIO_PCI_VGA_REGION_INDEX = VFIO_PCI_VGA_REGION_INDEX,
  BARLUA_VFIO_PCI_INTX_IRQ_INDEX = VFIO_PCI_INTX_IRQ_INDEX,
  BARLUA_VFIO_PCI_MSI_IRQ_INDEX = VFIO_PCI_MSI_IRQ_INDEX,
  BARLUA_VFIO_PCI_MSIX_IRQ_INDEX = VFIO_PCI_MSIX_IRQ_INDEX,
  BARLUA_VFIO_PCI_ERR_IRQ_INDEX = VFIO_PCI_ERR_IRQ_INDEX,
  BARLUA_VFIO_PCI_REQ_IRQ_INDEX = VFIO_PCI_REQ_IRQ_INDEX,
  BARLUA_VFIO_DEVICE_FEATURE_GET = VFIO_DEVICE_FEATURE_GET,
  BARLUA_VFIO_DEVICE_FEATURE_SET = VFIO_DEVICE_FEATURE_SET,
  BARLUA_VFIO_DEVICE_FEATURE_PROBE = VFIO_DEVICE_FEATURE_PROBE,
};

/// Where the area array starts inside `struct vfio_region_info_cap_sparse_mmap` (a flexible
/// array member, which Swift does not import).
static inline size_t barlua_vfio_sparse_areas_offset(void) {
  return offsetof(struct vfio_region_info_cap_sparse_mmap, areas);
}

// ---- ioctl without varargs (Swift cannot call a C variadic function) ----
/// `ioctl(fd, request, arg)` with a pointer argument; returns its result, errno as set.
static inline int barlua_ioctl_ptr(int fd, unsigned long request, void *arg) {
  return ioctl(fd, request, arg);
}
/// `ioctl(fd, request, value)` with an integer argument (VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU).
static inline int barlua_ioctl_int(int fd, unsigned long request, unsigned long value) {
  return ioctl(fd, request, value);
}
/// `ioctl(fd, request)` with no argument (VFIO_GET_API_VERSION, VFIO_DEVICE_RESET).
static inline int barlua_ioctl_none(int fd, unsigned long request) { return ioctl(fd, request); }

#endif
