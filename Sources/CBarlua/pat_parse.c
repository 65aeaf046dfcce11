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

// One field into the table on top: the push per type of barlua_pat_event.h's list.
#define PUSH_STRING(v) lua_pushlstring(L, buf + (v)->off, (v)->len)
#define PUSH_UNSIGNED(v) lua_pushinteger(L, (lua_Integer)(v)->integer)
#define PUSH_INTEGER(v) lua_pushinteger(L, (lua_Integer)(v)->integer)
#define PUSH_NUMBER(v) lua_pushnumber(L, (v)->number)
#define SET_FIELD(name, type)                   \
  if (ev->field[BARLUA_PAT_##name].has) {       \
    lua_pushliteral(L, #name);                  \
    PUSH_##type(&ev->field[BARLUA_PAT_##name]); \
    lua_rawset(L, -3);                          \
  }

void barlua_pat_push_event(lua_State *L, const barlua_pat_event *ev, const char *buf) {
  lua_createtable(L, 0, BARLUA_PAT_NFIELDS);
  BARLUA_PAT_EVENT_FIELDS(SET_FIELD)
}

// The batch's arrays live in userdata at stack slots `events_at` and `buf_at`, replaced by
// larger ones when the line parser asks for more.
static void batch_grow(lua_State *L, barlua_pat_batch *b, int events_at, int buf_at) {
  if (b->need_events > b->cap_events) {
    b->cap_events = b->need_events;
    b->events = lua_newuserdatauv(L, sizeof(barlua_pat_event) * (size_t)b->cap_events, 0);
    lua_replace(L, events_at);
  }
  if (b->need_bytes > b->cap_bytes) {
    b->cap_bytes = b->need_bytes;
    b->buf = lua_newuserdatauv(L, b->cap_bytes, 0);
    lua_replace(L, buf_at);
  }
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
  barlua_pat_batch batch;
  memset(&batch, 0, sizeof batch);
  batch.cap_events = 8;
  batch.events = lua_newuserdatauv(L, sizeof(barlua_pat_event) * 8, 0);  // stack 2
  batch.cap_bytes = 4096;
  batch.buf = lua_newuserdatauv(L, batch.cap_bytes, 0);  // stack 3: the strings
  lua_newtable(L);                                       // stack 4: the events
  reserve_box *reserve = reserve_new(L);                 // stack 5: memory the line parser may use
  lua_Integer count = 0;
  size_t start = 0;
  while (start < size) {
    const char *nl = memchr(text + start, '\n', size - start);
    size_t end = nl ? (size_t)(nl - text) : size;
    size_t len = end - start;
    if (len > 0 && len <= BARLUA_PAT_MAX_LINE) {
      // The line is parsed once; again only when the arrays must grow (they only grow, so
      // that happens a few times over a whole text at most).
      reserve_take(L, reserve, len);
      free(reserve->block);  // the parser's headroom
      reserve->block = NULL;
      int got = parse_line(text + start, len, &batch);
      if (got < 0) {
        batch_grow(L, &batch, 2, 3);
        reserve_take(L, reserve, len);
        free(reserve->block);
        reserve->block = NULL;
        got = parse_line(text + start, len, &batch);
      }
      for (int i = 0; i < got; i++) {
        barlua_pat_push_event(L, &batch.events[i], batch.buf);
        lua_rawseti(L, 4, ++count);
      }
    }
    start = end + 1;
  }
  lua_pop(L, 1);  // the reserve box
  return 1;
}
