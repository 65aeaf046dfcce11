// `barlua.sys`: the few facts about files and the process that barlua's Lua modules need and
// Lua's io library cannot give (boards files must be owned by root or the user and not
// writable by others; barlua-doctor reports device node permissions). Read-only: nothing here
// changes the system.
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cbarlua.h"

static const char *file_type(mode_t m) {
  if (S_ISREG(m)) return "file";
  if (S_ISDIR(m)) return "directory";
  if (S_ISCHR(m)) return "char";
  if (S_ISBLK(m)) return "block";
  if (S_ISLNK(m)) return "link";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISSOCK(m)) return "socket";
  return "other";
}

static const char *checked_path(lua_State *L, const char *fn) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  if (strlen(path) != len) luaL_error(L, "sys.%s: path contains a NUL byte", fn);
  return path;
}

// sys.stat(path) -> {type=, mode= (permission bits), uid=, gid=, size=} or nil, errno text.
// lstat: a symbolic link is reported as a link, never followed.
static int sys_stat(lua_State *L) {
  const char *path = checked_path(L, "stat");
  struct stat st;
  if (lstat(path, &st) != 0) {
    int e = errno;
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: %s", path, strerror(e));
    lua_pushinteger(L, e);
    return 3;
  }
  lua_createtable(L, 0, 5);
  lua_pushstring(L, file_type(st.st_mode));
  lua_setfield(L, -2, "type");
  lua_pushinteger(L, (lua_Integer)(st.st_mode & 07777));
  lua_setfield(L, -2, "mode");
  lua_pushinteger(L, (lua_Integer)st.st_uid);
  lua_setfield(L, -2, "uid");
  lua_pushinteger(L, (lua_Integer)st.st_gid);
  lua_setfield(L, -2, "gid");
  lua_pushinteger(L, (lua_Integer)st.st_size);
  lua_setfield(L, -2, "size");
  return 1;
}

// sys.access(path, "r" | "w" | "rw") -> true, or false, errno text (effective ids).
static int sys_access(lua_State *L) {
  const char *path = checked_path(L, "access");
  const char *how = luaL_optstring(L, 2, "r");
  int mode = 0;
  for (const char *c = how; *c; c++) {
    if (*c == 'r')
      mode |= R_OK;
    else if (*c == 'w')
      mode |= W_OK;
    else
      return luaL_error(L, "sys.access: mode must be made of 'r' and 'w', got '%s'", how);
  }
  if (faccessat(AT_FDCWD, path, mode == 0 ? F_OK : mode, AT_EACCESS) == 0) {
    lua_pushboolean(L, 1);
    return 1;
  }
  int e = errno;
  lua_pushboolean(L, 0);
  lua_pushstring(L, strerror(e));
  lua_pushinteger(L, e);
  return 3;
}

// sys.ids() -> {uid=, euid=, gid=, egid=}.
static int sys_ids(lua_State *L) {
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, (lua_Integer)getuid());
  lua_setfield(L, -2, "uid");
  lua_pushinteger(L, (lua_Integer)geteuid());
  lua_setfield(L, -2, "euid");
  lua_pushinteger(L, (lua_Integer)getgid());
  lua_setfield(L, -2, "gid");
  lua_pushinteger(L, (lua_Integer)getegid());
  lua_setfield(L, -2, "egid");
  return 1;
}

// sys.memlock() -> soft, hard (bytes; -1 = unlimited).
static int sys_memlock(lua_State *L) {
  struct rlimit r;
  if (getrlimit(RLIMIT_MEMLOCK, &r) != 0) return luaL_error(L, "getrlimit: %s", strerror(errno));
  lua_pushinteger(L, r.rlim_cur == RLIM_INFINITY ? -1 : (lua_Integer)r.rlim_cur);
  lua_pushinteger(L, r.rlim_max == RLIM_INFINITY ? -1 : (lua_Integer)r.rlim_max);
  return 2;
}

void barlua_open_sys(lua_State *L) {
  static const luaL_Reg fns[] = {{"stat", sys_stat},
                                 {"access", sys_access},
                                 {"ids", sys_ids},
                                 {"memlock", sys_memlock},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  barlua_preload_value(L, "barlua.sys");
}
