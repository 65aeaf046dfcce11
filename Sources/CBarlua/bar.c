// The `bar` userdata: one mapping seen from Lua.
//
// Every method is a plain C function (no Swift frame below it), so it may raise Lua errors.
// Speed: each bar has its own metatable P that holds the shared methods AND the bar's
// fields, with P.__index = P. A method call is then one table lookup, like a bare Lua C
// function; a shared C `__index` (needed for per-bar fields) costs 1.5x per call (measured,
// see ARCHITECTURE.md). The type is recognised by the userdata's exact size and a magic word,
// which costs no table lookup. P.__name is "barlua.bar" and P.__metatable hides P from scripts.
#include <lauxlib.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cbarlua.h"

#define BAR_MAGIC UINT64_C(0xba21c0de5eed0001)
#define BAR_METHODS "barlua.bar.methods"

typedef struct barlua_bar {
  uint64_t magic;
  barlua_window *win;  // NULL once this bar has been unmapped
  void *owner;
  void (*unmap)(void *);
  void (*release)(void *);
} barlua_bar;

// luaL_error with printf formats (lua_pushfstring has no %x): "where: message".
static int bar_error(lua_State *L, const char *fmt, ...) {
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

// ---- argument checking (each error names the function, the argument and the limit) ----
//
// The checks run on every access, so each is an always-inlined fast path; what it reports
// on failure lives in a cold, out-of-line function (measured with callgrind: out-of-line
// checks cost ~100 instructions per access, a third of the whole call).
#define HOT static inline __attribute__((always_inline))
#define COLD static __attribute__((cold, noinline, noreturn))
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

// The type name a user recognises: __name of the metatable (e.g. FILE*), else the Lua type.
static const char *type_name(lua_State *L, int i) {
  if (lua_isnone(L, i)) return "no value";
  if (luaL_getmetafield(L, i, "__name") == LUA_TSTRING) {
    const char *n = lua_tostring(L, -1);
    lua_pop(L, 1);  // still referenced by the metatable
    return n;
  }
  return luaL_typename(L, i);
}

// A bar is a full userdata of exactly our size with our magic word. lua_rawlen is the
// userdata's size only for full userdata (a string or table of that length gives NULL from
// lua_touserdata, light userdata has length 0), so two calls decide it.
HOT barlua_bar *to_bar(lua_State *L, int i) {
  if (lua_rawlen(L, i) != sizeof(barlua_bar)) return NULL;
  barlua_bar *b = lua_touserdata(L, i);
  return (b != NULL && b->magic == BAR_MAGIC) ? b : NULL;
}

// A DMA buffer is a bar whose fields include `iova` (VFIOModule+DMA.swift).
static int is_dma(lua_State *L) {
  int dma = luaL_getmetafield(L, 1, "iova") != LUA_TNIL;
  if (dma) lua_pop(L, 1);
  return dma;
}

COLD void bad_self(lua_State *L, const char *fn, barlua_bar *b) {
  if (b == NULL)
    bar_error(L, "bar:%s: expected a bar as self (call it as bar:%s(...)), got %s", fn, fn,
              type_name(L, 1));
  bar_error(L, "bar:%s: %s", fn, is_dma(L) ? "dma buffer is freed" : "bar is unmapped");
  abort();
}

HOT barlua_bar *check_bar(lua_State *L, const char *fn) {
  barlua_bar *b = to_bar(L, 1);
  if (UNLIKELY(b == NULL || b->win == NULL || b->win->base == NULL)) bad_self(L, fn, b);
  return b;
}

COLD void too_many_args(lua_State *L, const char *fn, int max, const char *usage) {
  int n = lua_gettop(L) - 1;
  bar_error(L, "bar:%s: takes at most %d argument%s (%s), got %d", fn, max, max == 1 ? "" : "s",
            usage, n);
  abort();
}

HOT void check_nargs(lua_State *L, const char *fn, int max, const char *usage) {
  if (UNLIKELY(lua_gettop(L) - 1 > max)) too_many_args(L, fn, max, usage);
}

COLD void not_integer(lua_State *L, int i, const char *fn, const char *what) {
  if (lua_type(L, i) == LUA_TNUMBER)
    bar_error(L, "bar:%s: %s must be an integer, got %s", fn, what, lua_tostring(L, i));
  bar_error(L, "bar:%s: %s must be an integer, got %s", fn, what,
            lua_isnone(L, i) ? "no value" : luaL_typename(L, i));
  abort();
}

HOT lua_Integer check_int(lua_State *L, int i, const char *fn, const char *what) {
  int isnum;
  lua_Integer v = lua_tointegerx(L, i, &isnum);
  if (UNLIKELY(!isnum)) not_integer(L, i, fn, what);
  return v;
}

COLD void bad_range(lua_State *L, lua_Integer off, uint64_t size, const char *fn,
                    uint64_t width, uint64_t align) {
  if (off < 0) bar_error(L, "bar:%s: offset %lld is negative", fn, (long long)off);
  if (align > 1 && ((uint64_t)off % align) != 0)
    bar_error(L, "bar:%s: offset 0x%llx is not %d-byte aligned", fn, (long long)off, (int)align);
  bar_error(L, "bar:%s: offset 0x%llx + %lld exceeds BAR size 0x%llx", fn, (long long)off,
            (long long)width, (long long)size);
  abort();
}

// Checks that [off, off+width) lies inside the bar and that off is a multiple of `align`
// (a power of two). One branch on the fast path.
HOT uint64_t check_range(lua_State *L, barlua_bar *b, int i, const char *fn, uint64_t width,
                         uint64_t align) {
  lua_Integer off = check_int(L, i, fn, "offset");
  uint64_t o = (uint64_t)off, size = b->win->size;
  if (UNLIKELY(off < 0 || (o & (align - 1)) != 0 || o > size || width > size - o))
    bad_range(L, off, size, fn, width, align);
  return o;
}

COLD void too_wide(lua_State *L, lua_Integer v, const char *fn, int bits) {
  lua_Integer hi = ((lua_Integer)1 << bits) - 1, lo = -((lua_Integer)1 << (bits - 1));
  bar_error(L, "bar:%s: value %lld (0x%llx) does not fit in %d bits (0..0x%llx or %lld..-1)", fn,
            (long long)v, (long long)v, bits, (long long)hi, (long long)lo);
  abort();
}

// Values for an n-bit write: 0 .. 2^n-1, or a negative number down to -2^(n-1) (two's
// complement), so `~x` and sign-extended results still work. 64-bit takes any integer.
HOT uint64_t check_value(lua_State *L, int i, const char *fn, int bits) {
  lua_Integer v = check_int(L, i, fn, "value");
  if (bits < 64) {
    lua_Integer hi = ((lua_Integer)1 << bits) - 1, lo = -((lua_Integer)1 << (bits - 1));
    if (UNLIKELY(v > hi || v < lo)) too_wide(L, v, fn, bits);
  }
  return (uint64_t)v;
}

__attribute__((cold, noinline)) static int bus_error(lua_State *L, const char *fn, uint64_t off) {
  return bar_error(L,
                    "bar:%s: bus error at offset 0x%llx: the device or file stopped backing this "
                    "mapping (device removed, memory decode disabled, or file truncated)",
                    fn, (long long)off);
}

// ---- single accesses ----

#define DEFINE_READ(bits)                                                        \
  static int bar_read##bits(lua_State *L) {                                      \
    barlua_bar *b = check_bar(L, "read" #bits);                                  \
    check_nargs(L, "read" #bits, 1, "offset");                                   \
    uint64_t off = check_range(L, b, 2, "read" #bits, bits / 8, bits / 8);       \
    uint##bits##_t v;                                                            \
    if (barlua_try_rd##bits(b->win->base + off, &v))                             \
      return bus_error(L, "read" #bits, off);                                 \
    lua_pushinteger(L, (lua_Integer)v);                                          \
    return 1;                                                                    \
  }

#define DEFINE_WRITE(bits)                                                       \
  static int bar_write##bits(lua_State *L) {                                     \
    barlua_bar *b = check_bar(L, "write" #bits);                                 \
    check_nargs(L, "write" #bits, 2, "offset, value");                           \
    uint64_t off = check_range(L, b, 2, "write" #bits, bits / 8, bits / 8);      \
    uint##bits##_t v = (uint##bits##_t)check_value(L, 3, "write" #bits, bits);   \
    if (barlua_try_wr##bits(b->win->base + off, v))                              \
      return bus_error(L, "write" #bits, off);                                \
    return 0;                                                                    \
  }

DEFINE_READ(8)
DEFINE_READ(16)
DEFINE_READ(32)
DEFINE_READ(64)
DEFINE_WRITE(8)
DEFINE_WRITE(16)
DEFINE_WRITE(32)
DEFINE_WRITE(64)

// 64-bit values as two 32-bit accesses; `hl` = high word (off+4) first.
static int read64_split(lua_State *L, const char *fn, int high_first) {
  barlua_bar *b = check_bar(L, fn);
  check_nargs(L, fn, 1, "offset");
  uint64_t off = check_range(L, b, 2, fn, 8, 8);
  uint32_t lo = 0, hi = 0;
  volatile uint8_t *p = b->win->base + off;
  int faulted = high_first ? barlua_try_rd32(p + 4, &hi) || barlua_try_rd32(p, &lo)
                           : barlua_try_rd32(p, &lo) || barlua_try_rd32(p + 4, &hi);
  if (faulted) return bus_error(L, fn, off);
  lua_pushinteger(L, (lua_Integer)(((uint64_t)hi << 32) | lo));
  return 1;
}

static int write64_split(lua_State *L, const char *fn, int high_first) {
  barlua_bar *b = check_bar(L, fn);
  check_nargs(L, fn, 2, "offset, value");
  uint64_t off = check_range(L, b, 2, fn, 8, 8);
  uint64_t v = check_value(L, 3, fn, 64);
  volatile uint8_t *p = b->win->base + off;
  uint32_t hi = (uint32_t)(v >> 32), lo = (uint32_t)v;
  int faulted = high_first ? barlua_try_wr32(p + 4, hi) || barlua_try_wr32(p, lo)
                           : barlua_try_wr32(p, lo) || barlua_try_wr32(p + 4, hi);
  if (faulted) return bus_error(L, fn, off);
  return 0;
}

static int bar_read64hl(lua_State *L) { return read64_split(L, "read64hl", 1); }
static int bar_read64lh(lua_State *L) { return read64_split(L, "read64lh", 0); }
static int bar_write64hl(lua_State *L) { return write64_split(L, "write64hl", 1); }
static int bar_write64lh(lua_State *L) { return write64_split(L, "write64lh", 0); }

// ---- bulk operations ----

// [off, off+len) must lie inside the bar (off was checked already).
static void check_fits(lua_State *L, barlua_bar *b, const char *fn, uint64_t off, uint64_t len) {
  if (len > b->win->size - off)
    bar_error(L, "bar:%s: offset 0x%llx + length 0x%llx exceeds BAR size 0x%llx", fn, (long long)off,
              (long long)len, (long long)b->win->size);
}

// Optional [off[, len]] at stack index i: defaults 0 and "to the end".
static void check_span(lua_State *L, barlua_bar *b, int i, const char *fn, uint64_t *off,
                       uint64_t *len) {
  uint64_t size = b->win->size;
  *off = 0;
  if (!lua_isnoneornil(L, i)) *off = check_range(L, b, i, fn, 0, 1);
  *len = size - *off;
  if (!lua_isnoneornil(L, i + 1)) {
    lua_Integer l = check_int(L, i + 1, fn, "length");
    if (l < 0) bar_error(L, "bar:%s: length %lld is negative", fn, (long long)l);
    check_fits(L, b, fn, *off, (uint64_t)l);
    *len = (uint64_t)l;
  }
}

// The (offset, string) arguments of bar:write and bar:compare.
static const char *check_data(lua_State *L, barlua_bar *b, const char *fn, uint64_t *off, size_t *len) {
  check_nargs(L, fn, 2, "offset, string");
  *off = check_range(L, b, 2, fn, 0, 1);
  if (lua_type(L, 3) != LUA_TSTRING)
    bar_error(L, "bar:%s: data must be a string, got %s", fn, lua_isnone(L, 3) ? "no value" : luaL_typename(L, 3));
  const char *s = lua_tolstring(L, 3, len);
  check_fits(L, b, fn, *off, *len);
  return s;
}

static uint8_t check_byte(lua_State *L, int i, const char *fn) {
  lua_Integer v = check_int(L, i, fn, "byte");
  if (v < 0 || v > 255)
    bar_error(L, "bar:%s: byte %lld is out of range (0..255)", fn, (long long)v);
  return (uint8_t)v;
}

static int bar_read(lua_State *L) {
  barlua_bar *b = check_bar(L, "read");
  check_nargs(L, "read", 2, "offset, length");
  uint64_t off = check_range(L, b, 2, "read", 0, 1);
  lua_Integer len = check_int(L, 3, "read", "length");
  if (len < 0) bar_error(L, "bar:read: length %lld is negative", (long long)len);
  check_fits(L, b, "read", off, (uint64_t)len);
  luaL_Buffer buf;
  char *dst = luaL_buffinitsize(L, &buf, (size_t)len);
  if (barlua_copy_in(b->win, off, dst, (size_t)len) != 0) return bus_error(L, "read", off);
  luaL_pushresultsize(&buf, (size_t)len);
  return 1;
}

static int bar_write(lua_State *L) {
  barlua_bar *b = check_bar(L, "write");
  uint64_t off;
  size_t len;
  const char *s = check_data(L, b, "write", &off, &len);
  if (barlua_copy_out(b->win, off, s, len) != 0) return bus_error(L, "write", off);
  return 0;
}

static int bar_fill(lua_State *L) {
  barlua_bar *b = check_bar(L, "fill");
  check_nargs(L, "fill", 3, "byte, offset, length");
  uint8_t byte = check_byte(L, 2, "fill");
  uint64_t off, len;
  check_span(L, b, 3, "fill", &off, &len);
  if (barlua_fill(b->win, off, byte, (size_t)len) != 0) return bus_error(L, "fill", off);
  return 0;
}

static int bar_count(lua_State *L) {
  barlua_bar *b = check_bar(L, "count");
  check_nargs(L, "count", 3, "byte, offset, length");
  uint8_t byte = check_byte(L, 2, "count");
  uint64_t off, len;
  check_span(L, b, 3, "count", &off, &len);
  int64_t n = barlua_count(b->win, off, byte, (size_t)len);
  if (n < 0) return bus_error(L, "count", off);
  lua_pushinteger(L, n);
  return 1;
}

static int bar_compare(lua_State *L) {
  barlua_bar *b = check_bar(L, "compare");
  uint64_t off;
  size_t len;
  const char *s = check_data(L, b, "compare", &off, &len);
  int64_t at = barlua_compare(b->win, off, s, len);
  if (at == -2) return bus_error(L, "compare", off);
  if (at < 0)
    lua_pushnil(L);
  else
    lua_pushinteger(L, (lua_Integer)(off + (uint64_t)at));
  return 1;
}

// `hexdump -C` layout: offset, 16 bytes in two groups of 8, |ASCII|; a run of identical lines
// collapses to "*"; the last line is the end offset.
static int bar_dump(lua_State *L) {
  barlua_bar *b = check_bar(L, "dump");
  check_nargs(L, "dump", 2, "offset, length");
  uint64_t off, len;
  check_span(L, b, 2, "dump", &off, &len);
  if (len > ((uint64_t)1 << 30))
    bar_error(L, "bar:dump: length 0x%llx is too large to dump (at most 1 GiB)",
               (long long)len);
  luaL_Buffer out;
  luaL_buffinit(L, &out);
  unsigned char prev[16], cur[16];
  int have_prev = 0, starred = 0;
  for (uint64_t pos = 0; pos < len; pos += 16) {
    size_t n = (size_t)((len - pos) < 16 ? (len - pos) : 16);
    if (barlua_copy_in(b->win, off + pos, cur, n) != 0) return bus_error(L, "dump", off + pos);
    if (n == 16 && have_prev && memcmp(prev, cur, 16) == 0) {
      if (!starred) luaL_addstring(&out, "*\n");
      starred = 1;
      continue;
    }
    starred = 0;
    char line[96];
    int k = snprintf(line, sizeof line, "%08llx ", (unsigned long long)(off + pos));
    for (size_t j = 0; j < 16; j++) {
      if (j == 8) line[k++] = ' ';
      if (j < n)
        k += snprintf(line + k, sizeof line - (size_t)k, " %02x", cur[j]);
      else
        k += snprintf(line + k, sizeof line - (size_t)k, "   ");
    }
    k += snprintf(line + k, sizeof line - (size_t)k, "  |");
    for (size_t j = 0; j < n; j++) line[k++] = (cur[j] >= 0x20 && cur[j] < 0x7f) ? (char)cur[j] : '.';
    line[k++] = '|';
    line[k++] = '\n';
    luaL_addlstring(&out, line, (size_t)k);
    memcpy(prev, cur, 16);
    have_prev = (n == 16);
  }
  char end[32];
  snprintf(end, sizeof end, "%08llx\n", (unsigned long long)(off + len));
  luaL_addstring(&out, end);
  luaL_pushresult(&out);
  return 1;
}

// ---- life cycle ----

static void bar_do_unmap(barlua_bar *b) {
  if (b->win != NULL) {
    b->win = NULL;
    if (b->unmap) b->unmap(b->owner);
    if (b->release) b->release(b->owner);
    b->owner = NULL;
  }
}

static int bar_unmap(lua_State *L) {
  barlua_bar *b = to_bar(L, 1);
  if (b == NULL)
    return bar_error(L, "bar:unmap: expected a bar as self (call it as bar:unmap()), got %s",
                     type_name(L, 1));
  if (b->win == NULL) return bar_error(L, "bar:unmap: bar is unmapped");
  bar_do_unmap(b);
  return 0;
}

// __gc and __close: unmap quietly, whatever state the bar is in.
static int bar_finalize(lua_State *L) {
  barlua_bar *b = to_bar(L, 1);
  if (b != NULL) bar_do_unmap(b);
  return 0;
}

// buf:free() for DMA buffers: like __close, quiet when already freed.
int barlua_bar_free(lua_State *L) {
  barlua_bar *b = to_bar(L, 1);
  if (b == NULL)
    return bar_error(L, "buf:free: expected a dma buffer as self (call it as buf:free()), got %s",
                     type_name(L, 1));
  bar_do_unmap(b);
  return 0;
}

static void push_size(luaL_Buffer *buf, uint64_t size) {
  char s[48];
  if (size >= ((uint64_t)1 << 30) && size % ((uint64_t)1 << 30) == 0)
    snprintf(s, sizeof s, "%llu GiB", (unsigned long long)(size >> 30));
  else if (size >= ((uint64_t)1 << 20) && size % ((uint64_t)1 << 20) == 0)
    snprintf(s, sizeof s, "%llu MiB", (unsigned long long)(size >> 20));
  else if (size >= 1024 && size % 1024 == 0)
    snprintf(s, sizeof s, "%llu KiB", (unsigned long long)(size >> 10));
  else
    snprintf(s, sizeof s, "%llu bytes", (unsigned long long)size);
  luaL_addstring(buf, s);
}

// "dma 0000:00:01.0 iova 0x100000 4 KiB" (+ " (freed)").
static int dma_tostring(lua_State *L, barlua_bar *b) {
  luaL_Buffer buf;
  luaL_buffinit(L, &buf);
  lua_getmetatable(L, 1);
  int p = lua_gettop(L);
  lua_getfield(L, p, "addr");
  lua_getfield(L, p, "iova");
  lua_getfield(L, p, "size");
  char s[96];
  snprintf(s, sizeof s, "dma %s iova 0x%llx ", lua_tostring(L, -3) ? lua_tostring(L, -3) : "?",
           (unsigned long long)lua_tointeger(L, -2));
  uint64_t size = (uint64_t)lua_tointeger(L, -1);
  lua_pop(L, 4);
  luaL_addstring(&buf, s);
  push_size(&buf, size);
  if (b->win == NULL || b->win->base == NULL) luaL_addstring(&buf, " (freed)");
  luaL_pushresult(&buf);
  return 1;
}

// "bar 0000:00:02.0 BAR2 vfio 4 MiB", "bar /dev/shm/x file 64 KiB", "bar ... (unmapped)".
static int bar_tostring(lua_State *L) {
  barlua_bar *b = to_bar(L, 1);
  if (b == NULL) return bar_error(L, "bar:__tostring: expected a bar");
  if (is_dma(L)) return dma_tostring(L, b);
  luaL_Buffer buf;
  luaL_buffinit(L, &buf);
  luaL_addstring(&buf, "bar");
  lua_getmetatable(L, 1);
  int p = lua_gettop(L);
  if (lua_getfield(L, p, "addr") == LUA_TSTRING) {
    luaL_addchar(&buf, ' ');
    luaL_addvalue(&buf);
  } else {
    lua_pop(L, 1);
    if (lua_getfield(L, p, "path") == LUA_TSTRING) {
      luaL_addchar(&buf, ' ');
      luaL_addvalue(&buf);
    } else
      lua_pop(L, 1);
  }
  if (lua_getfield(L, p, "index") == LUA_TNUMBER) {
    char s[16];
    snprintf(s, sizeof s, " BAR%d", (int)lua_tointeger(L, -1));
    luaL_addstring(&buf, s);
  }
  lua_pop(L, 1);
  if (lua_getfield(L, p, "method") == LUA_TSTRING) {
    luaL_addchar(&buf, ' ');
    luaL_addvalue(&buf);
  } else
    lua_pop(L, 1);
  luaL_addchar(&buf, ' ');
  lua_getfield(L, p, "size");
  uint64_t size = (uint64_t)lua_tointeger(L, -1);
  lua_pop(L, 1);
  push_size(&buf, size);
  if (b->win == NULL || b->win->base == NULL) luaL_addstring(&buf, " (unmapped)");
  lua_pop(L, 1);  // the metatable
  luaL_pushresult(&buf);
  return 1;
}

static const luaL_Reg bar_methods[] = {
    {"read8", bar_read8},       {"read16", bar_read16},       {"read32", bar_read32},
    {"read64", bar_read64},     {"write8", bar_write8},       {"write16", bar_write16},
    {"write32", bar_write32},   {"write64", bar_write64},     {"read64hl", bar_read64hl},
    {"read64lh", bar_read64lh}, {"write64hl", bar_write64hl}, {"write64lh", bar_write64lh},
    {"read", bar_read},         {"write", bar_write},         {"fill", bar_fill},
    {"count", bar_count},       {"compare", bar_compare},     {"dump", bar_dump},
    {"unmap", bar_unmap},       {NULL, NULL}};

void barlua_bar_open(lua_State *L) {
  lua_newtable(L);
  luaL_setfuncs(L, bar_methods, 0);
  lua_setfield(L, LUA_REGISTRYINDEX, BAR_METHODS);
}

// Stack on entry: the fields table. On exit: the bar.
void barlua_bar_push(lua_State *L, barlua_window *win, void *owner, void (*unmap)(void *),
                     void (*release)(void *)) {
  int fields = lua_gettop(L);
  barlua_bar *b = lua_newuserdatauv(L, sizeof(barlua_bar), 0);
  b->magic = BAR_MAGIC;
  b->win = win;
  b->owner = owner;
  b->unmap = unmap;
  b->release = release;
  // P: the methods, then the fields, then the metamethods.
  lua_newtable(L);
  int p = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, BAR_METHODS);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, p);
  }
  lua_pop(L, 1);
  lua_pushnil(L);
  while (lua_next(L, fields) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, p);
  }
  lua_pushvalue(L, p);
  lua_setfield(L, p, "__index");
  lua_pushcfunction(L, bar_finalize);
  lua_setfield(L, p, "__gc");
  lua_pushcfunction(L, bar_finalize);
  lua_setfield(L, p, "__close");
  lua_pushcfunction(L, bar_tostring);
  lua_setfield(L, p, "__tostring");
  lua_pushliteral(L, "barlua.bar");
  lua_setfield(L, p, "__name");
  lua_pushliteral(L, "barlua.bar");
  lua_setfield(L, p, "__metatable");
  lua_setmetatable(L, -2);
  lua_remove(L, fields);
}

int barlua_isbar(lua_State *L, int i) { return to_bar(L, i) != NULL; }
