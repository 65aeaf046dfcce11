// barlua.folder_core: the .xml files of one folder, for the IP-XACT loader's look-up of an
// external typeDefinitions document by VLNV (IEEE 1685-2022: a component names it by VLNV in
// <typeDefinitions><externalTypeDefinitions><typeDefinitionsRef vendor= library= name=
// version=/>). barlua looks for it only in the component's own folder, never anywhere else.
//
//   xml_files(dir, max) -> {name, ...} (sorted) | nil, why
//     the regular files (a symlink is not followed) of `dir` whose name ends in ".xml" (any
//     case); more than `max` of them is an error (a folder is data too: bounded work)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cbarlua.h"

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_xml(const char *n) {
  size_t len = strlen(n);
  return len > 4 && strcasecmp(n + len - 4, ".xml") == 0;
}

// The open directory, owned by a userdata: closed by its __gc when a memory error raised
// while a name is pushed unwinds the call, else by xml_files itself.
static int dir_gc(lua_State *L) {
  DIR **d = lua_touserdata(L, 1);
  if (*d != NULL) closedir(*d);
  *d = NULL;
  return 0;
}

static int xml_files(lua_State *L) {
  const char *dir = luaL_checkstring(L, 1);
  lua_Integer max = luaL_checkinteger(L, 2);
  DIR **d = lua_newuserdatauv(L, sizeof *d, 0);
  *d = NULL;
  if (luaL_newmetatable(L, "barlua.folder_core.dir")) {
    lua_pushcfunction(L, dir_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  *d = opendir(dir);
  if (*d == NULL) {
    lua_pushnil(L);
    lua_pushfstring(L, "cannot list %s: %s", dir, strerror(errno));
    return 2;
  }
  // The names are collected on the Lua stack's table first (freed by the collector, also when
  // an error unwinds), then sorted through an array of pointers into those strings (a
  // userdata, collected likewise).
  lua_newtable(L);
  lua_Integer n = 0;
  struct dirent *e;
  while ((e = readdir(*d)) != NULL) {
    if (!is_xml(e->d_name)) continue;
    struct stat st;
    if (fstatat(dirfd(*d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
      continue;
    if (n >= max) {
      closedir(*d);
      *d = NULL;
      lua_pushnil(L);
      lua_pushfstring(L, "%s has more than %d .xml files (barlua's limit for a look-up)", dir,
                      (int)max);
      return 2;
    }
    lua_pushstring(L, e->d_name);
    lua_rawseti(L, -2, ++n);
  }
  closedir(*d);
  *d = NULL;
  if (n == 0) return 1;
  const char **names = lua_newuserdatauv(L, (size_t)n * sizeof *names, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, -2, i);
    names[i - 1] = lua_tostring(L, -1);
    lua_pop(L, 1);  // still referenced by the table
  }
  qsort(names, (size_t)n, sizeof *names, by_name);
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_pushstring(L, names[i - 1]);
    lua_rawseti(L, -2, i);
  }
  return 1;
}

int barlua_open_folder_core(lua_State *L) {
  static const luaL_Reg core[] = {{"xml_files", xml_files}, {NULL, NULL}};
  luaL_newlib(L, core);
  return 1;
}
