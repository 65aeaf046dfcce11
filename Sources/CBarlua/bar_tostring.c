// tostring(bar): "bar 0000:00:02.0 BAR2 vfio 4 MiB", "bar /dev/shm/x file 64 KiB",
// "bar ... (unmapped)". Sizes as barlua_size_text words them.
#include <stdio.h>

#include "bar_internal.h"

static void add_size(luaL_Buffer *buf, uint64_t size) {
  char s[BARLUA_SIZE_TEXT_MAX];
  barlua_size_text(s, sizeof s, size);
  luaL_addstring(buf, s);
}

// Adds " value" when field `name` of the table at p is a string.
static void add_string_field(lua_State *L, luaL_Buffer *buf, int p, const char *name, int *added) {
  if (lua_getfield(L, p, name) == LUA_TSTRING) {
    luaL_addchar(buf, ' ');
    luaL_addvalue(buf);
    if (added) *added = 1;
  } else
    lua_pop(L, 1);
}

// A DMA buffer: "dma 0000:00:01.0 iova 0x100000 4 KiB" (+ " (freed)").
static int dma_tostring(lua_State *L, const barlua_bar *b) {
  lua_getmetatable(L, 1);
  int p = lua_gettop(L);
  lua_getfield(L, p, BARLUA_BAR_FIELD_ADDR);
  lua_getfield(L, p, BARLUA_BAR_FIELD_IOVA);
  lua_getfield(L, p, BARLUA_BAR_FIELD_SIZE);
  const char *addr = lua_tostring(L, -3);
  char s[96];
  snprintf(s, sizeof s, "dma %s iova 0x%llx ", addr ? addr : "?",
           (unsigned long long)lua_tointeger(L, -2));
  uint64_t size = (uint64_t)lua_tointeger(L, -1);
  lua_pop(L, 4);
  luaL_Buffer buf;
  luaL_buffinit(L, &buf);
  luaL_addstring(&buf, s);
  add_size(&buf, size);
  if (b->win == NULL || b->win->base == NULL) luaL_addstring(&buf, " (freed)");
  luaL_pushresult(&buf);
  return 1;
}

int bar_tostring(lua_State *L) {
  barlua_bar *b = to_bar(L, 1);
  if (b == NULL) return bar_error(L, "bar:__tostring: expected a bar");
  if (bar_is_dma(L, 1)) return dma_tostring(L, b);
  luaL_Buffer buf;
  luaL_buffinit(L, &buf);
  luaL_addstring(&buf, "bar");
  lua_getmetatable(L, 1);
  int p = lua_gettop(L);
  int named = 0;
  add_string_field(L, &buf, p, BARLUA_BAR_FIELD_ADDR, &named);
  if (!named) add_string_field(L, &buf, p, BARLUA_BAR_FIELD_PATH, NULL);
  if (lua_getfield(L, p, BARLUA_BAR_FIELD_INDEX) == LUA_TNUMBER) {
    char s[16];
    snprintf(s, sizeof s, " BAR%d", (int)lua_tointeger(L, -1));
    luaL_addstring(&buf, s);
  }
  lua_pop(L, 1);
  add_string_field(L, &buf, p, BARLUA_BAR_FIELD_METHOD, NULL);
  luaL_addchar(&buf, ' ');
  lua_getfield(L, p, BARLUA_BAR_FIELD_SIZE);
  uint64_t size = (uint64_t)lua_tointeger(L, -1);
  lua_pop(L, 1);
  add_size(&buf, size);
  if (b->win == NULL || b->win->base == NULL) luaL_addstring(&buf, " (unmapped)");
  lua_pop(L, 1);  // the metatable
  luaL_pushresult(&buf);
  return 1;
}
