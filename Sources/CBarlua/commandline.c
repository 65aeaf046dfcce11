// The parts of lua.c's command line that run Lua code (and so may raise): call them through
// lua_pcall. They behave as lua.c 5.4's pushargs and get_prompt.
#include <lauxlib.h>

#include "cbarlua.h"

// Returns arg[1..#arg] of the global `arg` as results: a script's `...` comes from `arg` as
// it is after LUA_INIT, -e and -l ran.
int barlua_script_args(lua_State *L) {
  if (lua_getglobal(L, "arg") != LUA_TTABLE) return luaL_error(L, "'arg' is not a table");
  int n = (int)luaL_len(L, -1);
  luaL_checkstack(L, n + 3, "too many arguments to script");
  for (int i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
  lua_remove(L, -n - 1);
  return n;
}

// Returns tostring(_PROMPT) (tostring(_PROMPT2) when the first argument is false), or nothing
// when it is nil.
int barlua_prompt(lua_State *L) {
  int first = lua_toboolean(L, 1);
  if (lua_getglobal(L, first ? "_PROMPT" : "_PROMPT2") == LUA_TNIL) return 0;
  luaL_tolstring(L, -1, NULL);
  return 1;
}
