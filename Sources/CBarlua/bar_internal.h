// What the bar's C files share: the userdata layout and the argument checks.
//
// The checks run on every access, so each is an always-inlined fast path; what it reports
// on failure lives in a cold, out-of-line function in bar_args.c (measured with callgrind:
// out-of-line checks cost ~100 instructions per access, a third of the whole call).
#ifndef BAR_INTERNAL_H
#define BAR_INTERNAL_H
#include <lauxlib.h>
#include <stdint.h>

#include "cbarlua.h"

#define BAR_MAGIC UINT64_C(0xba21c0de5eed0001)

typedef struct barlua_bar {
  uint64_t magic;
  barlua_window *win;  // NULL once this bar has been unmapped
  void *owner;
  void (*unmap)(void *);
  void (*release)(void *);
  unsigned flags;              // BARLUA_BAR_*
  struct barlua_trace *trace;  // recording this bar's accesses (bar:trace), else NULL
} barlua_bar;

#define HOT static inline __attribute__((always_inline))
#define COLD __attribute__((cold, noinline, noreturn))
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

// ---- error reporting (bar_args.c): each names the function, the argument and the limit ----
/// luaL_error with printf formats (lua_pushfstring has no %x): "where: message".
int bar_error(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/// The type name a user recognises: __name of the metatable (e.g. FILE*), else the Lua type.
const char *bar_type_name(lua_State *L, int i);
/// 1 when the bar at `i` is a DMA buffer (its fields include `iova`: VFIOModule+DMA.swift).
int bar_is_dma(lua_State *L, int i);
COLD void bar_bad_self(lua_State *L, const char *fn, const barlua_bar *b);
COLD void bar_too_many_args(lua_State *L, const char *fn, int max, const char *usage);
COLD void bar_not_integer(lua_State *L, int i, const char *fn, const char *what);
COLD void bar_bad_range(lua_State *L, lua_Integer off, uint64_t size, const char *fn,
                        uint64_t width, uint64_t align);
COLD void bar_too_wide(lua_State *L, lua_Integer v, const char *fn, int bits, const char *what);
/// A bus error in a single access at `off`.
COLD void bar_bus_error(lua_State *L, const char *fn, uint64_t off);
/// A bus error in a bulk operation of `len` bytes: where it faulted and how much was done.
COLD void bar_bulk_bus_error(lua_State *L, const char *fn, const barlua_fault *f, uint64_t len,
                             const char *done);

// A bar is a full userdata of exactly our size with our magic word. lua_rawlen is the
// userdata's size only for full userdata (a string or table of that length gives NULL from
// lua_touserdata, light userdata has length 0), so two calls decide it.
HOT barlua_bar *to_bar(lua_State *L, int i) {
  if (lua_rawlen(L, i) != sizeof(barlua_bar)) return NULL;
  barlua_bar *b = lua_touserdata(L, i);
  return (b != NULL && b->magic == BAR_MAGIC) ? b : NULL;
}

HOT barlua_bar *check_bar(lua_State *L, const char *fn) {
  barlua_bar *b = to_bar(L, 1);
  if (UNLIKELY(b == NULL || b->win == NULL || b->win->base == NULL)) bar_bad_self(L, fn, b);
  return b;
}

// check_bar for the methods that store into the mapping: a read-only bar is refused in the
// same (cold) failure path, so the check costs one more test of a field already in cache.
HOT barlua_bar *check_writable_bar(lua_State *L, const char *fn) {
  barlua_bar *b = to_bar(L, 1);
  if (UNLIKELY(b == NULL || b->win == NULL || b->win->base == NULL ||
               (b->flags & BARLUA_BAR_READ_ONLY)))
    bar_bad_self(L, fn, b);
  return b;
}

HOT void check_nargs(lua_State *L, const char *fn, int max, const char *usage) {
  if (UNLIKELY(lua_gettop(L) - 1 > max)) bar_too_many_args(L, fn, max, usage);
}

HOT lua_Integer check_int(lua_State *L, int i, const char *fn, const char *what) {
  int isnum;
  lua_Integer v = lua_tointegerx(L, i, &isnum);
  if (UNLIKELY(!isnum)) bar_not_integer(L, i, fn, what);
  return v;
}

// Checks that [off, off+width) lies inside the bar and that off is a multiple of `align`
// (a power of two). One branch on the fast path.
HOT uint64_t check_range(lua_State *L, barlua_bar *b, int i, const char *fn, uint64_t width,
                         uint64_t align) {
  lua_Integer off = check_int(L, i, fn, "offset");
  uint64_t o = (uint64_t)off, size = b->win->size;
  if (UNLIKELY(off < 0 || (o & (align - 1)) != 0 || o > size || width > size - o))
    bar_bad_range(L, off, size, fn, width, align);
  return o;
}

// Values for an n-bit write: 0 .. 2^n-1, or a negative number down to -2^(n-1) (two's
// complement), so `~x` and sign-extended results still work. 64-bit takes any integer.
HOT uint64_t check_value_named(lua_State *L, int i, const char *fn, int bits, const char *what) {
  lua_Integer v = check_int(L, i, fn, what);
  if (bits < 64) {
    lua_Integer hi = ((lua_Integer)1 << bits) - 1, lo = -((lua_Integer)1 << (bits - 1));
    if (UNLIKELY(v > hi || v < lo)) bar_too_wide(L, v, fn, bits, what);
  }
  return (uint64_t)v;
}

HOT uint64_t check_value(lua_State *L, int i, const char *fn, int bits) {
  return check_value_named(L, i, fn, bits, "value");
}

// ---- access traces (bar_trace.c) ----
// What an entry records, by the bar method that made it (the names are in bar_trace.c).
enum {
  TR_READ8,
  TR_READ16,
  TR_READ32,
  TR_READ64,
  TR_WRITE8,
  TR_WRITE16,
  TR_WRITE32,
  TR_WRITE64,
  TR_READ64HL,
  TR_READ64LH,
  TR_WRITE64HL,
  TR_WRITE64LH,
  TR_READ,
  TR_WRITE,
  TR_FILL,
  TR_COUNT,
  TR_COMPARE,
  TR_POLL32,
  TR_POLL64,
  TR_DUMP,
  TR_NKINDS
};
/// Appends one entry (called only while tracing). `data`/`dlen`: bytes a bulk read or write
/// moved, copied while the trace's data budget lasts.
void barlua_trace_add(struct barlua_trace *t, unsigned kind, unsigned width, uint64_t off,
                      uint64_t value, uint64_t len, uint64_t aux, const void *data, size_t dlen);
/// Frees a trace still being recorded when its bar is collected.
void barlua_trace_free(struct barlua_trace *t);

// The hot-path hook: one load and one untaken branch while tracing is off.
HOT void trace_single(barlua_bar *b, unsigned kind, unsigned width, uint64_t off, uint64_t v) {
  if (UNLIKELY(b->trace != NULL)) barlua_trace_add(b->trace, kind, width, off, v, 0, 0, NULL, 0);
}

// ---- bulk arguments (bar_args.c) ----
/// [off, off+len) must lie inside the bar (off was checked already).
void bar_check_fits(lua_State *L, barlua_bar *b, const char *fn, uint64_t off, uint64_t len);
/// Optional [off[, len]] at stack index i: defaults 0 and "to the end".
void bar_check_span(lua_State *L, barlua_bar *b, int i, const char *fn, uint64_t *off,
                    uint64_t *len);
/// A byte value 0..255 at i.
uint8_t bar_check_byte(lua_State *L, int i, const char *fn);
/// The optional access width at i: 0 when absent, else 8, 16, 32 or 64, with off and len
/// (named `what` in messages) multiples of width/8 and the mapping's address aligned too.
unsigned bar_check_width(lua_State *L, barlua_bar *b, int i, const char *fn, uint64_t off,
                         uint64_t len, const char *what);

// ---- the methods, by file ----
int bar_read8(lua_State *L);  // bar_access.c
int bar_read16(lua_State *L);
int bar_read32(lua_State *L);
int bar_read64(lua_State *L);
int bar_write8(lua_State *L);
int bar_write16(lua_State *L);
int bar_write32(lua_State *L);
int bar_write64(lua_State *L);
int bar_read64hl(lua_State *L);
int bar_read64lh(lua_State *L);
int bar_write64hl(lua_State *L);
int bar_write64lh(lua_State *L);
int bar_read(lua_State *L);  // bar_bulk.c
int bar_write(lua_State *L);
int bar_fill(lua_State *L);
int bar_count(lua_State *L);
int bar_compare(lua_State *L);
int bar_poll32(lua_State *L);  // bar_poll.c
int bar_poll64(lua_State *L);
int bar_dump(lua_State *L);      // bar_dump.c
int bar_tostring(lua_State *L);  // bar_tostring.c
int bar_trace(lua_State *L);     // bar_trace.c
int bar_trace_stop(lua_State *L);

#endif
