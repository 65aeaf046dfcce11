// A reserve of heap memory for explaining a failed mapping. A process at vm.max_map_count can
// no longer grow its heap either (the kernel refuses brk and mmap alike past the limit), so
// the message that names the limit, and the Lua string that carries it, could fail to be
// allocated ("not enough memory" in place of the explanation). Mapping code keeps a reserve
// allocated while mappings succeed and frees it the moment mmap fails with ENOMEM, before any
// text is built; the next successful mapping takes it again.
#ifndef BARLUA_HEAP_RESERVE_H
#define BARLUA_HEAP_RESERVE_H

/// Allocate the reserve if it is not held (after a successful mapping; cheap when held). On
/// the thread that maps, so that the memory returns to that thread's malloc arena.
void barlua_heap_reserve_take(void);

/// Free the reserve, if held (an mmap just failed with ENOMEM).
void barlua_heap_reserve_release(void);
#endif
