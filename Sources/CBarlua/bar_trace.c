// Access traces: bar:trace([{limit =, data =}]) records every access of that bar in C (one
// entry per single access, one per bulk operation), bar:trace_stop() hands the recording to
// Lua as a `barlua.trace` userdata: #trace, trace:entries(), trace.dropped, and the Lua
// methods of barlua.trace (format, save) found through its __index.
//
// Cost: while a bar is not traced its accesses pay one load and one untaken branch
// (trace_single in bar_internal.h). While traced, an entry is a time stamp (the TSC on x86,
// converted to ns at trace_stop from two clock_gettime readings; clock_gettime elsewhere) and
// one 48-byte store into a growing array. Entries past `limit` are counted in `dropped`,
// never stored; bulk data is kept while the `data` budget lasts.
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bar_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define TICKS() __rdtsc()
#define TICKS_ARE_NS 0
#else
#define TICKS() now_ns()
#define TICKS_ARE_NS 1
#endif

#define TRACE "barlua.trace"
#define TRACE_MAGIC UINT64_C(0x7ace7ace0bad0001)
#define DEFAULT_LIMIT ((uint64_t)1 << 20)
#define MAX_LIMIT ((uint64_t)1 << 24)
#define DEFAULT_DATA ((uint64_t)64 << 20)
#define MAX_DATA ((uint64_t)1 << 32)

static const char *const kind_names[TR_NKINDS] = {
    "read8",   "read16",   "read32",   "read64",    "write8",    "write16", "write32",
    "write64", "read64hl", "read64lh", "write64hl", "write64lh", "read",    "write",
    "fill",    "count",    "compare",  "poll32",    "poll64",    "dump"};

typedef struct {
  uint64_t ns;      // ticks while recording, ns from the start once stopped
  uint64_t offset;  // bar offset
  uint64_t value;   // the value read or written; fill: the byte; count: the count;
                    // compare: the first differing offset (UINT64_MAX: equal); poll: last read
  uint64_t len;     // bulk: bytes; poll: want
  uint64_t aux;     // poll: mask; count: the byte
  uint32_t data;    // bulk read/write/compare: index + 1 into `data`, 0 when not kept
  uint8_t kind, width;
} entry;

typedef struct {
  char *bytes;
  size_t len;
} blob;

typedef struct barlua_trace {
  uint64_t magic;
  entry *e;
  size_t n, cap;
  uint64_t limit, dropped;
  blob *data;
  size_t ndata, datacap;
  uint64_t data_bytes, data_limit, data_dropped;
  uint64_t t0_ticks, t0_ns;
  int converted;  // ns fields hold ns
} barlua_trace;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void trace_init(barlua_trace *t, uint64_t limit, uint64_t data_limit) {
  memset(t, 0, sizeof *t);
  t->magic = TRACE_MAGIC;
  t->limit = limit;
  t->data_limit = data_limit;
  t->t0_ns = now_ns();
  t->t0_ticks = TICKS();
}

static void trace_release(barlua_trace *t) {
  for (size_t i = 0; i < t->ndata; i++) free(t->data[i].bytes);
  free(t->data);
  free(t->e);
  t->data = NULL;
  t->e = NULL;
  t->n = t->cap = t->ndata = t->datacap = 0;
}

void barlua_trace_free(barlua_trace *t) {
  if (t == NULL) return;
  trace_release(t);
  free(t);
}

// Keeps a copy of bulk data while the budget lasts; returns its index + 1, or 0.
static uint32_t keep_data(barlua_trace *t, const void *data, size_t dlen) {
  if (dlen > t->data_limit - t->data_bytes || t->ndata >= UINT32_MAX - 1) {
    t->data_dropped++;
    return 0;
  }
  if (t->ndata == t->datacap) {
    size_t cap = t->datacap ? t->datacap * 2 : 64;
    blob *d = realloc(t->data, cap * sizeof *d);
    if (d == NULL) {
      t->data_dropped++;
      return 0;
    }
    t->data = d;
    t->datacap = cap;
  }
  char *copy = malloc(dlen ? dlen : 1);
  if (copy == NULL) {
    t->data_dropped++;
    return 0;
  }
  memcpy(copy, data, dlen);
  t->data[t->ndata].bytes = copy;
  t->data[t->ndata].len = dlen;
  t->data_bytes += dlen;
  return (uint32_t)++t->ndata;
}

