// Lua modules compiled into the binary (C23 #embed), so `require "barlua.test"` works from
// any folder without an installed share directory. Their sources live with the rest of the
// shared Lua, in scripts/lib/barlua/ (the one home of barlua's Lua modules).
#include <string.h>

#include "cbarlua.h"

static const char repl_lua[] = {
#embed "../../scripts/lib/barlua/repl.lua"
};

static const char ipxact_lua[] = {
#embed "../../scripts/lib/barlua/ipxact.lua"
};

static const char ipxact_expr_lua[] = {
#embed "../../scripts/lib/barlua/ipxact_expr.lua"
};

static const char pcie_lua[] = {
#embed "../../scripts/lib/barlua/pcie.lua"
};

static const char regs_lua[] = {
#embed "../../scripts/lib/barlua/regs.lua"
};

static const char script_lua[] = {
#embed "../../scripts/lib/barlua/script.lua"
};

static const char regs_cache_lua[] = {
#embed "../../scripts/lib/barlua/regs_cache.lua"
};

static const char trace_lua[] = {
#embed "../../scripts/lib/barlua/trace.lua"
};

static const char test_lua[] = {
#embed "../../scripts/lib/barlua/test.lua"
};

static const char test_report_lua[] = {
#embed "../../scripts/lib/barlua/test_report.lua"
};

static const char boards_lua[] = {
#embed "../../scripts/lib/barlua/boards.lua"
};

static const char board_filter_lua[] = {
#embed "../../scripts/lib/barlua/board_filter.lua"
};

static const struct {
  const char *name;
  const char *src;
  size_t len;
} modules[] = {
    {"barlua.repl", repl_lua, sizeof repl_lua},
    {"barlua.ipxact", ipxact_lua, sizeof ipxact_lua},
    {"barlua.ipxact_expr", ipxact_expr_lua, sizeof ipxact_expr_lua},
    {"barlua.pcie", pcie_lua, sizeof pcie_lua},
    {"barlua.regs", regs_lua, sizeof regs_lua},
    {"barlua.script", script_lua, sizeof script_lua},
    {"barlua.test", test_lua, sizeof test_lua},
    {"barlua.test_report", test_report_lua, sizeof test_report_lua},
    {"barlua.boards", boards_lua, sizeof boards_lua},
    {"barlua.board_filter", board_filter_lua, sizeof board_filter_lua},
    {"barlua.trace", trace_lua, sizeof trace_lua},
    {"barlua.regs_cache", regs_cache_lua, sizeof regs_cache_lua},
};

const char *barlua_embedded_name(size_t i) {
  return i < sizeof modules / sizeof modules[0] ? modules[i].name : NULL;
}

const char *barlua_embedded_module(const char *name, size_t *len) {
  for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
    if (strcmp(modules[i].name, name) == 0) {
      *len = modules[i].len;
      return modules[i].src;
    }
  }
  *len = 0;
  return NULL;
}
