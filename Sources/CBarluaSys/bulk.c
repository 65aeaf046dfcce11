// Bulk transfers over a window at memory speed, each under the bus-error guard.
//
// Device memory is hostile: it changes between reads and can vanish. So every loop here
// touches each byte of [off, off+len) at most once, in ascending address order, and nothing
// outside it (memcpy/memcmp may read a byte twice or rescan, and choose access sizes that
// degrade to single bytes on uncached memory). The middle of a range goes as aligned 16-byte
// volatile accesses, the ends as single bytes. Ascending order makes the fault report exact:
// everything below the faulting access was transferred, nothing at or above it.
#include <string.h>

#include <emmintrin.h>

#include "loops.h"

typedef __m128i v16;

static inline v16 load16(const volatile uint8_t *p) { return *(const volatile v16 *)p; }
static inline void store16(volatile uint8_t *p, v16 v) { *(volatile v16 *)p = v; }

// Bytes until p is 16-byte aligned, at most len.
static inline size_t head_len(const volatile uint8_t *p, size_t len) {
  size_t h = (size_t)(-(uintptr_t)p & 15);
  return h < len ? h : len;
}

static void copy_in(volatile uint8_t *p, void *dst, size_t len) {
  uint8_t *d = dst;
  size_t h = head_len(p, len);
  for (size_t i = 0; i < h; i++) d[i] = p[i];
  p += h, d += h, len -= h;
  for (; len >= 64; p += 64, d += 64, len -= 64) {
    v16 a = load16(p), b = load16(p + 16), c = load16(p + 32), e = load16(p + 48);
    _mm_storeu_si128((v16 *)d, a);
    _mm_storeu_si128((v16 *)(d + 16), b);
    _mm_storeu_si128((v16 *)(d + 32), c);
    _mm_storeu_si128((v16 *)(d + 48), e);
  }
  for (; len >= 16; p += 16, d += 16, len -= 16) _mm_storeu_si128((v16 *)d, load16(p));
  for (size_t i = 0; i < len; i++) d[i] = p[i];
}

static void copy_out(volatile uint8_t *p, void *src, size_t len) {
  const uint8_t *s = src;
  size_t h = head_len(p, len);
  for (size_t i = 0; i < h; i++) p[i] = s[i];
  p += h, s += h, len -= h;
  for (; len >= 64; p += 64, s += 64, len -= 64) {
    store16(p, _mm_loadu_si128((const v16 *)s));
    store16(p + 16, _mm_loadu_si128((const v16 *)(s + 16)));
    store16(p + 32, _mm_loadu_si128((const v16 *)(s + 32)));
    store16(p + 48, _mm_loadu_si128((const v16 *)(s + 48)));
  }
  for (; len >= 16; p += 16, s += 16, len -= 16) store16(p, _mm_loadu_si128((const v16 *)s));
  for (size_t i = 0; i < len; i++) p[i] = s[i];
}

static void fill(volatile uint8_t *p, void *byte_, size_t len) {
  uint8_t byte = *(const uint8_t *)byte_;
  size_t h = head_len(p, len);
  for (size_t i = 0; i < h; i++) p[i] = byte;
  p += h, len -= h;
  const v16 v = _mm_set1_epi8((char)byte);
  for (; len >= 64; p += 64, len -= 64) {
    store16(p, v);
    store16(p + 16, v);
    store16(p + 32, v);
    store16(p + 48, v);
  }
  for (; len >= 16; p += 16, len -= 16) store16(p, v);
  for (size_t i = 0; i < len; i++) p[i] = byte;
}

// 16 bytes per step: compare, subtract the all-ones mask from 8-bit lane counters (at most
// 255 steps before they are summed with psadbw into the 64-bit total), four chains in flight.
struct count_args {
  uint8_t byte;
  uint64_t total;
};

