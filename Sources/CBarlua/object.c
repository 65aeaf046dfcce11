// Userdata for Swift objects that are not on a hot path (a VFIO device): one shared
// metatable per type (registry name = the type name) with __index serving the type's
// methods first, then the object's own fields (a table kept as its user value).
#include <lauxlib.h>

#include "cbarlua.h"

typedef struct barlua_object {
  void *ptr;  // an opaque retained Swift object; NULL once released
} barlua_object;

static int object_index(lua_State *L) {
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;  // a method
  lua_pop(L, 1);
  if (lua_getiuservalue(L, 1, 1) != LUA_TTABLE) return 0;
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);  // a field, or nil
  return 1;
}

void barlua_type_register(lua_State *L, const char *tname) {
  int methods = lua_gettop(L) - 1;
  int metamethods = lua_gettop(L);
  luaL_newmetatable(L, tname);
  lua_pushvalue(L, methods);
  lua_pushcclosure(L, object_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushnil(L);
  while (lua_next(L, metamethods) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_pushstring(L, tname);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 3);
}

void barlua_object_push(lua_State *L, const char *tname, void *ptr) {
  int fields = lua_gettop(L);
  barlua_object *o = lua_newuserdatauv(L, sizeof(barlua_object), 1);
  o->ptr = ptr;
  lua_pushvalue(L, fields);
  lua_setiuservalue(L, -2, 1);
  luaL_setmetatable(L, tname);
  lua_remove(L, fields);
}

void *barlua_object_get(lua_State *L, int i, const char *tname) {
  barlua_object *o = luaL_testudata(L, i, tname);
  return o ? o->ptr : NULL;
}

int barlua_object_is(lua_State *L, int i, const char *tname) {
  return luaL_testudata(L, i, tname) != NULL;
}

void *barlua_object_take(lua_State *L, int i, const char *tname) {
  barlua_object *o = luaL_testudata(L, i, tname);
  if (o == NULL) return NULL;
  void *p = o->ptr;
  o->ptr = NULL;
  return p;
}
