// Keeping the heap able to grow at vm.max_map_count (barlua_heap_reserve.h).
#include "barlua_heap_reserve.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

// 256 KiB: the explanation (a few hundred bytes of Swift and Lua strings) and whatever the
// Lua state allocates while the error unwinds, many times over. barlua_tune_heap keeps blocks
// below 512 MiB on the heap, so this is heap memory that free() gives back to malloc, not a
// mapping of its own.
#define RESERVE_SIZE ((size_t)256 << 10)

static _Thread_local void *reserve;

void barlua_heap_reserve_take(void) {
  if (reserve) return;
  reserve = malloc(RESERVE_SIZE);
}

void barlua_heap_reserve_release(void) {
  free(reserve);
  reserve = NULL;
}

int barlua_map_headroom(void) {
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) page = 4096;
  void *p = mmap(NULL, (size_t)page, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return errno;
  munmap(p, (size_t)page);
  return 0;
}
