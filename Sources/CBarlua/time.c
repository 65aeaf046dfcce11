// The `time` module: monotonic nanoseconds and a sleep that Ctrl-C and SIGTERM interrupt
// (barlua_sleep); other signals do not shorten it.
#include <errno.h>
#include <lauxlib.h>
#include <string.h>

#include "cbarlua.h"

static int time_ns(lua_State *L) {
  if (lua_gettop(L) != 0) return luaL_error(L, "time.ns: takes no arguments");
  lua_pushinteger(L, (lua_Integer)barlua_monotonic_ns());
  return 1;
}

static int time_sleep(lua_State *L) {
  int isnum;
  lua_Number s = lua_tonumberx(L, 1, &isnum);
  if (!isnum)
    return luaL_error(L, "time.sleep: seconds must be a number, got %s",
                      lua_isnone(L, 1) ? "no value" : luaL_typename(L, 1));
  if (!(s >= 0) || s > 1e9)  // also rejects NaN
    return luaL_error(L, "time.sleep: seconds %f is out of range (0 .. 1e9)", (double)s);
  if (barlua_sleep((int64_t)(s * 1e9)) != 0) {
    if (errno == EINTR) return barlua_interrupt_raise(L, "time.sleep");
    return luaL_error(L, "time.sleep: ppoll failed: %s", strerror(errno));
  }
  return 0;
}

int barlua_open_time(lua_State *L) {
  static const luaL_Reg fns[] = {{"ns", time_ns}, {"sleep", time_sleep}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
