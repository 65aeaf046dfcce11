// What the command line needs from C: the traceback message handler and Ctrl-C, both as in
// lua.c. They run inside Lua (a handler, a hook), so they live in C.
#include <lauxlib.h>
#include <signal.h>
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

static lua_State *volatile sigint_state = NULL;

static void stop_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

// On SIGINT: restore the default action (a second Ctrl-C kills, as in lua.c) and make the
// running Lua code stop at its next instruction.
static void on_sigint(int sig) {
  signal(sig, SIG_DFL);
  lua_State *L = sigint_state;
  if (L != NULL) lua_sethook(L, stop_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

void barlua_sigint_arm(lua_State *L) {
  sigint_state = L;
  signal(SIGINT, on_sigint);
}

void barlua_sigint_disarm(void) {
  signal(SIGINT, SIG_DFL);
  sigint_state = NULL;
}
