// VFIO for Swift: the ioctl request numbers (the kernel's _IO() macros do not import into
// Swift), the flag and index constants as plain values (devices, regions, the type1 IOMMU's
// DMA mapping, interrupts), the offsets of flexible array members, and ioctl wrappers that are
// not variadic. Every number comes from <linux/vfio.h> as released (nothing here is defined by
// hand); the structures themselves come straight from it.
#ifndef BARLUA_VFIO_H
#define BARLUA_VFIO_H
#include <linux/vfio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

// ---- ioctl request numbers ----
// _IO(VFIO_TYPE, VFIO_BASE + n) expands to a cast expression Swift does not import; as
// enumerators of type unsigned long they import as `UInt`, the type ioctl(2)'s request has.
// One list (X-macro) makes the enumerators, and the entries errors are named from
// (BARLUA_IOCTL_*: barlua_vfio_ioctl_number and barlua_vfio_ioctl_name), so a request and
// its name cannot disagree.
#define BARLUA_VFIO_IOCTLS(X)           \
  X(VFIO_GET_API_VERSION)               \
  X(VFIO_CHECK_EXTENSION)               \
  X(VFIO_SET_IOMMU)                     \
  X(VFIO_GROUP_GET_STATUS)              \
  X(VFIO_GROUP_SET_CONTAINER)           \
  X(VFIO_GROUP_UNSET_CONTAINER)         \
  X(VFIO_GROUP_GET_DEVICE_FD)           \
  X(VFIO_DEVICE_GET_INFO)               \
  X(VFIO_DEVICE_GET_REGION_INFO)        \
  X(VFIO_DEVICE_GET_IRQ_INFO)           \
  X(VFIO_DEVICE_SET_IRQS)               \
  X(VFIO_DEVICE_RESET)                  \
  X(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO) \
  X(VFIO_DEVICE_PCI_HOT_RESET)          \
  X(VFIO_DEVICE_FEATURE)                \
  X(VFIO_IOMMU_GET_INFO)                \
  X(VFIO_IOMMU_MAP_DMA)                 \
  X(VFIO_IOMMU_UNMAP_DMA)

#define BARLUA_VFIO_IOCTL_ENUMERATOR(name) BARLUA_##name = name,
enum : unsigned long { BARLUA_VFIO_IOCTLS(BARLUA_VFIO_IOCTL_ENUMERATOR) };
#undef BARLUA_VFIO_IOCTL_ENUMERATOR

// A request's place in the list, for errors: VFIO reuses numbers across object types
// (VFIO_IOMMU_GET_INFO on a container and VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on a device are
// both VFIO_BASE + 12), so the number alone cannot name it. BARLUA_IOCTL_VFIO_DEVICE_RESET, ...
#define BARLUA_VFIO_IOCTL_INDEX(name) BARLUA_IOCTL_##name,
enum { BARLUA_VFIO_IOCTLS(BARLUA_VFIO_IOCTL_INDEX) BARLUA_IOCTL_COUNT };
#undef BARLUA_VFIO_IOCTL_INDEX

/// The request number of list entry `index` (BARLUA_IOCTL_*), 0 for another index.
static inline unsigned long barlua_vfio_ioctl_number(int index) {
#define BARLUA_VFIO_IOCTL_NUMBER(name) name,
  static const unsigned long numbers[] = {BARLUA_VFIO_IOCTLS(BARLUA_VFIO_IOCTL_NUMBER)};
#undef BARLUA_VFIO_IOCTL_NUMBER
  return index >= 0 && index < BARLUA_IOCTL_COUNT ? numbers[index] : 0;
}

/// The name of list entry `index` ("VFIO_DEVICE_RESET"), NULL for another index.
static inline const char *barlua_vfio_ioctl_name(int index) {
#define BARLUA_VFIO_IOCTL_NAME(name) #name,
  static const char *const names[] = {BARLUA_VFIO_IOCTLS(BARLUA_VFIO_IOCTL_NAME)};
#undef BARLUA_VFIO_IOCTL_NAME
  return index >= 0 && index < BARLUA_IOCTL_COUNT ? names[index] : NULL;
}

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
  BARLUA_VFIO_IOMMU_INFO_PGSIZES = VFIO_IOMMU_INFO_PGSIZES,
  BARLUA_VFIO_IOMMU_INFO_CAPS = VFIO_IOMMU_INFO_CAPS,
  BARLUA_VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
  BARLUA_VFIO_DMA_MAP_FLAG_READ = VFIO_DMA_MAP_FLAG_READ,
  BARLUA_VFIO_DMA_MAP_FLAG_WRITE = VFIO_DMA_MAP_FLAG_WRITE,
  BARLUA_VFIO_IRQ_SET_DATA_NONE = VFIO_IRQ_SET_DATA_NONE,
  BARLUA_VFIO_IRQ_SET_DATA_BOOL = VFIO_IRQ_SET_DATA_BOOL,
  BARLUA_VFIO_IRQ_SET_DATA_EVENTFD = VFIO_IRQ_SET_DATA_EVENTFD,
  BARLUA_VFIO_IRQ_SET_ACTION_MASK = VFIO_IRQ_SET_ACTION_MASK,
  BARLUA_VFIO_IRQ_SET_ACTION_UNMASK = VFIO_IRQ_SET_ACTION_UNMASK,
  BARLUA_VFIO_IRQ_SET_ACTION_TRIGGER = VFIO_IRQ_SET_ACTION_TRIGGER,
};

// ---- where flexible array members start (Swift does not import them) ----
static inline size_t barlua_vfio_sparse_areas_offset(void) {
  return offsetof(struct vfio_region_info_cap_sparse_mmap, areas);
}
static inline size_t barlua_vfio_iova_ranges_offset(void) {
  return offsetof(struct vfio_iommu_type1_info_cap_iova_range, iova_ranges);
}
static inline size_t barlua_vfio_irq_set_data_offset(void) {
  return offsetof(struct vfio_irq_set, data);
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
