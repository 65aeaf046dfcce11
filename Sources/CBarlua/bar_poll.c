// bar:poll32 / bar:poll64(off, mask, want[, timeout_s]): read a register in C until
// `value & mask == want`. Returns value, elapsed_ns; or nil, "timeout", last_value; and after
// those, the number of reads done (for benchmarks and the curious). Ctrl-C or SIGTERM stops
// the loop (barlua_interrupt_pending, checked with the clock) and raises
// "bar:poll32: interrupted!" (barlua_interrupt_raise).
#include <math.h>

#include "bar_internal.h"

#define DEFAULT_TIMEOUT_S 1.0
#define MAX_TIMEOUT_S 86400.0  // a day: longer is almost certainly a unit mistake

static uint64_t check_timeout(lua_State *L, int i, const char *fn) {
  if (lua_isnoneornil(L, i)) return (uint64_t)(DEFAULT_TIMEOUT_S * 1e9);
  int isnum;
  lua_Number s = lua_tonumberx(L, i, &isnum);
  if (!isnum)
    bar_error(L, "bar:%s: timeout must be a number of seconds, got %s", fn,
              lua_type(L, i) == LUA_TSTRING ? "a string" : luaL_typename(L, i));
  if (isnan(s))
    bar_error(L, "bar:%s: timeout is NaN: give a number of seconds (0 .. %.0f)", fn, MAX_TIMEOUT_S);
  if (s < 0)
    bar_error(L, "bar:%s: timeout %g is negative: give seconds (0 .. %.0f)", fn, s, MAX_TIMEOUT_S);
  if (s > MAX_TIMEOUT_S)
    bar_error(L, "bar:%s: timeout %g s is too long (at most %.0f s, one day): is it in seconds?",
              fn, s, MAX_TIMEOUT_S);
  return (uint64_t)(s * 1e9);
}

// `fn` names the method in argument errors ("poll32"), `method` in the interrupt error.
static int poll_register(lua_State *L, const char *fn, const char *method, unsigned width) {
  barlua_bar *b = check_bar(L, fn);
  check_nargs(L, fn, 4, "offset, mask, want, timeout_s");
  uint64_t off = check_range(L, b, 2, fn, width / 8, width / 8);
  uint64_t mask = check_value_named(L, 3, fn, (int)width, "mask");
  uint64_t want = check_value_named(L, 4, fn, (int)width, "want");
  uint64_t timeout_ns = check_timeout(L, 5, fn);
  if (width < 64) {
    uint64_t all = (UINT64_C(1) << width) - 1;
    mask &= all;
    want &= all;
  }
  if ((want & ~mask) != 0)
    bar_error(L,
              "bar:%s: want 0x%llx has bits outside mask 0x%llx, so the register could never "
              "match: clear them from want or add them to mask",
              fn, (unsigned long long)want, (unsigned long long)mask);
  barlua_poll_result r;
  int status =
      barlua_poll(b->win, off, width, mask, want, timeout_ns, barlua_interrupt_pending, &r);
  // One entry: the last value read, what was waited for (len = want, aux = mask).
  if (UNLIKELY(b->trace != NULL) && (status == BARLUA_POLL_MATCH || status == BARLUA_POLL_TIMEOUT))
    barlua_trace_add(b->trace, width == 32 ? TR_POLL32 : TR_POLL64, width, off, r.value, want, mask,
                     NULL, 0);
  switch (status) {
    case BARLUA_POLL_MATCH:
      lua_pushinteger(L, (lua_Integer)r.value);
      lua_pushinteger(L, (lua_Integer)r.elapsed_ns);
      lua_pushinteger(L, (lua_Integer)r.reads);
      return 3;
    case BARLUA_POLL_FAULT:
      bar_bus_error(L, fn, off);
    case BARLUA_POLL_INTERRUPTED:
      return barlua_interrupt_raise(L, method);
    case BARLUA_POLL_TIMEOUT:
    default:
      lua_pushnil(L);
      lua_pushliteral(L, "timeout");
      lua_pushinteger(L, (lua_Integer)r.value);
      lua_pushinteger(L, (lua_Integer)r.reads);
      return 4;
  }
}

int bar_poll32(lua_State *L) { return poll_register(L, "poll32", "bar:poll32", 32); }
int bar_poll64(lua_State *L) { return poll_register(L, "poll64", "bar:poll64", 64); }
