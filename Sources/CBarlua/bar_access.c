// Single accesses: bar:readN / bar:writeN (exactly one volatile access of N bits each) and
// the split 64-bit forms (two 32-bit accesses, high or low word first).
#include "bar_internal.h"

#define DEFINE_READ(bits)                                                                 \
  int bar_read##bits(lua_State *L) {                                                      \
    barlua_bar *b = check_bar(L, "read" #bits);                                           \
    check_nargs(L, "read" #bits, 1, "offset");                                            \
    uint64_t off = check_range(L, b, 2, "read" #bits, bits / 8, bits / 8);                \
    uint##bits##_t v;                                                                     \
    if (barlua_try_rd##bits(b->win->base + off, &v)) bar_bus_error(L, "read" #bits, off); \
    trace_single(b, TR_READ##bits, bits, off, v);                                         \
    lua_pushinteger(L, (lua_Integer)v);                                                   \
    return 1;                                                                             \
  }

#define DEFINE_WRITE(bits)                                                                \
  int bar_write##bits(lua_State *L) {                                                     \
    barlua_bar *b = check_writable_bar(L, "write" #bits);                                 \
    check_nargs(L, "write" #bits, 2, "offset, value");                                    \
    uint64_t off = check_range(L, b, 2, "write" #bits, bits / 8, bits / 8);               \
    uint##bits##_t v = (uint##bits##_t)check_value(L, 3, "write" #bits, bits);            \
    if (barlua_try_wr##bits(b->win->base + off, v)) bar_bus_error(L, "write" #bits, off); \
    trace_single(b, TR_WRITE##bits, bits, off, v);                                        \
    return 0;                                                                             \
  }

DEFINE_READ(8)
DEFINE_READ(16)
DEFINE_READ(32)
DEFINE_READ(64)
DEFINE_WRITE(8)
DEFINE_WRITE(16)
DEFINE_WRITE(32)
DEFINE_WRITE(64)

// 64-bit values as two 32-bit accesses; `high_first` = high word (off+4) first.
static int read64_split(lua_State *L, const char *fn, int high_first) {
  barlua_bar *b = check_bar(L, fn);
  check_nargs(L, fn, 1, "offset");
  uint64_t off = check_range(L, b, 2, fn, 8, 8);
  uint32_t lo = 0, hi = 0;
  volatile uint8_t *p = b->win->base + off;
  int faulted = high_first ? barlua_try_rd32(p + 4, &hi) || barlua_try_rd32(p, &lo)
                           : barlua_try_rd32(p, &lo) || barlua_try_rd32(p + 4, &hi);
  if (faulted) bar_bus_error(L, fn, off);
  trace_single(b, high_first ? TR_READ64HL : TR_READ64LH, 64, off, ((uint64_t)hi << 32) | lo);
  lua_pushinteger(L, (lua_Integer)(((uint64_t)hi << 32) | lo));
  return 1;
}

static int write64_split(lua_State *L, const char *fn, int high_first) {
  barlua_bar *b = check_writable_bar(L, fn);
  check_nargs(L, fn, 2, "offset, value");
  uint64_t off = check_range(L, b, 2, fn, 8, 8);
  uint64_t v = check_value(L, 3, fn, 64);
  volatile uint8_t *p = b->win->base + off;
  uint32_t hi = (uint32_t)(v >> 32), lo = (uint32_t)v;
  int faulted = high_first ? barlua_try_wr32(p + 4, hi) || barlua_try_wr32(p, lo)
                           : barlua_try_wr32(p, lo) || barlua_try_wr32(p + 4, hi);
  if (faulted) bar_bus_error(L, fn, off);
  trace_single(b, high_first ? TR_WRITE64HL : TR_WRITE64LH, 64, off, v);
  return 0;
}

int bar_read64hl(lua_State *L) { return read64_split(L, "read64hl", 1); }
int bar_read64lh(lua_State *L) { return read64_split(L, "read64lh", 0); }
int bar_write64hl(lua_State *L) { return write64_split(L, "write64hl", 1); }
int bar_write64lh(lua_State *L) { return write64_split(L, "write64lh", 0); }
