// Exact-width bulk transfers: every access is exactly one volatile access of the width asked
// (8, 16, 32 or 64 bits), in ascending address order, under the bus-error guard. This is what
// registers that accept only one access size and FIFOs need, and what an honest per-width
// bandwidth figure is measured with: the loops are the bare C volatile loops a benchmark
// would write, so the instrument is never the bottleneck.
#include <string.h>

#include "loops.h"

#define EXACT_LOOPS(bits)                                                  \
  static void read##bits(volatile uint8_t *p, void *dst, size_t len) {     \
    const volatile uint##bits##_t *q = (const volatile uint##bits##_t *)p; \
    uint8_t *d = dst;                                                      \
    size_t n = len / (bits / 8);                                           \
    for (size_t i = 0; i < n; i++) {                                       \
      uint##bits##_t v = q[i];                                             \
      memcpy(d + i * (bits / 8), &v, bits / 8);                            \
    }                                                                      \
  }                                                                        \
  static void write##bits(volatile uint8_t *p, void *src, size_t len) {    \
    volatile uint##bits##_t *q = (volatile uint##bits##_t *)p;             \
    const uint8_t *s = src;                                                \
    for (size_t i = 0; i < len / (bits / 8); i++) {                        \
      uint##bits##_t v;                                                    \
      memcpy(&v, s + i * (bits / 8), bits / 8);                            \
      q[i] = v;                                                            \
    }                                                                      \
  }                                                                        \
  static void fill##bits(volatile uint8_t *p, void *byte, size_t len) {    \
    volatile uint##bits##_t *q = (volatile uint##bits##_t *)p;             \
    uint8_t b = *(const uint8_t *)byte;                                    \
    uint##bits##_t v = (uint##bits##_t)(UINT64_C(0x0101010101010101) * b); \
    for (size_t i = 0; i < len / (bits / 8); i++) q[i] = v;                \
  }
EXACT_LOOPS(8)
EXACT_LOOPS(16)
EXACT_LOOPS(32)
EXACT_LOOPS(64)

barlua_loop *barlua_exact_loop(barlua_op op, unsigned width) {
  static barlua_loop *const loops[3][4] = {
      [BARLUA_OP_READ] = {read8, read16, read32, read64},
      [BARLUA_OP_WRITE] = {write8, write16, write32, write64},
      [BARLUA_OP_FILL] = {fill8, fill16, fill32, fill64},
  };
  return loops[op][__builtin_ctz(width) - 3];  // 8, 16, 32, 64 -> 0, 1, 2, 3
}
