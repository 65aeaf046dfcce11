// Heap tuning for a tool that moves whole BARs through Lua strings.
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

#include "cbarlua.h"

// glibc serves blocks above 128 KiB with fresh mmaps and returns them on free, so every
// `bar:read` of a large BAR page-faults its buffers in again (measured: 64 MiB reads ran at
// 1 GB/s against 15 GB/s for memcpy). Keeping large blocks on the heap lets the next read
// reuse already-faulted memory.
void barlua_tune_heap(void) {
  mallopt(M_MMAP_THRESHOLD, 512 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

// A Lua block of at least LARGE_BLOCK bytes (the string of a large `bar:read`, the buffer an
// exact-width read fills before Lua copies it into that string) asks the kernel for
// transparent huge pages (MADV_HUGEPAGE), for the 2 MiB-aligned part of it: a copy of tens of
// MiB then walks a few dozen page-table entries instead of thousands, and faults in a few
// pages instead of thousands. Advice only: where THP is off (`never`) or absent nothing
// changes, so its result is not checked. Measured in bench/run (docs/speed.md: exact-width reads).
#define LARGE_BLOCK ((size_t)8 << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20)

// luaL_newstate's allocator, the same for every state (states may be made on several threads).
static _Atomic(lua_Alloc) lua_heap_alloc;

static void *large_block_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  void *p = atomic_load_explicit(&lua_heap_alloc, memory_order_relaxed)(ud, ptr, osize, nsize);
  if (p && nsize >= LARGE_BLOCK) {
    uintptr_t start = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    uintptr_t end = ((uintptr_t)p + nsize) & ~(HUGE_PAGE - 1);
    if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
  }
  return p;
}

void barlua_tune_lua_heap(lua_State *L) {
  void *ud;
  lua_Alloc f = lua_getallocf(L, &ud);
  lua_Alloc none = NULL;
  if (f == large_block_alloc) return;
  // The first state's allocator is kept; a state with another one is left alone.
  if (!atomic_compare_exchange_strong(&lua_heap_alloc, &none, f) && none != f) return;
  lua_setallocf(L, large_block_alloc, ud);
}