static int grow(barlua_trace *t) {
  size_t cap = t->cap ? t->cap * 2 : 1024;
  if (cap > t->limit) cap = (size_t)t->limit;
  entry *e = realloc(t->e, cap * sizeof *e);
  if (e == NULL) return 0;
  t->e = e;
  t->cap = cap;
  return 1;
}

void barlua_trace_add(barlua_trace *t, unsigned kind, unsigned width, uint64_t off, uint64_t value,
                      uint64_t len, uint64_t aux, const void *data, size_t dlen) {
  uint64_t ticks = TICKS();
  if (UNLIKELY(t->n == t->cap) && (t->n >= t->limit || !grow(t))) {
    t->dropped++;
    return;
  }
  entry *e = &t->e[t->n++];
  e->ns = ticks;
  e->offset = off;
  e->value = value;
  e->len = len;
  e->aux = aux;
  e->data = data != NULL ? keep_data(t, data, dlen) : 0;
  e->kind = (uint8_t)kind;
  e->width = (uint8_t)width;
}

// Ticks to ns since the start, from the clock readings at start and now.
static void convert_times(barlua_trace *t) {
  if (t->converted) return;
  t->converted = 1;
  if (TICKS_ARE_NS) {
    for (size_t i = 0; i < t->n; i++) t->e[i].ns -= t->t0_ns;
    return;
  }
  uint64_t ns1 = now_ns(), ticks1 = TICKS();
  double per_tick =
      ticks1 > t->t0_ticks ? (double)(ns1 - t->t0_ns) / (double)(ticks1 - t->t0_ticks) : 0.0;
  for (size_t i = 0; i < t->n; i++) {
    uint64_t d = t->e[i].ns > t->t0_ticks ? t->e[i].ns - t->t0_ticks : 0;
    t->e[i].ns = (uint64_t)((double)d * per_tick);
  }
}

// ---- the trace userdata ----

static barlua_trace *to_trace(lua_State *L, int i) {
  if (lua_rawlen(L, i) != sizeof(barlua_trace)) return NULL;
  barlua_trace *t = lua_touserdata(L, i);
  return (t != NULL && t->magic == TRACE_MAGIC) ? t : NULL;
}

static barlua_trace *check_trace(lua_State *L, const char *fn) {
  barlua_trace *t = to_trace(L, 1);
  if (t == NULL)
    bar_error(L, "trace:%s: expected a trace as self (call it as trace:%s()), got %s", fn, fn,
              bar_type_name(L, 1));
  return t;
}

static int trace_gc(lua_State *L) {
  barlua_trace *t = to_trace(L, 1);
  if (t != NULL) trace_release(t);
  return 0;
}

static int trace_len(lua_State *L) {
  barlua_trace *t = check_trace(L, "__len");
  lua_pushinteger(L, (lua_Integer)t->n);
  return 1;
}

static void set_int(lua_State *L, const char *k, uint64_t v) {
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, k);
}

