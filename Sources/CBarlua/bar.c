// The `bar` userdata: one mapping seen from Lua — its life cycle and method table.
//
// Every method is a plain C function (no Swift frame below it), so it may raise Lua errors.
// Speed: each bar has its own metatable P that holds the shared methods AND the bar's
// fields, with P.__index = P. A method call is then one table lookup, like a bare Lua C
// function; a shared C `__index` (needed for per-bar fields) costs 1.5x per call (measured,
// see ARCHITECTURE.md). The type is recognised by the userdata's exact size and a magic word,
// which costs no table lookup. P.__name is "barlua.bar" and P.__metatable hides P from scripts.
//
// The methods live by concern: bar_access.c (readN/writeN), bar_bulk.c (read, write, fill,
// count, compare), bar_poll.c, bar_dump.c, bar_tostring.c; argument checks and errors in
// bar_internal.h and bar_args.c.
#include "bar_internal.h"

#define BAR_METHODS "barlua.bar.methods"

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
                     bar_type_name(L, 1));
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

// __gc: unmap, and drop a trace that was never stopped.
static int bar_gc(lua_State *L) {
  barlua_bar *b = to_bar(L, 1);
  if (b != NULL) {
    bar_do_unmap(b);
    barlua_trace_free(b->trace);
    b->trace = NULL;
  }
  return 0;
}

// buf:free() for DMA buffers: like __close, quiet when already freed.
int barlua_bar_free(lua_State *L) {
  barlua_bar *b = to_bar(L, 1);
  if (b == NULL)
    return bar_error(L, "buf:free: expected a dma buffer as self (call it as buf:free()), got %s",
                     bar_type_name(L, 1));
  bar_do_unmap(b);
  return 0;
}

// bar.size = 5 and the like: the fields describe the mapping and cannot change.
static int bar_newindex(lua_State *L) {
  const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
  if (key != NULL && luaL_getmetafield(L, 1, key) != LUA_TNIL)
    return bar_error(L,
                     "bar.%s is read-only: a bar's fields and methods describe the mapping and "
                     "cannot be changed (keep your own values in a table)",
                     key);
  if (key != NULL)
    return bar_error(L,
                     "cannot set bar.%s: a bar has no fields of its own (keep your own values in "
                     "a table, e.g. {bar = b, %s = ...})",
                     key, key);
  return bar_error(L,
                   "cannot set a %s key on a bar: a bar has no fields of its own (keep your "
                   "own values in a table)",
                   luaL_typename(L, 2));
}

static const luaL_Reg bar_methods[] = {
    {"read8", bar_read8},       {"read16", bar_read16},         {"read32", bar_read32},
    {"read64", bar_read64},     {"write8", bar_write8},         {"write16", bar_write16},
    {"write32", bar_write32},   {"write64", bar_write64},       {"read64hl", bar_read64hl},
    {"read64lh", bar_read64lh}, {"write64hl", bar_write64hl},   {"write64lh", bar_write64lh},
    {"read", bar_read},         {"write", bar_write},           {"fill", bar_fill},
    {"count", bar_count},       {"compare", bar_compare},       {"dump", bar_dump},
    {"poll32", bar_poll32},     {"poll64", bar_poll64},         {"unmap", bar_unmap},
    {"trace", bar_trace},       {"trace_stop", bar_trace_stop}, {NULL, NULL}};

void barlua_bar_open(lua_State *L) {
  lua_newtable(L);
  luaL_setfuncs(L, bar_methods, 0);
  lua_setfield(L, LUA_REGISTRYINDEX, BAR_METHODS);
}

// Stack on entry: the fields table. On exit: the bar.
void barlua_bar_push(lua_State *L, barlua_window *win, void *owner, void (*unmap)(void *),
                     void (*release)(void *), unsigned flags) {
  int fields = lua_gettop(L);
  barlua_bar *b = lua_newuserdatauv(L, sizeof(barlua_bar), 0);
  b->magic = BAR_MAGIC;
  b->win = win;
  b->owner = owner;
  b->unmap = unmap;
  b->release = release;
  b->flags = flags;
  b->trace = NULL;
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
  lua_pushcfunction(L, bar_gc);
  lua_setfield(L, p, "__gc");
  lua_pushcfunction(L, bar_finalize);
  lua_setfield(L, p, "__close");
  lua_pushcfunction(L, bar_newindex);
  lua_setfield(L, p, "__newindex");
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
