// Exact-width bulk transfers: every access is exactly one volatile access of the width asked
// (8, 16, 32 or 64 bits), in ascending address order, under the bus-error guard. This is what
// registers that accept only one access size and FIFOs need, and what an honest per-width
// bandwidth figure is measured with: the loops are the bare C volatile loops a benchmark
// would write, so the instrument is never the bottleneck.
#include "barlua_sys.h"

#include <string.h>

#define EXACT_LOOPS(bits)                                                     \
  static void read##bits(const volatile uint8_t *p, uint8_t *d, size_t n) {   \
    const volatile uint##bits##_t *q = (const volatile uint##bits##_t *)p;    \
    for (size_t i = 0; i < n; i++) {                                          \
      uint##bits##_t v = q[i];                                                \
      memcpy(d + i * (bits / 8), &v, bits / 8);                               \
    }                                                                         \
  }                                                                           \
  static void write##bits(volatile uint8_t *p, const uint8_t *s, size_t n) {  \
    volatile uint##bits##_t *q = (volatile uint##bits##_t *)p;                \
    for (size_t i = 0; i < n; i++) {                                          \
      uint##bits##_t v;                                                       \
      memcpy(&v, s + i * (bits / 8), bits / 8);                               \
      q[i] = v;                                                               \
    }                                                                         \
  }                                                                           \
  static void fill##bits(volatile uint8_t *p, uint8_t byte, size_t n) {       \
    volatile uint##bits##_t *q = (volatile uint##bits##_t *)p;                \
    uint##bits##_t v = (uint##bits##_t)(UINT64_C(0x0101010101010101) * byte); \
    for (size_t i = 0; i < n; i++) q[i] = v;                                  \
  }
EXACT_LOOPS(8)
EXACT_LOOPS(16)
EXACT_LOOPS(32)
EXACT_LOOPS(64)

#define BY_WIDTH(width, call8, call16, call32, call64) \
  switch (width) {                                     \
    case 8:                                            \
      call8;                                           \
      break;                                           \
    case 16:                                           \
      call16;                                          \
      break;                                           \
    case 32:                                           \
      call32;                                          \
      break;                                           \
    default:                                           \
      call64;                                          \
      break;                                           \
  }

int barlua_read_exact(const barlua_window *w, uint64_t off, void *dst, size_t len, unsigned width,
                      barlua_fault *fault) {
  barlua_guard g;
  const volatile uint8_t *p = w->base + off;
  size_t n = len / (width / 8);
  if (BARLUA_GUARDED(&g, p, len,
                     BY_WIDTH(width, read8(p, dst, n), read16(p, dst, n), read32(p, dst, n),
                              read64(p, dst, n))))
    return barlua_guard_report(w, off, &g, width / 8, fault);
  return 0;
}

int barlua_write_exact(const barlua_window *w, uint64_t off, const void *src, size_t len,
                       unsigned width, barlua_fault *fault) {
  barlua_guard g;
  volatile uint8_t *p = w->base + off;
  size_t n = len / (width / 8);
  if (BARLUA_GUARDED(&g, p, len,
                     BY_WIDTH(width, write8(p, src, n), write16(p, src, n), write32(p, src, n),
                              write64(p, src, n))))
    return barlua_guard_report(w, off, &g, width / 8, fault);
  return 0;
}

int barlua_fill_exact(const barlua_window *w, uint64_t off, uint8_t byte, size_t len,
                      unsigned width, barlua_fault *fault) {
  barlua_guard g;
  volatile uint8_t *p = w->base + off;
  size_t n = len / (width / 8);
  if (BARLUA_GUARDED(&g, p, len,
                     BY_WIDTH(width, fill8(p, byte, n), fill16(p, byte, n), fill32(p, byte, n),
                              fill64(p, byte, n))))
    return barlua_guard_report(w, off, &g, width / 8, fault);
  return 0;
}