// trace:entries() -> {{kind =, width =, offset =, value =, ns =, ...}, ...}
static int trace_entries(lua_State *L) {
  barlua_trace *t = check_trace(L, "entries");
  if (lua_gettop(L) > 1) bar_error(L, "trace:entries: takes no arguments");
  lua_createtable(L, t->n > INT32_MAX ? INT32_MAX : (int)t->n, 0);
  for (size_t i = 0; i < t->n; i++) {
    const entry *e = &t->e[i];
    lua_createtable(L, 0, 7);
    lua_pushstring(L, kind_names[e->kind]);
    lua_setfield(L, -2, "kind");
    set_int(L, "width", e->width);
    set_int(L, "offset", e->offset);
    set_int(L, "ns", e->ns);
    switch (e->kind) {
      case TR_READ:
      case TR_WRITE:
      case TR_DUMP:
        set_int(L, "len", e->len);
        break;
      case TR_FILL:
        set_int(L, "len", e->len);
        set_int(L, "value", e->value);
        break;
      case TR_COUNT:
        set_int(L, "len", e->len);
        set_int(L, "value", e->value);
        set_int(L, "byte", e->aux);
        break;
      case TR_COMPARE:
        set_int(L, "len", e->len);
        if (e->value != UINT64_MAX) set_int(L, "value", e->value);
        break;
      case TR_POLL32:
      case TR_POLL64:
        set_int(L, "value", e->value);
        set_int(L, "want", e->len);
        set_int(L, "mask", e->aux);
        break;
      default:
        set_int(L, "value", e->value);
    }
    if (e->data != 0) {
      const blob *d = &t->data[e->data - 1];
      lua_pushlstring(L, d->bytes, d->len);
      lua_setfield(L, -2, "data");
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

// Fields: C methods, then the trace's own fields (its user value), then barlua.trace.
static int trace_index(lua_State *L) {
  barlua_trace *t = to_trace(L, 1);
  if (t == NULL) return 0;
  if (lua_type(L, 2) == LUA_TSTRING) {
    const char *k = lua_tostring(L, 2);
    if (strcmp(k, "entries") == 0) {
      lua_pushcfunction(L, trace_entries);
      return 1;
    }
    if (strcmp(k, "dropped") == 0) {
      lua_pushinteger(L, (lua_Integer)t->dropped);
      return 1;
    }
    if (strcmp(k, "data_dropped") == 0) {
      lua_pushinteger(L, (lua_Integer)t->data_dropped);
      return 1;
    }
  }
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, -2) != LUA_TNIL) return 1;
  lua_getglobal(L, "require");
  lua_pushliteral(L, "barlua.trace");
  lua_call(L, 1, 1);
  lua_pushvalue(L, 2);
  lua_gettable(L, -2);
  return 1;
}

static int trace_tostring(lua_State *L) {
  barlua_trace *t = check_trace(L, "__tostring");
  lua_getiuservalue(L, 1, 1);
  lua_getfield(L, -1, "source");
  const char *src = lua_tostring(L, -1);
  lua_pushfstring(L, "trace of %s: %I accesses", src ? src : "?", (lua_Integer)t->n);
  if (t->dropped)
    lua_pushfstring(L, " (%I more dropped: past the limit)", (lua_Integer)t->dropped);
  else
    lua_pushliteral(L, "");
  lua_concat(L, 2);
  return 1;
}

// Pushes a new trace userdata whose fields (user value) are the table at `fields`.
static barlua_trace *push_trace(lua_State *L, int fields) {
  barlua_trace *t = lua_newuserdatauv(L, sizeof(barlua_trace), 1);
  memset(t, 0, sizeof *t);
  lua_pushvalue(L, fields);
  lua_setiuservalue(L, -2, 1);
  if (luaL_newmetatable(L, TRACE)) {
    lua_pushcfunction(L, trace_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, trace_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, trace_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, trace_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, TRACE);
    lua_setfield(L, -2, "__metatable");
  }
  lua_setmetatable(L, -2);
  return t;
}

// The optional {limit =, data =} table at i.
static void check_trace_options(lua_State *L, int i, const char *fn, uint64_t *limit,
                                uint64_t *data) {
  *limit = DEFAULT_LIMIT;
  *data = DEFAULT_DATA;
  if (lua_isnoneornil(L, i)) return;
  if (!lua_istable(L, i))
    bar_error(L, "%s: argument must be a table {limit = ENTRIES, data = BYTES}, got %s", fn,
              luaL_typename(L, i));
  lua_pushnil(L);
  while (lua_next(L, i) != 0) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    int isnum;
    lua_Integer v = lua_tointegerx(L, -1, &isnum);
    if (k != NULL && strcmp(k, "limit") == 0) {
      if (!isnum || v < 1 || (uint64_t)v > MAX_LIMIT)
        bar_error(L, "%s: limit must be an integer 1 .. %llu (entries), got %s", fn,
                  (unsigned long long)MAX_LIMIT, luaL_tolstring(L, -1, NULL));
      *limit = (uint64_t)v;
    } else if (k != NULL && strcmp(k, "data") == 0) {
      if (!isnum || v < 0 || (uint64_t)v > MAX_DATA)
        bar_error(L, "%s: data must be an integer 0 .. %llu (bytes of bulk data kept), got %s", fn,
                  (unsigned long long)MAX_DATA, luaL_tolstring(L, -1, NULL));
      *data = (uint64_t)v;
    } else {
      bar_error(L, "%s: unknown option '%s' (known: limit, data)", fn, luaL_tolstring(L, -2, NULL));
    }
    lua_pop(L, 1);
  }
}

