// The raising trampoline: the one place a Swift implementation's error becomes lua_error.
#include "cbarlua.h"

#include <lauxlib.h>

static int barlua_trampoline(lua_State *L) {
  barlua_swift_fn fn = (barlua_swift_fn)lua_touserdata(L, lua_upvalueindex(1));
  int n = fn(L);
  if (n == BARLUA_RAISE) return lua_error(L);  // the Swift frame has returned: safe to longjmp
  return n;
}

void barlua_pushswift(lua_State *L, barlua_swift_fn fn, int nup) {
  lua_pushlightuserdata(L, (void *)fn);
  if (nup > 0) lua_insert(L, -(nup + 1));
  lua_pushcclosure(L, barlua_trampoline, nup + 1);
}
