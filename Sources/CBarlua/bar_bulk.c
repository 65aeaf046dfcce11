// Bulk operations: bar:read / bar:write / bar:fill (optionally exact-width), bar:count and
// bar:compare. The loops live in CBarluaSys (bulk.c, exact.c): each device byte is touched at
// most once, in ascending order, never outside [off, off+len); a bus error reports where it
// happened and how much had been done.
#include <string.h>

#include "bar_internal.h"

// Lua 5.4 interns strings up to this length (LUAI_MAXSHORTLEN) by hashing and comparing the
// source bytes, which would read device memory more than once: those are copied out first.
#define SHORT_STRING 40

struct push_args {
  const volatile uint8_t *src;
  size_t len;
  barlua_guard *guard;
  int faulted;
};

// Runs under lua_pcall: lua_pushlstring allocates the string and copies the mapping into it
// (memcpy, one pass); a memory error unwinds to the pcall, not through the armed guard.
static int push_guarded(lua_State *L) {
  struct push_args *a = lua_touserdata(L, 1);
  a->faulted =
      BARLUA_GUARDED(a->guard, a->src, a->len, lua_pushlstring(L, (const char *)a->src, a->len));
  return a->faulted ? 0 : 1;
}

// bar:read without width on ordinary memory (a regular file): one copy, straight from the
// mapping into the new string. Device memory goes through barlua_transfer's 16-byte accesses
// instead (memcpy's `rep movsb` degrades to single-byte accesses on uncached memory).
static void read_one_copy(lua_State *L, barlua_bar *b, uint64_t off, size_t len) {
  barlua_guard g;
  struct push_args a = {b->win->base + off, len, &g, 0};
  lua_pushcfunction(L, push_guarded);
  lua_pushlightuserdata(L, &a);
  int status = lua_pcall(L, 1, 1, 0);
  barlua_guard_active = NULL;  // when the pcall unwound from inside the guard
  if (status != LUA_OK) lua_error(L);
  if (a.faulted) {
    barlua_fault f;
    barlua_guard_report(b->win, off, &g, 1, &f);
    bar_bulk_bus_error(L, "read", &f, len, "read");
  }
}

// The transfer of bar:read, bar:write or bar:fill (arguments checked), a bus error raised as
// the Lua error that names the method and how much was done.
static void transfer(lua_State *L, barlua_bar *b, barlua_op op, uint64_t off, void *data,
                     size_t len, unsigned width) {
  static const char *const method[] = {"read", "write", "fill"};
  static const char *const done[] = {"read", "written", "written"};
  barlua_fault f;
  if (barlua_transfer(b->win, op, off, data, len, width, &f) != 0)
    bar_bulk_bus_error(L, method[op], &f, len, done[op]);
}

// Records a bulk read whose result string is on top of the stack.
static void trace_read(lua_State *L, barlua_bar *b, uint64_t off, unsigned width) {
  if (UNLIKELY(b->trace != NULL)) {
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    barlua_trace_add(b->trace, TR_READ, width, off, 0, n, 0, s, n);
  }
}

// bar:read(off, len[, width]) -> string
int bar_read(lua_State *L) {
  barlua_bar *b = check_bar(L, "read");
  check_nargs(L, "read", 3, "offset, length, width");
  uint64_t off = check_range(L, b, 2, "read", 0, 1);
  lua_Integer l = check_int(L, 3, "read", "length");
  if (l < 0) bar_error(L, "bar:read: length %lld is negative", (long long)l);
  bar_check_fits(L, b, "read", off, (uint64_t)l);
  size_t len = (size_t)l;
  unsigned width = bar_check_width(L, b, 4, "read", off, len, "length");
  if (len <= SHORT_STRING) {
    char tmp[SHORT_STRING];
    transfer(L, b, BARLUA_OP_READ, off, tmp, len, width);
    lua_pushlstring(L, tmp, len);
  } else if (!width && (b->flags & BARLUA_BAR_RAM)) {
    read_one_copy(L, b, off, len);
  } else {
    luaL_Buffer buf;
    char *dst = luaL_buffinitsize(L, &buf, len);
    transfer(L, b, BARLUA_OP_READ, off, dst, len, width);
    luaL_pushresultsize(&buf, len);
  }
  trace_read(L, b, off, width);
  return 1;
}

