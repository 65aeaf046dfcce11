// Exact-width bulk transfers: every access is exactly one volatile access of the width asked
// (8, 16, 32 or 64 bits), in ascending address order, under the bus-error guard. This is what
// registers that accept only one access size and FIFOs need, and what an honest per-width
// bandwidth figure is measured with: the loops are the bare C volatile loops a benchmark
// would write, so the instrument is never the bottleneck.
#include <string.h>

#include "loops.h"

#if defined(__x86_64__)
#include <immintrin.h>

// A 64-bit read of at least this many bytes stores into its buffer with non-temporal stores
// (movnti): a buffer that large cannot stay in cache anyway, and plain stores would first
// fetch every line they overwrite. The buffer is then copied once more, into the
// Lua string (Lua 5.4 makes a string only by copying), so a read is two copies of memory and
// its speed hangs on how little each one moves. Below the threshold plain stores leave the
// buffer in cache for that second copy. The device side is the same either way: one volatile
// access of the width per element, ascending. Measured in bench/run (README): 0.44-0.52x ->
// 0.53-0.58x of the C loop at 64 bits; at 32 bits 4-byte movnti measured slower than plain
// stores (0.88x -> 0.80-0.85x), and 8/16 bits have no such instruction, so they stay plain.
#define STREAM_MIN ((size_t)8 << 20)
#define STREAM_STORE64(d, v) _mm_stream_si64((long long *)(d), (long long)(v))
#define STREAM_FENCE() _mm_sfence()
#else
#define STREAM_MIN SIZE_MAX
#define STREAM_STORE64(d, v) memcpy(d, &(v), 8)
#define STREAM_FENCE()
#endif
#define STREAM_STORE8(d, v) memcpy(d, &(v), 1)  // plain stores (see above)
#define STREAM_STORE16(d, v) memcpy(d, &(v), 2)
#define STREAM_STORE32(d, v) memcpy(d, &(v), 4)

#define EXACT_LOOPS(bits)                                                  \
  static void read##bits(volatile uint8_t *p, void *dst, size_t len) {     \
    const volatile uint##bits##_t *q = (const volatile uint##bits##_t *)p; \
    uint8_t *d = dst;                                                      \
    size_t n = len / (bits / 8);                                           \
    if (bits == 64 && len >= STREAM_MIN) {                                 \
      for (size_t i = 0; i < n; i++) {                                     \
        uint##bits##_t v = q[i];                                           \
        STREAM_STORE##bits(d + i * (bits / 8), v);                         \
      }                                                                    \
      STREAM_FENCE();                                                      \
      return;                                                              \
    }                                                                      \
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