static void count(volatile uint8_t *p, void *args, size_t len) {
  struct count_args *a = args;
  uint8_t byte = a->byte;
  uint64_t total = 0;
  size_t h = head_len(p, len);
  for (size_t i = 0; i < h; i++) total += (p[i] == byte);
  p += h, len -= h;
  const v16 needle = _mm_set1_epi8((char)byte);
  const v16 zero = _mm_setzero_si128();
  while (len >= 64) {
    size_t steps = len / 64;
    if (steps > 255) steps = 255;
    v16 a = zero, b = zero, c = zero, d = zero;
    for (size_t i = 0; i < steps; i++, p += 64) {
      a = _mm_sub_epi8(a, _mm_cmpeq_epi8(load16(p), needle));
      b = _mm_sub_epi8(b, _mm_cmpeq_epi8(load16(p + 16), needle));
      c = _mm_sub_epi8(c, _mm_cmpeq_epi8(load16(p + 32), needle));
      d = _mm_sub_epi8(d, _mm_cmpeq_epi8(load16(p + 48), needle));
    }
    v16 sums = _mm_add_epi64(_mm_add_epi64(_mm_sad_epu8(a, zero), _mm_sad_epu8(b, zero)),
                             _mm_add_epi64(_mm_sad_epu8(c, zero), _mm_sad_epu8(d, zero)));
    total += (uint64_t)_mm_cvtsi128_si64(sums) +
             (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums));
    len -= steps * 64;
  }
  for (; len >= 16; p += 16, len -= 16) {
    int m = _mm_movemask_epi8(_mm_cmpeq_epi8(load16(p), needle));
    total += (uint64_t)__builtin_popcount((unsigned)m);
  }
  for (size_t i = 0; i < len; i++) total += (p[i] == byte);
  a->total = total;
}

// The index of the first byte that differs, or -1. Each device byte is loaded once; the
// difference is located inside the loaded value, never by reading the device again.
static int64_t first_difference(const volatile uint8_t *p, const uint8_t *s, size_t len) {
  size_t i = 0, h = head_len(p, len);
  for (; i < h; i++)
    if (p[i] != s[i]) return (int64_t)i;
  for (; len - i >= 16; i += 16) {
    int eq =
        _mm_movemask_epi8(_mm_cmpeq_epi8(load16(p + i), _mm_loadu_si128((const v16 *)(s + i))));
    if (eq != 0xffff) return (int64_t)(i + (size_t)__builtin_ctz(~(unsigned)eq));
  }
  for (; i < len; i++)
    if (p[i] != s[i]) return (int64_t)i;
  return -1;
}

struct compare_args {
  const uint8_t *s;
  int64_t at;
};

static void compare(volatile uint8_t *p, void *args, size_t len) {
  struct compare_args *a = args;
  a->at = first_difference(p, a->s, len);
}

// Without a width, the 16-byte loops above; with one, exact.c's loops of that width.
int barlua_transfer(const barlua_window *w, barlua_op op, uint64_t off, void *data, size_t len,
                    unsigned width, barlua_fault *fault) {
  static barlua_loop *const any_width[] = {
      [BARLUA_OP_READ] = copy_in, [BARLUA_OP_WRITE] = copy_out, [BARLUA_OP_FILL] = fill};
  barlua_loop *loop = width ? barlua_exact_loop(op, width) : any_width[op];
  return barlua_run_guarded(w, off, len, width ? width / 8 : 1, loop, data, fault);
}

int barlua_count(const barlua_window *w, uint64_t off, uint8_t byte, size_t len, uint64_t *n,
                 barlua_fault *fault) {
  struct count_args a = {byte, 0};
  if (barlua_run_guarded(w, off, len, 1, count, &a, fault) != 0) return -1;
  *n = a.total;
  return 0;
}

int barlua_compare(const barlua_window *w, uint64_t off, const void *s, size_t len, int64_t *at,
                   barlua_fault *fault) {
  struct compare_args a = {s, -1};
  if (barlua_run_guarded(w, off, len, 1, compare, &a, fault) != 0) return -1;
  *at = a.at;
  return 0;
}
