// Bulk transfers over a window at memory speed, each under the bus-error guard.
// Callers (CBarlua, BarluaCore) check bounds first; these only do the work.
#include "barlua_sys.h"

#include <string.h>

int barlua_copy_in(const barlua_window *w, uint64_t off, void *dst, size_t len) {
  int faulted;
  BARLUA_GUARDED(faulted, memcpy(dst, (const void *)(w->base + off), len));
  return faulted ? -1 : 0;
}

int barlua_copy_out(const barlua_window *w, uint64_t off, const void *src, size_t len) {
  int faulted;
  BARLUA_GUARDED(faulted, memcpy((void *)(w->base + off), src, len));
  return faulted ? -1 : 0;
}

int barlua_fill(const barlua_window *w, uint64_t off, uint8_t byte, size_t len) {
  int faulted;
  BARLUA_GUARDED(faulted, memset((void *)(w->base + off), byte, len));
  return faulted ? -1 : 0;
}

#if defined(__SSE2__)
#include <emmintrin.h>

// 16 bytes per step: compare, subtract the all-ones mask from 8-bit lane counters (at most
// 255 steps before they are summed with psadbw into the 64-bit total), four chains in flight.
static int64_t count_bytes(const uint8_t *p, uint8_t byte, size_t len) {
  const __m128i needle = _mm_set1_epi8((char)byte);
  const __m128i zero = _mm_setzero_si128();
  int64_t total = 0;
  while (len >= 64) {
    size_t steps = len / 64;
    if (steps > 255) steps = 255;
    __m128i a = zero, b = zero, c = zero, d = zero;
    for (size_t i = 0; i < steps; i++, p += 64) {
      a = _mm_sub_epi8(a, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), needle));
      b = _mm_sub_epi8(b, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), needle));
      c = _mm_sub_epi8(c, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), needle));
      d = _mm_sub_epi8(d, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), needle));
    }
    __m128i sums = _mm_add_epi64(_mm_add_epi64(_mm_sad_epu8(a, zero), _mm_sad_epu8(b, zero)),
                                 _mm_add_epi64(_mm_sad_epu8(c, zero), _mm_sad_epu8(d, zero)));
    total += _mm_cvtsi128_si64(sums) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums));
    len -= steps * 64;
  }
  for (size_t i = 0; i < len; i++) total += (p[i] == byte);
  return total;
}
#else
static int64_t count_bytes(const uint8_t *p, uint8_t byte, size_t len) {
  int64_t total = 0;
  for (size_t i = 0; i < len; i++) total += (p[i] == byte);
  return total;
}
#endif

int64_t barlua_count(const barlua_window *w, uint64_t off, uint8_t byte, size_t len) {
  int faulted;
  int64_t n = 0;
  BARLUA_GUARDED(faulted, n = count_bytes((const uint8_t *)(w->base + off), byte, len));
  return faulted ? -1 : n;
}

int64_t barlua_compare(const barlua_window *w, uint64_t off, const void *s, size_t len) {
  int faulted;
  int64_t at = -1;
  const uint8_t *p = (const uint8_t *)(w->base + off);
  const uint8_t *q = s;
  BARLUA_GUARDED(faulted, {
    if (memcmp(p, q, len) != 0) {
      size_t i = 0;
      while (p[i] == q[i]) i++;
      at = (int64_t)i;
    }
  });
  return faulted ? -2 : at;
}
