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

// 0 if the process may make one more mapping (the kernel's vm.max_map_count check passes, so
// brk and mmap can grow the heap), else the errno of a one-page probe mapping (ENOMEM past the
// limit). The probe is a shared anonymous page, which never merges with a neighbour, so
// unmapping it never splits one; about 2 microseconds.
static int headroom(void) {
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) page = 4096;
  void *p = mmap(NULL, (size_t)page, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return errno;
  munmap(p, (size_t)page);
  return 0;
}

void *barlua_mmap(size_t length, int prot, int flags, int fd, off_t offset) {
  void *p = mmap(NULL, length, prot, flags, fd, offset);
  if (p == MAP_FAILED) {
    int e = errno;
    // The reserve back to malloc before the caller builds any text: at vm.max_map_count the
    // heap cannot grow either.
    if (e == ENOMEM) {
      free(reserve);
      reserve = NULL;
    }
    errno = e;
    return MAP_FAILED;
  }
  // A mapping that took the process's last slot leaves the heap unable to grow: undone, and
  // reported as the ENOMEM it leads to.
  int e = headroom();
  if (e != 0) {
    munmap(p, length);
    errno = e;
    return MAP_FAILED;
  }
  // On the thread that maps, so that the memory returns to that thread's malloc arena.
  if (reserve == NULL) reserve = malloc(RESERVE_SIZE);
  return p;
}
