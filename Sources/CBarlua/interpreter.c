// What the command line needs from C: the traceback message handler, as in lua.c. It runs
// inside Lua, so it lives in C. (Ctrl-C and SIGTERM: interrupt.c.)
#include <lauxlib.h>
#include <string.h>

#include "cbarlua.h"

// Message handler for lua_pcall: turns any error value into "message + traceback".
int barlua_msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}