// The (offset, string) arguments of bar:write and bar:compare.
static const char *check_data(lua_State *L, barlua_bar *b, const char *fn, int nargs,
                              const char *usage, uint64_t *off, size_t *len) {
  check_nargs(L, fn, nargs, usage);
  *off = check_range(L, b, 2, fn, 0, 1);
  if (lua_type(L, 3) != LUA_TSTRING)
    bar_error(L, "bar:%s: data must be a string, got %s", fn,
              lua_isnone(L, 3) ? "no value" : luaL_typename(L, 3));
  const char *s = lua_tolstring(L, 3, len);
  bar_check_fits(L, b, fn, *off, *len);
  return s;
}

// bar:write(off, s[, width])
int bar_write(lua_State *L) {
  barlua_bar *b = check_writable_bar(L, "write");
  uint64_t off;
  size_t len;
  const char *s = check_data(L, b, "write", 3, "offset, string, width", &off, &len);
  unsigned width = bar_check_width(L, b, 4, "write", off, len, "string length");
  transfer(L, b, BARLUA_OP_WRITE, off, (void *)(uintptr_t)s, len, width);  // only read
  if (UNLIKELY(b->trace != NULL))
    barlua_trace_add(b->trace, TR_WRITE, width, off, 0, len, 0, s, len);
  return 0;
}

// bar:fill(byte[, off[, len[, width]]])
int bar_fill(lua_State *L) {
  barlua_bar *b = check_writable_bar(L, "fill");
  check_nargs(L, "fill", 4, "byte, offset, length, width");
  uint8_t byte = bar_check_byte(L, 2, "fill");
  uint64_t off, len;
  bar_check_span(L, b, 3, "fill", &off, &len);
  unsigned width = bar_check_width(L, b, 5, "fill", off, len, "length");
  transfer(L, b, BARLUA_OP_FILL, off, &byte, (size_t)len, width);
  if (UNLIKELY(b->trace != NULL))
    barlua_trace_add(b->trace, TR_FILL, width, off, byte, len, 0, NULL, 0);
  return 0;
}

// bar:count(byte[, off[, len]]) -> how many bytes equal `byte`
int bar_count(lua_State *L) {
  barlua_bar *b = check_bar(L, "count");
  check_nargs(L, "count", 3, "byte, offset, length");
  uint8_t byte = bar_check_byte(L, 2, "count");
  uint64_t off, len, n;
  bar_check_span(L, b, 3, "count", &off, &len);
  barlua_fault f;
  if (barlua_count(b->win, off, byte, (size_t)len, &n, &f) != 0)
    bar_bulk_bus_error(L, "count", &f, len, "examined");
  if (UNLIKELY(b->trace != NULL))
    barlua_trace_add(b->trace, TR_COUNT, 0, off, n, len, byte, NULL, 0);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

// bar:compare(off, s) -> nil when equal, else the bar offset of the first difference
int bar_compare(lua_State *L) {
  barlua_bar *b = check_bar(L, "compare");
  uint64_t off;
  size_t len;
  const char *s = check_data(L, b, "compare", 2, "offset, string", &off, &len);
  int64_t at;
  barlua_fault f;
  if (barlua_compare(b->win, off, s, len, &at, &f) != 0)
    bar_bulk_bus_error(L, "compare", &f, len, "compared");
  if (UNLIKELY(b->trace != NULL))
    barlua_trace_add(b->trace, TR_COMPARE, 0, off, at < 0 ? UINT64_MAX : off + (uint64_t)at, len, 0,
                     s, len);
  if (at < 0)
    lua_pushnil(L);
  else
    lua_pushinteger(L, (lua_Integer)(off + (uint64_t)at));
  return 1;
}
