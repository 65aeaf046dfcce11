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

// Plain loop over a non-volatile view: the compiler vectorises it (compare + subtract),
// which is what makes bar:count run at memory speed.
static int64_t count_bytes(const uint8_t *p, uint8_t byte, size_t len) {
  int64_t total = 0;
  while (len > 0) {
    // Chunks of at most 255 * 16 bytes keep an 8-bit per-lane accumulator from overflowing
    // in the vectorised loop while the outer sum stays 64-bit.
    size_t n = len < 4080 ? len : 4080;
    uint32_t c = 0;
    for (size_t i = 0; i < n; i++) c += (p[i] == byte);
    total += c;
    p += n;
    len -= n;
  }
  return total;
}

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
