// The bar's argument checks that are not on the per-access fast path, and every error the
// bar methods raise: each names the function, the argument and the limit.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "bar_internal.h"

int bar_error(lua_State *L, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  luaL_where(L, 1);
  lua_pushstring(L, msg);
  lua_concat(L, 2);
  return lua_error(L);
}

const char *bar_type_name(lua_State *L, int i) {
  if (lua_isnone(L, i)) return "no value";
  if (luaL_getmetafield(L, i, "__name") == LUA_TSTRING) {
    const char *n = lua_tostring(L, -1);
    lua_pop(L, 1);  // still referenced by the metatable
    return n;
  }
  return luaL_typename(L, i);
}

int bar_is_dma(lua_State *L, int i) {
  int dma = luaL_getmetafield(L, i, BARLUA_BAR_FIELD_IOVA) != LUA_TNIL;
  if (dma) lua_pop(L, 1);
  return dma;
}

void bar_bad_self(lua_State *L, const char *fn, const barlua_bar *b) {
  if (b == NULL)
    bar_error(L, "bar:%s: expected a bar as self (call it as bar:%s(...)), got %s", fn, fn,
              bar_type_name(L, 1));
  if (b->win == NULL || b->win->base == NULL)
    bar_error(L, "bar:%s: %s", fn, bar_is_dma(L, 1) ? "dma buffer is freed" : "bar is unmapped");
  bar_error(L,
            "bar:%s: bar is mapped read-only (mapped with {write=false}): map it again without "
            "write=false to write",
            fn);
  abort();
}

void bar_too_many_args(lua_State *L, const char *fn, int max, const char *usage) {
  int n = lua_gettop(L) - 1;
  bar_error(L, "bar:%s: takes at most %d argument%s (%s), got %d", fn, max, max == 1 ? "" : "s",
            usage, n);
  abort();
}

void bar_not_integer(lua_State *L, int i, const char *fn, const char *what) {
  if (lua_type(L, i) == LUA_TNUMBER)
    bar_error(L, "bar:%s: %s must be an integer, got %s", fn, what, lua_tostring(L, i));
  bar_error(L, "bar:%s: %s must be an integer, got %s", fn, what,
            lua_isnone(L, i) ? "no value" : luaL_typename(L, i));
  abort();
}

void bar_bad_range(lua_State *L, lua_Integer off, uint64_t size, const char *fn, uint64_t width,
                   uint64_t align) {
  if (off < 0) bar_error(L, "bar:%s: offset %lld is negative", fn, (long long)off);
  if (align > 1 && ((uint64_t)off % align) != 0)
    bar_error(L, "bar:%s: offset 0x%llx is not %d-byte aligned", fn, (long long)off, (int)align);
  bar_error(L, "bar:%s: offset 0x%llx + %lld exceeds BAR size 0x%llx", fn, (long long)off,
            (long long)width, (long long)size);
  abort();
}

void bar_too_wide(lua_State *L, lua_Integer v, const char *fn, int bits, const char *what) {
  lua_Integer hi = ((lua_Integer)1 << bits) - 1, lo = -((lua_Integer)1 << (bits - 1));
  bar_error(L, "bar:%s: %s %lld (0x%llx) does not fit in %d bits (0..0x%llx or %lld..-1)", fn, what,
            (long long)v, (long long)v, bits, (long long)hi, (long long)lo);
  abort();
}

#define BUS_ERROR_CAUSE                                                                       \
  "the device or file stopped backing this mapping (device removed, memory decode disabled, " \
  "or file truncated)"

void bar_bus_error(lua_State *L, const char *fn, uint64_t off) {
  bar_error(L, "bar:%s: bus error at offset 0x%llx: " BUS_ERROR_CAUSE, fn, (long long)off);
  abort();
}

void bar_bulk_bus_error(lua_State *L, const char *fn, const barlua_fault *f, uint64_t len,
                        const char *done) {
  bar_error(L, "bar:%s: bus error at offset 0x%llx after %llu of %llu bytes %s: " BUS_ERROR_CAUSE,
            fn, (long long)f->offset, (unsigned long long)f->done, (unsigned long long)len, done);
  abort();
}

void bar_check_fits(lua_State *L, barlua_bar *b, const char *fn, uint64_t off, uint64_t len) {
  if (len > b->win->size - off)
    bar_error(L, "bar:%s: offset 0x%llx + length 0x%llx exceeds BAR size 0x%llx", fn,
              (long long)off, (long long)len, (long long)b->win->size);
}

void bar_check_span(lua_State *L, barlua_bar *b, int i, const char *fn, uint64_t *off,
                    uint64_t *len) {
  uint64_t size = b->win->size;
  *off = 0;
  if (!lua_isnoneornil(L, i)) *off = check_range(L, b, i, fn, 0, 1);
  *len = size - *off;
  if (!lua_isnoneornil(L, i + 1)) {
    lua_Integer l = check_int(L, i + 1, fn, "length");
    if (l < 0) bar_error(L, "bar:%s: length %lld is negative", fn, (long long)l);
    bar_check_fits(L, b, fn, *off, (uint64_t)l);
    *len = (uint64_t)l;
  }
}

uint8_t bar_check_byte(lua_State *L, int i, const char *fn) {
  lua_Integer v = check_int(L, i, fn, "byte");
  if (v < 0 || v > 255)
    bar_error(L, "bar:%s: byte %lld is out of range (0..255)", fn, (long long)v);
  return (uint8_t)v;
}

unsigned bar_check_width(lua_State *L, barlua_bar *b, int i, const char *fn, uint64_t off,
                         uint64_t len, const char *what) {
  if (lua_isnoneornil(L, i)) return 0;
  lua_Integer w = check_int(L, i, fn, "width");
  if (w != 8 && w != 16 && w != 32 && w != 64)
    bar_error(L, "bar:%s: width must be 8, 16, 32 or 64 (bits per access), got %lld", fn,
              (long long)w);
  unsigned width = (unsigned)w;
  uint64_t n = width / 8;
  if (off % n != 0)
    bar_error(L,
              "bar:%s: offset 0x%llx is not a multiple of %llu: %u-bit accesses must be %llu-byte "
              "aligned",
              fn, (unsigned long long)off, (unsigned long long)n, width, (unsigned long long)n);
  if (len % n != 0)
    bar_error(L,
              "bar:%s: %s %llu is not a multiple of %llu: %u-bit accesses move whole %llu-byte "
              "units",
              fn, what, (unsigned long long)len, (unsigned long long)n, width,
              (unsigned long long)n);
  if ((uintptr_t)(b->win->base + off) % n != 0)
    bar_error(L,
              "bar:%s: the mapping's address %p + 0x%llx is not %llu-byte aligned (the bar was "
              "mapped at an unaligned file offset): map it at an offset that is a multiple of %llu",
              fn, (void *)(b->win->base), (unsigned long long)off, (unsigned long long)n,
              (unsigned long long)n);
  return width;
}
