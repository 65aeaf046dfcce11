// barlua's package.searchers entry: BARLUA_PATH, the script's folders and barlua's own module
// folder, searched as package.searchpath does, but a file is loaded only when it passes the
// trust rule (barlua_trust.h): a module another user could have planted or replaced is
// skipped with a warning on stderr and a line in require's "not found" message.
#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cbarlua.h"

enum { MAX_OWNERS = 4 };

// Upvalue 1: the `;`-separated `?` templates; upvalue 2: the trusted owners (uid_t array).
static int folder_searcher(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  size_t tlen, olen;
  const char *templates = lua_tolstring(L, lua_upvalueindex(1), &tlen);
  const char *owner_bytes = lua_tolstring(L, lua_upvalueindex(2), &olen);
  uid_t owners[MAX_OWNERS];
  int n = (int)(olen / sizeof(uid_t));
  if (n > MAX_OWNERS) n = MAX_OWNERS;
  memcpy(owners, owner_bytes, (size_t)n * sizeof(uid_t));
  lua_settop(L, 1);
  const char *mod = luaL_gsub(L, name, ".", LUA_DIRSEP);  // 2
  lua_pushliteral(L, "");                                 // 3: the "not found" message
  const char *t = templates, *end = templates + tlen;
  while (t < end) {
    const char *semi = memchr(t, ';', (size_t)(end - t));
    if (semi == NULL) semi = end;
    if (semi > t) {
      lua_pushlstring(L, t, (size_t)(semi - t));
      const char *file = luaL_gsub(L, lua_tostring(L, 4), LUA_PATH_MARK, mod);
      lua_remove(L, 4);  // file at 4
      const char *sep = lua_rawlen(L, 3) > 0 ? "\n\t" : "";
      struct stat st;
      if (stat(file, &st) != 0) {
        lua_pushfstring(L, "%sno file '%s'", sep, file);
      } else {
        char why[PATH_MAX + 160];
        if (barlua_trusted_file(file, owners, n, why, sizeof why) == 1) {
          if (luaL_loadfilex(L, file, NULL) != LUA_OK)
            return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, file,
                              lua_tostring(L, -1));
          lua_pushstring(L, file);
          return 2;
        }
        fflush(stdout);
        fprintf(stderr,
                "barlua: not loading module '%s' from '%s': %s (see MODULE SEARCH in man "
                "barlua)\n",
                name, file, why);
        lua_pushfstring(L, "%snot loaded '%s': %s", sep, file, why);
      }
      lua_remove(L, 4);
      lua_concat(L, 2);
    }
    t = semi + 1;
  }
  // No place to look (no module folder, no script, no BARLUA_PATH): say nothing, rather
  // than Lua's "no file ''".
  return lua_rawlen(L, 3) > 0 ? 1 : 0;
}

void barlua_add_searcher(lua_State *L, const char *templates, const char *script) {
  uid_t owners[MAX_OWNERS];
  int n = 0;
  owners[n++] = 0;
  owners[n++] = geteuid();
  struct stat st;
  // The owner of the program and of the script can change the code that runs anyway.
  if (stat("/proc/self/exe", &st) == 0) owners[n++] = st.st_uid;
  if (script != NULL && stat(script, &st) == 0) owners[n++] = st.st_uid;
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");
  int count = (int)lua_rawlen(L, -1);
  for (int i = count; i >= 2; i--) {  // right after the preload searcher
    lua_rawgeti(L, -1, i);
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushstring(L, templates);
  lua_pushlstring(L, (const char *)owners, (size_t)n * sizeof(uid_t));
  lua_pushcclosure(L, folder_searcher, 2);
  lua_rawseti(L, -2, 2);
  lua_pop(L, 2);
}
