// Keeping the heap able to grow at vm.max_map_count. The kernel refuses brk and mmap alike once
// a process has more mappings than the limit, so a mapping that takes the last slot leaves
// malloc unable to grow: the next allocation of any size that the free heap cannot serve fails
// ("not enough memory", or a crash in a runtime that cannot fail an allocation). Two guards:
//
// - Headroom: after each mapping barlua makes, barlua_map_headroom asks the kernel whether the
//   process may still map (and so grow its heap); when it may not, the mapping is undone and
//   reported as the mmap ENOMEM it leads to. A barlua call never leaves the process past the
//   limit.
// - Reserve: when something else took the last slot, barlua's own mmap fails with ENOMEM and
//   the heap cannot grow to hold the message that explains it. Mapping code keeps a reserve
//   allocated while mappings succeed and frees it the moment mmap fails with ENOMEM, before
//   any text is built; the next successful mapping takes it again.
#ifndef BARLUA_HEAP_RESERVE_H
#define BARLUA_HEAP_RESERVE_H

/// Allocate the reserve if it is not held (after a successful mapping; cheap when held). On
/// the thread that maps, so that the memory returns to that thread's malloc arena.
void barlua_heap_reserve_take(void);

/// Free the reserve, if held (an mmap just failed with ENOMEM).
void barlua_heap_reserve_release(void);

/// 0 if the process may make one more mapping (the kernel's vm.max_map_count check passes, so
/// brk and mmap can grow the heap), else the errno of a one-page probe mapping (ENOMEM past the
/// limit). The probe is a shared anonymous page, which never merges with a neighbour, so
/// unmapping it never splits one; about 2 microseconds.
int barlua_map_headroom(void);
#endif
