// The floors barlua is measured against, on the same /dev/shm mapping:
//   - a bare C loop of volatile reads/writes (no interpreter at all);
//   - a minimal Lua C function doing the same volatile access, called as a method on a
//     userdata whose __index is a table: the cheapest shape any binding can have;
//   - memset / memcmp / memcpy / a byte count over 64 MiB, for the bulk operations.
// Prints "name ns_per_op" or "name MB/s" lines for bench/run to compare.
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static volatile uint8_t *map_file(const char *path, size_t size) {
  int fd = open(path, O_RDWR);
  if (fd < 0) {
    perror(path);
    exit(1);
  }
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(1);
  }
  close(fd);
  return p;
}

#define FLOOR_READ(bits)                                                    \
  static int fl_read##bits(lua_State *L) {                                  \
    volatile uint8_t *p = *(volatile uint8_t **)lua_touserdata(L, 1);       \
    lua_Integer o = lua_tointeger(L, 2);                                    \
    lua_pushinteger(L, (lua_Integer) * (volatile uint##bits##_t *)(p + o)); \
    return 1;                                                               \
  }
#define FLOOR_WRITE(bits)                                                      \
  static int fl_write##bits(lua_State *L) {                                    \
    volatile uint8_t *p = *(volatile uint8_t **)lua_touserdata(L, 1);          \
    lua_Integer o = lua_tointeger(L, 2);                                       \
    *(volatile uint##bits##_t *)(p + o) = (uint##bits##_t)lua_tointeger(L, 3); \
    return 0;                                                                  \
  }
FLOOR_READ(8)
FLOOR_READ(16)
FLOOR_READ(32)
FLOOR_READ(64)
FLOOR_WRITE(8)
FLOOR_WRITE(16)
FLOOR_WRITE(32)
FLOOR_WRITE(64)

// The split 64-bit forms: two 32-bit accesses, high word first.
static int fl_read64hl(lua_State *L) {
  volatile uint8_t *p = *(volatile uint8_t **)lua_touserdata(L, 1);
  lua_Integer o = lua_tointeger(L, 2);
  uint64_t hi = *(volatile uint32_t *)(p + o + 4);
  lua_pushinteger(L, (lua_Integer)(hi << 32 | *(volatile uint32_t *)(p + o)));
  return 1;
}
static int fl_write64hl(lua_State *L) {
  volatile uint8_t *p = *(volatile uint8_t **)lua_touserdata(L, 1);
  lua_Integer o = lua_tointeger(L, 2);
  uint64_t v = (uint64_t)lua_tointeger(L, 3);
  *(volatile uint32_t *)(p + o + 4) = (uint32_t)(v >> 32);
  *(volatile uint32_t *)(p + o) = (uint32_t)v;
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: floor SMALLFILE BIGFILE N\n");
    return 2;
  }
  long n = atol(argv[3]);
  volatile uint8_t *small = map_file(argv[1], 4096);
  size_t big_size = 64u << 20;
  volatile uint8_t *big = map_file(argv[2], big_size);

  // Bare C, best of 5, every width and the split 64-bit forms (two 32-bit accesses).
  uint64_t sink = 0;
  double t, best;
#define BARE(name, stmt)           \
  best = 1e9;                      \
  for (int r = 0; r < 5; r++) {    \
    t = now();                     \
    for (long i = 0; i < n; i++) { \
      stmt;                        \
    }                              \
    double d = now() - t;          \
    if (d < best) best = d;        \
  }                                \
  printf(name " %.3f\n", best / n * 1e9);
  BARE("c_read8", sink += *(volatile uint8_t *)(small + 8));
  BARE("c_read16", sink += *(volatile uint16_t *)(small + 8));
  BARE("c_read32", sink += *(volatile uint32_t *)(small + 8));
  BARE("c_read64", sink += *(volatile uint64_t *)(small + 8));
  BARE("c_read64hl", {
    uint64_t hi = *(volatile uint32_t *)(small + 12);
    sink += hi << 32 | *(volatile uint32_t *)(small + 8);
  });
  BARE("c_read64lh", {
    uint64_t lo = *(volatile uint32_t *)(small + 8);
    sink += (uint64_t) * (volatile uint32_t *)(small + 12) << 32 | lo;
  });
  BARE("c_write8", *(volatile uint8_t *)(small + 8) = (uint8_t)i);
  BARE("c_write16", *(volatile uint16_t *)(small + 8) = (uint16_t)i);
  BARE("c_write32", *(volatile uint32_t *)(small + 8) = (uint32_t)i);
  BARE("c_write64", *(volatile uint64_t *)(small + 8) = (uint64_t)i);
  BARE("c_write64hl", {
    *(volatile uint32_t *)(small + 12) = 0;
    *(volatile uint32_t *)(small + 8) = (uint32_t)i;
  });
  BARE("c_write64lh", {
    *(volatile uint32_t *)(small + 8) = (uint32_t)i;
    *(volatile uint32_t *)(small + 12) = 0;
  });

  // Minimal Lua C functions, called as methods.
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  volatile uint8_t **u = lua_newuserdatauv(L, sizeof *u, 0);
  *u = small;
  lua_newtable(L);
  lua_newtable(L);
  const luaL_Reg fns[] = {{"read8", fl_read8},
                          {"read16", fl_read16},
                          {"read32", fl_read32},
                          {"read64", fl_read64},
                          {"write8", fl_write8},
                          {"write16", fl_write16},
                          {"write32", fl_write32},
                          {"write64", fl_write64},
                          {"read64hl", fl_read64hl},
                          {"write64hl", fl_write64hl},
                          {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  lua_setglobal(L, "m");
  lua_pushinteger(L, n);
  lua_setglobal(L, "N");
  const char *loop =
      "local m, N = m, N\n"
      "local function run(name, f) local best = math.huge for _ = 1, 5 do local t = os.clock() f() "
      "best = math.min(best, os.clock() - t) end io.write(name, ' ', string.format('%.3f', best / "
      "N * 1e9), '\\n') end\n"
      "run('lua_read8', function() for i = 1, N do m:read8(8) end end)\n"
      "run('lua_read16', function() for i = 1, N do m:read16(8) end end)\n"
      "run('lua_read32', function() for i = 1, N do m:read32(8) end end)\n"
      "run('lua_read64', function() for i = 1, N do m:read64(8) end end)\n"
      "run('lua_write8', function() for i = 1, N do m:write8(8, 1) end end)\n"
      "run('lua_write16', function() for i = 1, N do m:write16(8, 1) end end)\n"
      "run('lua_write32', function() for i = 1, N do m:write32(8, 1) end end)\n"
      "run('lua_write64', function() for i = 1, N do m:write64(8, 1) end end)\n"
      "run('lua_read64hl', function() for i = 1, N do m:read64hl(8) end end)\n"
      "run('lua_write64hl', function() for i = 1, N do m:write64hl(8, 1) end end)\n"
      "run('lua_empty_loop', function() for i = 1, N do end end)\n";
  if (luaL_dostring(L, loop) != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    return 1;
  }
  lua_close(L);

  // Bulk, best of 5 passes over 64 MiB.
  uint8_t *heap = malloc(big_size);
  memset(heap, 0, big_size);
#define BULK(name, stmt)        \
  best = 1e9;                   \
  for (int r = 0; r < 5; r++) { \
    t = now();                  \
    stmt;                       \
    double d = now() - t;       \
    if (d < best) best = d;     \
  }                             \
  printf(name " %.1f\n", big_size / best / 1e6);
  BULK("c_memset", memset((void *)big, 0, big_size));
  BULK("c_memcmp", sink += (uint64_t)memcmp((const void *)big, heap, big_size));
  BULK("c_memcpy_in", memcpy(heap, (const void *)big, big_size));
  BULK("c_memcpy_out", memcpy((void *)big, heap, big_size));
  fprintf(stderr, "(sink %llu)\n", (unsigned long long)sink);
  return 0;
}
