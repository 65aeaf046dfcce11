// bar:dump([off[, len]]) -> string in `hexdump -C` layout: offset, 16 bytes in two groups of
// 8, |ASCII|; a run of identical lines collapses to "*"; the last line is the end offset.
#include <stdio.h>
#include <string.h>

#include "bar_internal.h"

int bar_dump(lua_State *L) {
  barlua_bar *b = check_bar(L, "dump");
  check_nargs(L, "dump", 2, "offset, length");
  uint64_t off, len;
  bar_check_span(L, b, 2, "dump", &off, &len);
  if (len > ((uint64_t)1 << 30))
    bar_error(L, "bar:dump: length 0x%llx is too large to dump (at most 1 GiB)", (long long)len);
  luaL_Buffer out;
  luaL_buffinit(L, &out);
  unsigned char prev[16], cur[16];
  int have_prev = 0, starred = 0;
  for (uint64_t pos = 0; pos < len; pos += 16) {
    size_t n = (size_t)((len - pos) < 16 ? (len - pos) : 16);
    barlua_fault f;
    if (barlua_transfer(b->win, BARLUA_OP_READ, off + pos, cur, n, 0, &f) != 0) {
      f.done += pos;
      bar_bulk_bus_error(L, "dump", &f, len, "read");
    }
    if (n == 16 && have_prev && memcmp(prev, cur, 16) == 0) {
      if (!starred) luaL_addstring(&out, "*\n");
      starred = 1;
      continue;
    }
    starred = 0;
    char line[96];
    int k = snprintf(line, sizeof line, "%08llx ", (unsigned long long)(off + pos));
    for (size_t j = 0; j < 16; j++) {
      if (j == 8) line[k++] = ' ';
      if (j < n)
        k += snprintf(line + k, sizeof line - (size_t)k, " %02x", cur[j]);
      else
        k += snprintf(line + k, sizeof line - (size_t)k, "   ");
    }
    k += snprintf(line + k, sizeof line - (size_t)k, "  |");
    for (size_t j = 0; j < n; j++)
      line[k++] = (cur[j] >= 0x20 && cur[j] < 0x7f) ? (char)cur[j] : '.';
    line[k++] = '|';
    line[k++] = '\n';
    luaL_addlstring(&out, line, (size_t)k);
    memcpy(prev, cur, 16);
    have_prev = (n == 16);
  }
  if (UNLIKELY(b->trace != NULL)) barlua_trace_add(b->trace, TR_DUMP, 0, off, 0, len, 0, NULL, 0);
  char end[32];
  snprintf(end, sizeof end, "%08llx\n", (unsigned long long)(off + len));
  luaL_addstring(&out, end);
  luaL_pushresult(&out);
  return 1;
}
