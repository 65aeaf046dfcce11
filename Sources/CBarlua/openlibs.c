// Opening a state's libraries, run under lua_pcall so a failure cannot abort the process, and
// barlua's additions to `require`, made the Lua way: built-in modules in package.preload
// (under `barlua.*` only), barlua's extra folders as one package.searchers entry (searcher.c).
#include <lauxlib.h>
#include <lualib.h>
#include <string.h>

#include "cbarlua.h"

// package.preload loader of a module compiled into barlua (barlua.test, ...): upvalue 1 is
// its name, upvalue 2 the table of barlua's C helpers (barlua_open_helpers). Runs the chunk as
// `require` would, with the name and a pseudo file name, and the helpers as a third argument.
static int embedded_loader(lua_State *L) {
  const char *name = lua_tostring(L, lua_upvalueindex(1));
  size_t len;
  const char *src = barlua_embedded_module(name, &len);
  const char *chunkname = lua_pushfstring(L, "=[barlua]/%s.lua", name);
  if (src == NULL || luaL_loadbufferx(L, src, len, chunkname, "t") != LUA_OK)
    return luaL_error(L, "error loading module '%s' built into barlua: %s", name,
                      src == NULL ? "missing" : lua_tostring(L, -1));
  lua_pushstring(L, name);
  lua_pushstring(L, chunkname + 1);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_call(L, 3, 1);
  return 1;
}

// package.preload loader that returns its upvalue (a module table barlua built).
static int value_loader(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  return 1;
}

void barlua_preload_value(lua_State *L, const char *name) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_insert(L, -2);
  lua_pushcclosure(L, value_loader, 1);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

int barlua_openlibs(lua_State *L) {
  luaL_openlibs(L);
  barlua_interrupt_open(L);
  barlua_bar_open(L);
  barlua_open_time(L);
  lua_pushvalue(L, -1);
  lua_setglobal(L, "time");
  barlua_preload_value(L, "barlua.time");
  barlua_open_sys(L);
  barlua_open_trace_core(L);
  barlua_preload_value(L, "barlua.trace_core");
  barlua_open_cache_core(L);
  barlua_preload_value(L, "barlua.cache_core");
  barlua_open_xml_core(L);
  barlua_preload_value(L, "barlua.xml_core");
  barlua_open_folder_core(L);
  barlua_preload_value(L, "barlua.folder_core");
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  barlua_open_helpers(L);
  const char *name;
  for (size_t i = 0; (name = barlua_embedded_name(i)) != NULL; i++) {
    lua_pushstring(L, name);
    lua_pushvalue(L, -2);
    lua_pushcclosure(L, embedded_loader, 2);
    lua_setfield(L, -3, name);
  }
  lua_pop(L, 2);
  return 0;
}

// Runs the built-in chunk that lets pci.devices and vfio.open take `board=` and `serial=`
// (barlua.board_filter), after the Swift modules are registered. Call through lua_pcall.
int barlua_install_board_filter(lua_State *L) {
  size_t len;
  const char *src = barlua_embedded_module("barlua.board_filter", &len);
  if (src == NULL ||
      luaL_loadbufferx(L, src, len, "=[barlua]/barlua.board_filter.lua", "t") != LUA_OK)
    return luaL_error(L, "cannot load barlua.board_filter");
  lua_call(L, 0, 0);
  return 0;
}
