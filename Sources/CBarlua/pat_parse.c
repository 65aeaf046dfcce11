// pat.parse: the loop over a saved log's lines and the table of events, in C.
//
// The text can be any size, so nothing here may longjmp through Swift: every Lua allocation
// (the result table, each event table, the scratch buffer) happens in this file, and the Swift
// line parser (upvalue 1) only fills a barlua_pat_event for one line and returns. Out of memory
// is then Lua's own "not enough memory" error, raised from C.
#include "cbarlua.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

// Swift aborts when one of its own allocations fails. Lua may have taken every byte up to the
// limit just before the line parser runs, so C holds a reserve block and frees it for the
// parser's call (the parser needs at most a few times the line, which is at most
// BARLUA_PAT_MAX_LINE bytes), then takes it back; when it cannot, it raises Lua's out-of-memory
// error from here. The block lives in a userdata whose __gc frees it when an error ends the
// parse early.
typedef struct {
  void *block;
} reserve_box;

static int reserve_gc(lua_State *L) {
  reserve_box *box = lua_touserdata(L, 1);
  free(box->block);
  box->block = NULL;
  return 0;
}

static size_t reserve_size(size_t line) { return 64 * 1024 + 16 * line; }

static reserve_box *reserve_new(lua_State *L) {
  reserve_box *box = lua_newuserdatauv(L, sizeof *box, 0);
  box->block = NULL;
  if (luaL_newmetatable(L, "barlua.pat.reserve")) {
    lua_pushcfunction(L, reserve_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return box;
}

// Takes the reserve for a line of `len` bytes back; raises "not enough memory" when it cannot.
static void reserve_take(lua_State *L, reserve_box *box, size_t len) {
  box->block = malloc(reserve_size(len));
  if (box->block == NULL) {
    lua_pushliteral(L, "not enough memory");
    lua_error(L);
  }
}

static const char *const field_names[BARLUA_PAT_NSTR] = {
    "kind", "track", "req", "ret", "expected", "got", "process", "text", "wallclock",
};

static void set_string(lua_State *L, const barlua_pat_event *ev, int field) {
  if (ev->len[field] == (size_t)-1) return;
  lua_pushlstring(L, ev->buf + ev->off[field], ev->len[field]);
  lua_setfield(L, -2, field_names[field]);
}

static void set_integer(lua_State *L, const char *name, int has, int64_t value) {
  if (!has) return;
  lua_pushinteger(L, (lua_Integer)value);
  lua_setfield(L, -2, name);
}

// The event as a table, in the field order of pat.events.
static void push_event(lua_State *L, const barlua_pat_event *ev) {
  lua_createtable(L, 0, 13);
  set_string(L, ev, BARLUA_PAT_KIND);
  set_integer(L, "first", ev->has_first, (int64_t)ev->first);
  set_integer(L, "last", ev->has_last, (int64_t)ev->last);
  for (int f = BARLUA_PAT_TRACK; f <= BARLUA_PAT_PROCESS; f++) set_string(L, ev, f);
  set_integer(L, "pid", ev->has_pid, ev->pid);
  if (ev->has_time) {
    lua_pushnumber(L, ev->time);
    lua_setfield(L, -2, "time");
  }
  set_integer(L, "seq", ev->has_seq, (int64_t)ev->seq);
  set_string(L, ev, BARLUA_PAT_TEXT);
  set_string(L, ev, BARLUA_PAT_WALLCLOCK);
}

int barlua_pat_parse(lua_State *L) {
  barlua_pat_line_fn parse_line = (barlua_pat_line_fn)lua_touserdata(L, lua_upvalueindex(1));
  int nargs = lua_gettop(L);
  if (nargs > 1) return luaL_error(L, "pat.parse: takes at most 1 argument (text), got %d", nargs);
  if (lua_type(L, 1) != LUA_TSTRING) {
    return luaL_error(L, "pat.parse: text must be a string, got %s",
                      nargs == 0 ? "no value" : luaL_typename(L, 1));
  }
  size_t size;
  const char *text = lua_tolstring(L, 1, &size);
  barlua_pat_event ev;
  memset(&ev, 0, sizeof ev);
  ev.cap = 4096;
  ev.buf = lua_newuserdatauv(L, ev.cap, 0);  // stack 2: the scratch buffer
  lua_newtable(L);                           // stack 3: the events
  reserve_box *reserve = reserve_new(L);     // stack 4: memory the line parser may use
  lua_Integer count = 0;
  size_t start = 0;
  while (start < size) {
    const char *nl = memchr(text + start, '\n', size - start);
    size_t end = nl ? (size_t)(nl - text) : size;
    size_t len = end - start;
    if (len > 0 && len <= BARLUA_PAT_MAX_LINE) {
      for (int index = 0;; index++) {
        reserve_take(L, reserve, len);
        free(reserve->block);  // the parser's headroom
        reserve->block = NULL;
        int got = parse_line(text + start, len, index, &ev);
        if (got < 0) {
          ev.cap = ev.need;
          ev.buf = lua_newuserdatauv(L, ev.cap, 0);
          lua_replace(L, 2);
          reserve_take(L, reserve, len);
          free(reserve->block);
          reserve->block = NULL;
          got = parse_line(text + start, len, index, &ev);
        }
        if (got <= 0) break;
        push_event(L, &ev);
        lua_rawseti(L, 3, ++count);
        if (index + 1 >= ev.count) break;  // no need to parse the line again
      }
    }
    start = end + 1;
  }
  lua_pop(L, 1);  // the reserve box
  return 1;
}
