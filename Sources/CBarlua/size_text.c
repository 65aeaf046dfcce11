// Sizes in words, the one formatter: "4 MiB", "64 KiB", "1 GiB", "100 bytes" — the largest
// binary unit that divides the size. tostring(bar) and barlua.script's size_text use it.
#include <lauxlib.h>
#include <stdio.h>

#include "cbarlua.h"

void barlua_size_text(char *s, size_t n, uint64_t size) {
  if (size >= ((uint64_t)1 << 30) && size % ((uint64_t)1 << 30) == 0)
    snprintf(s, n, "%llu GiB", (unsigned long long)(size >> 30));
  else if (size >= ((uint64_t)1 << 20) && size % ((uint64_t)1 << 20) == 0)
    snprintf(s, n, "%llu MiB", (unsigned long long)(size >> 20));
  else if (size >= 1024 && size % 1024 == 0)
    snprintf(s, n, "%llu KiB", (unsigned long long)(size >> 10));
  else
    snprintf(s, n, "%llu bytes", (unsigned long long)size);
}

// size_text(n) for Lua: n an integer (read as unsigned, as BAR sizes are).
static int size_text(lua_State *L) {
  char s[BARLUA_SIZE_TEXT_MAX];
  barlua_size_text(s, sizeof s, (uint64_t)luaL_checkinteger(L, 1));
  lua_pushstring(L, s);
  return 1;
}

int barlua_open_helpers(lua_State *L) {
  static const luaL_Reg fns[] = {{"size_text", size_text}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
