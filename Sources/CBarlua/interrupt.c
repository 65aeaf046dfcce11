// Ctrl-C and SIGTERM inside running Lua code, as lua.c does it, extended to coroutines and
// blocking calls. While a chunk runs (barlua_interrupt_arm .. _disarm), a signal sets a hook
// on every thread that is running: the main thread and each coroutine in the chain of
// resumes. Hooks are per thread in Lua, so coroutine.resume and coroutine.wrap are replaced
// by versions that record that chain. Each hooked thread raises the error once, at its next
// instruction, then clears its hook: cleanup code (<close>, the code after a pcall) runs.
// A blocking C function waits with barlua_wait (barlua_interrupt.h) and, when it returns
// EINTR, calls barlua_interrupt_raise.
#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>

#include "cbarlua.h"

// The chain of running coroutines: one frame per active resume, on the C stack of the
// resume call. The signal handler walks it; it is changed with single pointer stores.
struct resume_frame {
  lua_State *co;
  struct resume_frame *prev;
};
static struct resume_frame *volatile resuming;
static lua_State *volatile main_state;
// Each arm starts a session; a hook set in an older session (on a coroutine that never ran
// again before its chunk ended) is stale and only clears itself.
static volatile sig_atomic_t arm_session, signal_session, last_signal;

static void interrupt_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  if (signal_session != arm_session) return;
  barlua_interrupt_take();
  luaL_error(L, "%s", barlua_interrupt_message(last_signal));
}

static void set_hook(lua_State *L) {
  lua_sethook(L, interrupt_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

// In the signal handler: lua_sethook is safe to call asynchronously (lua.c relies on it).
static void on_interrupt(int sig) {
  last_signal = sig;
  signal_session = arm_session;
  lua_State *L = main_state;
  if (L != NULL) set_hook(L);
  for (struct resume_frame *f = resuming; f != NULL; f = f->prev) set_hook(f->co);
}

void barlua_interrupt_arm(lua_State *L) {
  arm_session = arm_session + 1;
  main_state = L;
  barlua_interrupt_catch(on_interrupt, 1);
}

void barlua_interrupt_disarm(void) {
  barlua_interrupt_release();
  main_state = NULL;
  arm_session = arm_session + 1;  // hooks left on threads that did not run again go stale
}

const char *barlua_interrupt_consume(lua_State *L) {
  int sig = barlua_interrupt_take();
  lua_sethook(L, NULL, 0, 0);  // reported by the caller: this thread's hook must not raise it again
  return barlua_interrupt_message(sig ? sig : last_signal);
}

int barlua_interrupt_raise(lua_State *L, const char *fn) {
  const char *what = barlua_interrupt_consume(L);
  return luaL_error(L, "%s: %s", fn, what);
}

// ---- coroutine.resume and coroutine.wrap of Lua 5.4's lcorolib.c, recording the chain ----

static int auxresume(lua_State *L, lua_State *co, int narg) {
  int status, nres;
  if (!lua_checkstack(co, narg)) {
    lua_pushliteral(L, "too many arguments to resume");
    return -1;
  }
  lua_xmove(L, co, narg);
  struct resume_frame frame = {co, resuming};
  resuming = &frame;
  // A signal that arrived while this thread was being set up still reaches it.
  if (signal_session == arm_session && barlua_interrupt_pending()) set_hook(co);
  status = lua_resume(co, L, narg, &nres);
  resuming = frame.prev;
  if (status == LUA_OK || status == LUA_YIELD) {
    if (!lua_checkstack(L, nres + 1)) {
      lua_pop(co, nres);
      lua_pushliteral(L, "too many results to resume");
      return -1;
    }
    lua_xmove(co, L, nres);
    return nres;
  }
  lua_xmove(co, L, 1);  // the error message
  return -1;
}

static lua_State *getco(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTHREAD);  // Lua's own words: "thread expected"
  return lua_tothread(L, 1);
}

static int co_resume(lua_State *L) {
  lua_State *co = getco(L);
  int r = auxresume(L, co, lua_gettop(L) - 1);
  if (r < 0) {
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
  }
  lua_pushboolean(L, 1);
  lua_insert(L, -(r + 1));
  return r + 1;
}

static int auxwrap(lua_State *L) {
  lua_State *co = lua_tothread(L, lua_upvalueindex(1));
  int r = auxresume(L, co, lua_gettop(L));
  if (r < 0) {
    int stat = lua_status(co);
    if (stat != LUA_OK && stat != LUA_YIELD) {  // an error in the coroutine
      stat = lua_resetthread(co);               // close its to-be-closed variables
      lua_xmove(co, L, 1);
    }
    if (stat != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
      luaL_where(L, 1);
      lua_insert(L, -2);
      lua_concat(L, 2);
    }
    return lua_error(L);
  }
  return r;
}

static int co_wrap(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_State *co = lua_newthread(L);
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 1);
  lua_pushcclosure(L, auxwrap, 1);
  return 1;
}

void barlua_interrupt_open(lua_State *L) {
  lua_getglobal(L, LUA_COLIBNAME);
  if (lua_type(L, -1) == LUA_TTABLE) {
    lua_pushcfunction(L, co_resume);
    lua_setfield(L, -2, "resume");
    lua_pushcfunction(L, co_wrap);
    lua_setfield(L, -2, "wrap");
  }
  lua_pop(L, 1);
}