// bar:trace([{limit =, data =}])
int bar_trace(lua_State *L) {
  barlua_bar *b = check_bar(L, "trace");
  check_nargs(L, "trace", 1, "{limit = ENTRIES, data = BYTES}");
  uint64_t limit, data;
  check_trace_options(L, 2, "bar:trace", &limit, &data);
  if (b->trace != NULL)
    return bar_error(L, "bar:trace: this bar is already being traced: call bar:trace_stop() first");
  barlua_trace *t = malloc(sizeof *t);
  if (t == NULL) return bar_error(L, "bar:trace: out of memory");
  trace_init(t, limit, data);
  b->trace = t;
  return 0;
}

static void copy_field(lua_State *L, int from, int to, const char *k) {
  lua_getfield(L, from, k);
  lua_setfield(L, to, k);
}

// bar:trace_stop() -> the trace
int bar_trace_stop(lua_State *L) {
  barlua_bar *b = to_bar(L, 1);
  if (b == NULL)
    return bar_error(L,
                     "bar:trace_stop: expected a bar as self (call it as bar:trace_stop()), got %s",
                     bar_type_name(L, 1));
  check_nargs(L, "trace_stop", 0, "");
  if (b->trace == NULL)
    return bar_error(L, "bar:trace_stop: this bar is not being traced: start with bar:trace()");
  // Where it was recorded, for trace:save's default target.
  lua_createtable(L, 0, 6);
  int fields = lua_gettop(L);
  luaL_tolstring(L, 1, NULL);
  lua_setfield(L, fields, "source");
  lua_getmetatable(L, 1);
  int p = lua_gettop(L);
  copy_field(L, p, fields, "addr");
  copy_field(L, p, fields, "index");
  copy_field(L, p, fields, "path");
  copy_field(L, p, fields, "method");
  copy_field(L, p, fields, "size");
  lua_pop(L, 1);
  barlua_trace *t = push_trace(L, fields);
  barlua_trace *rec = b->trace;
  b->trace = NULL;
  convert_times(rec);
  memcpy(t, rec, sizeof *t);
  free(rec);
  return 1;
}

// ---- barlua.trace_core: traces built in Lua (regs.mmiotrace) ----

// trace_core.new(fields[, limit]) -> an empty trace with those fields
static int core_new(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer limit = luaL_optinteger(L, 2, (lua_Integer)DEFAULT_LIMIT);
  if (limit < 1 || (uint64_t)limit > MAX_LIMIT)
    return bar_error(L, "limit must be an integer 1 .. %llu (entries)",
                     (unsigned long long)MAX_LIMIT);
  barlua_trace *t = push_trace(L, 1);
  trace_init(t, (uint64_t)limit, 0);
  t->converted = 1;
  return 1;
}

// trace_core.add(trace, kind, offset, value, ns): one single access ("read32", ...)
static int core_add(lua_State *L) {
  static const uint8_t widths[] = {8, 16, 32, 64, 8, 16, 32, 64};
  barlua_trace *t = check_trace(L, "add");
  const char *kind = luaL_checkstring(L, 2);
  unsigned k = 0;
  while (k < TR_NKINDS && strcmp(kind_names[k], kind) != 0) k++;
  if (k > TR_WRITE64) return bar_error(L, "trace: kind '%s' is not a single access", kind);
  lua_Integer off = luaL_checkinteger(L, 3);
  lua_Integer value = luaL_checkinteger(L, 4);
  lua_Integer ns = luaL_checkinteger(L, 5);
  if (off < 0 || ns < 0) return bar_error(L, "trace: offset and ns must be non-negative");
  if (t->n == t->cap && (t->n >= t->limit || !grow(t))) {
    t->dropped++;
    return 0;
  }
  entry *e = &t->e[t->n++];
  memset(e, 0, sizeof *e);
  e->ns = (uint64_t)ns;
  e->offset = (uint64_t)off;
  e->value = (uint64_t)value;
  e->kind = (uint8_t)k;
  e->width = widths[k];
  return 0;
}

int barlua_open_trace_core(lua_State *L) {
  static const luaL_Reg core[] = {{"new", core_new}, {"add", core_add}, {NULL, NULL}};
  luaL_newlib(L, core);
  return 1;
}
