// barlua's package.searchers entry: BARLUA_PATH, the script's folders and barlua's own module
// folder, searched as package.searchpath does, but a file is loaded only when it passes the
// trust rule (barlua_trust.h): a module another user could have planted or replaced is
// skipped with a warning on stderr and a line in require's "not found" message. Lua's own
// searchers (package.path, package.cpath) keep their semantics but see the path without the
// templates that would give them such a file (Lua's default path has `./?.lua`).
#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cbarlua.h"

enum { MAX_OWNERS = 4 };

// Reads the trusted owners from the upvalue at `index` into `owners`; returns their count.
static int read_owners(lua_State *L, int index, uid_t *owners) {
  size_t olen;
  const char *bytes = lua_tolstring(L, lua_upvalueindex(index), &olen);
  int n = (int)(olen / sizeof(uid_t));
  if (n > MAX_OWNERS) n = MAX_OWNERS;
  memcpy(owners, bytes, (size_t)n * sizeof(uid_t));
  return n;
}

// Says on stderr that `file` is not loaded for module `name`, and why.
static void warn_refused(const char *name, const char *file, const char *why) {
  fflush(stdout);
  fprintf(stderr,
          "barlua: not loading module '%s' from '%s': %s (see MODULE SEARCH in man barlua)\n", name,
          file, why);
}

// Upvalue 1: the `;`-separated `?` templates; upvalue 2: the trusted owners (uid_t array).
static int folder_searcher(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  size_t tlen;
  const char *templates = lua_tolstring(L, lua_upvalueindex(1), &tlen);
  uid_t owners[MAX_OWNERS];
  int n = read_owners(L, 2, owners);
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
        warn_refused(name, file, why);
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

// Whether template `t` (length `len`) with `?` replaced by `mod` names an existing file that
// fails the trust rule; then pushes the "not loaded" note (with `sep` before it) and warns.
static int refuse_template(lua_State *L, const char *name, const char *t, size_t len,
                           const char *mod, const char *sep, const uid_t *owners, int n) {
  lua_pushlstring(L, t, len);
  const char *file = luaL_gsub(L, lua_tostring(L, -1), LUA_PATH_MARK, mod);
  struct stat st;
  char why[PATH_MAX + 160];
  if (stat(file, &st) != 0 || barlua_trusted_file(file, owners, n, why, sizeof why) == 1) {
    lua_pop(L, 2);
    return 0;
  }
  warn_refused(name, file, why);
  lua_pushfstring(L, "%snot loaded '%s': %s", sep, file, why);
  lua_replace(L, -3);
  lua_pop(L, 1);
  return 1;
}

// Lua's own searcher (upvalue 1) over package[upvalue 2] ("path" or "cpath") without the
// templates that give an existing file failing the trust rule (owners: upvalue 3), for the
// module's name and for its root (the C root searcher's "a" of "a.b"). package.path is
// restored before anything is returned or raised.
static int guarded_searcher(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  const char *field = lua_tostring(L, lua_upvalueindex(2));
  uid_t owners[MAX_OWNERS];
  int n = read_owners(L, 3, owners);
  lua_settop(L, 1);
  lua_getglobal(L, "package");  // 2
  lua_getfield(L, 2, field);    // 3: the path as it is
  size_t plen;
  const char *path = lua_tolstring(L, 3, &plen);
  if (path == NULL) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_call(L, 1, 2);
    return 2;
  }
  const char *mod = luaL_gsub(L, name, ".", LUA_DIRSEP);  // 4
  const char *dot = strchr(name, '.');
  lua_pushlstring(L, name, dot != NULL ? (size_t)(dot - name) : strlen(name));  // 5: the root
  const char *root = lua_tostring(L, 5);
  lua_pushliteral(L, "");  // 6: the notes
  lua_pushliteral(L, "");  // 7: the kept templates
  const char *t = path, *end = path + plen;
  while (t < end) {
    const char *semi = memchr(t, ';', (size_t)(end - t));
    if (semi == NULL) semi = end;
    size_t len = (size_t)(semi - t);
    const char *sep = lua_rawlen(L, 6) > 0 ? "\n\t" : "";
    if (len > 0 && (refuse_template(L, name, t, len, mod, sep, owners, n) ||
                    refuse_template(L, name, t, len, root, sep, owners, n))) {
      lua_pushvalue(L, 6);
      lua_insert(L, -2);
      lua_concat(L, 2);
      lua_replace(L, 6);
    } else if (len > 0) {
      lua_pushvalue(L, 7);
      lua_pushlstring(L, t, len);
      lua_pushliteral(L, ";");
      lua_concat(L, 3);
      lua_replace(L, 7);
    }
    t = semi + 1;
  }
  if (lua_rawlen(L, 6) == 0) {  // nothing refused: Lua's searcher as it is
    lua_settop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_call(L, 1, 2);
    return 2;
  }
  if (lua_rawlen(L, 7) == 0) {  // every place refused
    lua_pushvalue(L, 6);
    return 1;
  }
  lua_pushvalue(L, 7);
  lua_setfield(L, 2, field);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  int status = lua_pcall(L, 1, 2, 0);
  lua_pushvalue(L, 3);
  lua_setfield(L, 2, field);
  if (status != LUA_OK) return lua_error(L);
  if (lua_isstring(L, -2)) {  // not found: the notes, then Lua's "no file" lines
    lua_pushvalue(L, 6);
    lua_pushliteral(L, "\n\t");
    lua_pushvalue(L, -4);
    lua_concat(L, 3);
    lua_replace(L, -3);
  }
  return 2;
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
  // Lua's own: 3 package.path (Lua files), 4 package.cpath, 5 package.cpath (the root name).
  static const char *const fields[] = {"path", "cpath", "cpath"};
  for (int i = 0; i < 3; i++) {
    if (lua_rawgeti(L, -1, i + 3) != LUA_TFUNCTION) {
      lua_pop(L, 1);
      continue;
    }
    lua_pushstring(L, fields[i]);
    lua_pushlstring(L, (const char *)owners, (size_t)n * sizeof(uid_t));
    lua_pushcclosure(L, guarded_searcher, 3);
    lua_rawseti(L, -2, i + 3);
  }
  lua_pop(L, 2);
}
