// Opening a state's libraries, run under lua_pcall so a failure cannot abort the process.
#include <lauxlib.h>
#include <lualib.h>
#include <string.h>

#include "cbarlua.h"

// package.searchers entry for the modules compiled into barlua (barlua.test, ...).
static int embedded_searcher(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  size_t len;
  const char *src = barlua_embedded_module(name, &len);
  if (src == NULL) {
    lua_pushfstring(L, "no module '%s' built into barlua", name);
    return 1;
  }
  lua_pushfstring(L, "=[barlua]/%s.lua", name);
  if (luaL_loadbufferx(L, src, len, lua_tostring(L, -1), "t") != LUA_OK) return lua_error(L);
  lua_pushstring(L, name);
  return 2;
}

int barlua_openlibs(lua_State *L) {
  luaL_openlibs(L);
  barlua_interrupt_open(L);
  barlua_bar_open(L);
  luaL_requiref(L, "time", barlua_open_time, 1);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "barlua.time");
  lua_pop(L, 2);
  // Insert the embedded searcher right after the preload searcher.
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");
  int n = (int)lua_rawlen(L, -1);
  for (int i = n; i >= 2; i--) {
    lua_rawgeti(L, -1, i);
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushcfunction(L, embedded_searcher);
  lua_rawseti(L, -2, 2);
  lua_pop(L, 2);
  return 0;
}
