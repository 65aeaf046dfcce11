// VFIO DMA and interrupts for Swift: the ioctl request numbers of the type1 IOMMU (DMA
// mapping, IOVA ranges) and of VFIO_DEVICE_SET_IRQS, their flags as plain values, the offsets
// of flexible array members, an eventfd and the monotonic clock. (Waiting on the eventfds:
// barlua_wait in barlua_interrupt.h.)
// Every number comes from <linux/vfio.h> as released (nothing here is defined by hand).
#ifndef BARLUA_VFIO_DMA_H
#define BARLUA_VFIO_DMA_H
#include <errno.h>
#include <linux/vfio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static inline unsigned long barlua_vfio_iommu_get_info(void) { return VFIO_IOMMU_GET_INFO; }
static inline unsigned long barlua_vfio_iommu_map_dma(void) { return VFIO_IOMMU_MAP_DMA; }
static inline unsigned long barlua_vfio_iommu_unmap_dma(void) { return VFIO_IOMMU_UNMAP_DMA; }
static inline unsigned long barlua_vfio_device_set_irqs(void) { return VFIO_DEVICE_SET_IRQS; }

enum {
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

/// Where the range array starts inside `struct vfio_iommu_type1_info_cap_iova_range`.
static inline size_t barlua_vfio_iova_ranges_offset(void) {
  return offsetof(struct vfio_iommu_type1_info_cap_iova_range, iova_ranges);
}

/// Where the data array starts inside `struct vfio_irq_set`.
static inline size_t barlua_vfio_irq_set_data_offset(void) {
  return offsetof(struct vfio_irq_set, data);
}

/// A non-blocking, close-on-exec eventfd (counter mode) for VFIO to signal; -1 with errno.
static inline int barlua_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

/// CLOCK_MONOTONIC in nanoseconds.
static inline int64_t barlua_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
