// Lua 5.4 for Swift: the real headers plus static-inline wrappers for the API's macros,
// which Swift cannot import. Only non-raising operations are wrapped here on purpose:
// Swift code must never call anything that can longjmp (see ARCHITECTURE.md).
#ifndef BARLUA_CLUA_SHIM_H
#define BARLUA_CLUA_SHIM_H
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>

static inline void clua_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void clua_newtable(lua_State *L) { lua_newtable(L); }
static inline const char *clua_tostring(lua_State *L, int i) { return lua_tolstring(L, i, NULL); }
static inline int clua_isnoneornil(lua_State *L, int i) { return lua_isnoneornil(L, i); }
static inline int clua_isnil(lua_State *L, int i) { return lua_isnil(L, i); }
static inline int clua_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline int clua_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int clua_pcall(lua_State *L, int nargs, int nresults, int msgh) {
  return lua_pcall(L, nargs, nresults, msgh);
}
static inline void clua_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcfunction(L, f); }
static inline void clua_insert(lua_State *L, int i) { lua_insert(L, i); }
static inline void clua_remove(lua_State *L, int i) { lua_remove(L, i); }
static inline void clua_replace(lua_State *L, int i) { lua_replace(L, i); }
static inline lua_Integer clua_tointegerx(lua_State *L, int i, int *isnum) {
  return lua_tointegerx(L, i, isnum);
}
static inline lua_Number clua_tonumberx(lua_State *L, int i, int *isnum) {
  return lua_tonumberx(L, i, isnum);
}
static inline int clua_getglobal(lua_State *L, const char *name) { return lua_getglobal(L, name); }
static inline void clua_pushglobaltable(lua_State *L) { lua_pushglobaltable(L); }
static inline const char *clua_version_string(void) { return LUA_RELEASE; }
static inline const char *clua_copyright(void) { return LUA_COPYRIGHT; }
static inline int clua_ok(void) { return LUA_OK; }
static inline int clua_errsyntax(void) { return LUA_ERRSYNTAX; }
static inline int clua_multret(void) { return LUA_MULTRET; }
#endif
