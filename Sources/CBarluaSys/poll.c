// Polling a register in C: a tight loop of volatile reads with a CLOCK_MONOTONIC deadline.
//
// The clock (about 20 ns through the vDSO) is read every `batch` reads, and `batch` adapts so
// that checks come every 1-10 microseconds: on RAM (under a nanosecond per read) the loop
// runs at the speed of a bare read loop, on an uncached BAR (~100-1000 ns per read) the
// deadline and Ctrl-C are still seen within microseconds.
#include "barlua_interrupt.h"
#include "barlua_sys.h"

static uint64_t now_ns(void) { return (uint64_t)barlua_monotonic_ns(); }

enum { MIN_CHECK_NS = 1000, MAX_CHECK_NS = 10000, MAX_BATCH = 1 << 16 };

#define POLL_LOOP(bits)                                                                       \
  static barlua_poll_status poll##bits(const volatile uint##bits##_t *p, uint##bits##_t mask, \
                                       uint##bits##_t want, uint64_t timeout_ns,              \
                                       int (*interrupted)(void), barlua_poll_result *r) {     \
    uint64_t start = now_ns(), last_check = start, reads = 0;                                 \
    uint32_t batch = 1;                                                                       \
    uint##bits##_t v = 0;                                                                     \
    for (;;) {                                                                                \
      for (uint32_t i = 0; i < batch; i++) {                                                  \
        v = *p;                                                                               \
        if ((v & mask) == want) {                                                             \
          r->value = v;                                                                       \
          r->reads = reads + i + 1;                                                           \
          r->elapsed_ns = now_ns() - start;                                                   \
          return BARLUA_POLL_MATCH;                                                           \
        }                                                                                     \
      }                                                                                       \
      reads += batch;                                                                         \
      r->value = v;                                                                           \
      r->reads = reads;                                                                       \
      uint64_t t = now_ns();                                                                  \
      r->elapsed_ns = t - start;                                                              \
      if (t - start >= timeout_ns) return BARLUA_POLL_TIMEOUT;                                \
      if (interrupted != NULL && interrupted()) return BARLUA_POLL_INTERRUPTED;               \
      if (t - last_check < MIN_CHECK_NS && batch < MAX_BATCH)                                 \
        batch *= 2;                                                                           \
      else if (t - last_check > MAX_CHECK_NS && batch > 1)                                    \
        batch /= 2;                                                                           \
      last_check = t;                                                                         \
    }                                                                                         \
  }
POLL_LOOP(32)
POLL_LOOP(64)

barlua_poll_status barlua_poll(const barlua_window *w, uint64_t off, unsigned width, uint64_t mask,
                               uint64_t want, uint64_t timeout_ns, int (*interrupted)(void),
                               barlua_poll_result *result) {
  barlua_guard g;
  const volatile uint8_t *p = w->base + off;
  volatile barlua_poll_status status = BARLUA_POLL_TIMEOUT;
  result->value = 0;
  result->elapsed_ns = 0;
  result->reads = 0;
  if (BARLUA_GUARDED(&g, p, width / 8,
                     status = width == 32 ? poll32((const volatile uint32_t *)p, (uint32_t)mask,
                                                   (uint32_t)want, timeout_ns, interrupted, result)
                                          : poll64((const volatile uint64_t *)p, mask, want,
                                                   timeout_ns, interrupted, result))) {
    barlua_guard_report(w, off, &g, width / 8, &result->fault);
    return BARLUA_POLL_FAULT;
  }
  return status;
}
