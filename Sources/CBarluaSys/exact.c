// Exact-width bulk transfers: every access is exactly one volatile access of the width asked
// (8, 16, 32 or 64 bits), in ascending address order, under the bus-error guard. This is what
// registers that accept only one access size and FIFOs need, and what an honest per-width
// bandwidth figure is measured with: the loops are the bare C volatile loops a benchmark
// would write, so the instrument is never the bottleneck. Only the device side is held to the
// width: on the host side (the Lua string or buffer) the loops move 8 bytes at a time, a write
// loading 8 bytes of the string and storing them as 64 / width accesses, a large read
// gathering 64 / width loads into one 8-byte store (below).
// Measured in bench/run (docs/speed.md): 32-bit writes went from 0.78-0.87x to 1.03x the bare loop.
#include <string.h>

#include "loops.h"

#if defined(__x86_64__)
#include <immintrin.h>

// A read of at least STREAM_MIN bytes stores into its buffer with 64-bit non-temporal stores
// (movnti): a buffer that large cannot stay in cache anyway, and plain stores would first
// fetch every line they overwrite. The buffer is then copied once more, into the Lua string
// (Lua 5.4 makes a string only by copying), so a read is two copies of memory and its speed
// hangs on how little each one moves. Narrower reads gather 64 / width loads into each 8-byte
// store (4-byte movnti measured slower than plain stores). The device side is the same either
// way: one volatile access of the width per element, ascending. Below the threshold plain
// stores leave the buffer in cache for the second copy. Together with huge pages for both
// blocks (CBarlua/heap.c), 32/64-bit reads went from 0.50/0.49x to 0.88/0.63x the bare loop.
#define STREAM_MIN ((size_t)8 << 20)
#define STREAM_STORE(d, v) _mm_stream_si64((long long *)(d), (long long)(v))
#define STREAM_FENCE() _mm_sfence()
#else
#define STREAM_MIN SIZE_MAX
#define STREAM_STORE(d, v) memcpy(d, &(v), 8)
#define STREAM_FENCE()
#endif

// Where access j of an 8-byte group sits in the uint64_t that holds the group's bytes (the
// `% 64` keeps the shift in range where a 64-bit group has only j = 0).
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LANE_SHIFT(bits, j) ((j) * (bits) % 64)
#else
#define LANE_SHIFT(bits, j) ((64 / (bits)-1 - (j)) * (bits) % 64)
#endif

#define EXACT_LOOPS(bits)                                                                        \
  static void read##bits(volatile uint8_t *p, void *dst, size_t len) {                           \
    const volatile uint##bits##_t *q = (const volatile uint##bits##_t *)p;                       \
    uint8_t *d = dst;                                                                            \
    size_t n = len / (bits / 8), i = 0;                                                          \
    if (len >= STREAM_MIN && (uintptr_t)d % 8 == 0) {                                            \
      for (; i + 64 / bits <= n; i += 64 / bits) {                                               \
        uint64_t v = 0;                                                                          \
        for (unsigned j = 0; j < 64 / bits; j++) v |= (uint64_t)q[i + j] << LANE_SHIFT(bits, j); \
        STREAM_STORE(d + i * (bits / 8), v);                                                     \
      }                                                                                          \
      STREAM_FENCE();                                                                            \
    }                                                                                            \
    for (; i < n; i++) {                                                                         \
      uint##bits##_t v = q[i];                                                                   \
      memcpy(d + i * (bits / 8), &v, bits / 8);                                                  \
    }                                                                                            \
  }                                                                                              \
  static void write##bits(volatile uint8_t *p, void *src, size_t len) {                          \
    volatile uint##bits##_t *q = (volatile uint##bits##_t *)p;                                   \
    const uint8_t *s = src;                                                                      \
    size_t n = len / (bits / 8), i = 0;                                                          \
    for (; i + 64 / bits <= n; i += 64 / bits) {                                                 \
      uint64_t v; /* 8 bytes of the string, then 64 / width stores */                            \
      memcpy(&v, s + i * (bits / 8), 8);                                                         \
      for (unsigned j = 0; j < 64 / bits; j++)                                                   \
        q[i + j] = (uint##bits##_t)(v >> LANE_SHIFT(bits, j));                                   \
    }                                                                                            \
    for (; i < n; i++) {                                                                         \
      uint##bits##_t v;                                                                          \
      memcpy(&v, s + i * (bits / 8), bits / 8);                                                  \
      q[i] = v;                                                                                  \
    }                                                                                            \
  }                                                                                              \
  static void fill##bits(volatile uint8_t *p, void *byte, size_t len) {                          \
    volatile uint##bits##_t *q = (volatile uint##bits##_t *)p;                                   \
    uint8_t b = *(const uint8_t *)byte;                                                          \
    uint##bits##_t v = (uint##bits##_t)(UINT64_C(0x0101010101010101) * b);                       \
    for (size_t i = 0; i < len / (bits / 8); i++) q[i] = v;                                      \
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
