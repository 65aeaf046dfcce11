// Heap tuning for a tool that moves whole BARs through Lua strings.
#include <malloc.h>

#include "cbarlua.h"

// glibc serves blocks above 128 KiB with fresh mmaps and returns them on free, so every
// `bar:read` of a large BAR page-faults its buffers in again (measured: 64 MiB reads ran at
// 1 GB/s against 15 GB/s for memcpy). Keeping large blocks on the heap lets the next read
// reuse already-faulted memory.
void barlua_tune_heap(void) {
  mallopt(M_MMAP_THRESHOLD, 512 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}
