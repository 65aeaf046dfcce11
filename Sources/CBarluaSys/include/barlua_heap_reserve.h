// Keeping the heap able to grow at vm.max_map_count. The kernel refuses brk and mmap alike once
// a process has more mappings than the limit, so a mapping that takes the last slot leaves
// malloc unable to grow: the next allocation of any size that the free heap cannot serve fails
// ("not enough memory", or a crash in a runtime that cannot fail an allocation). Two guards:
//
// - Headroom: after each mapping barlua makes, a one-page probe mapping asks the kernel whether
//   the process may still map (and so grow its heap); when it may not, the mapping is undone and
//   reported as the mmap ENOMEM it leads to. A barlua call never leaves the process past the
//   limit.
// - Reserve: when something else took the last slot, barlua's own mmap fails with ENOMEM and
//   the heap cannot grow to hold the message that explains it. Mapping code keeps a reserve
//   allocated while mappings succeed and frees it the moment mmap fails with ENOMEM, before
//   any text is built; the next successful mapping takes it again.
#ifndef BARLUA_HEAP_RESERVE_H
#define BARLUA_HEAP_RESERVE_H

#include <sys/types.h>

/// mmap(NULL, length, prot, flags, fd, offset) with both guards, for every mapping barlua
/// makes: on success the reserve is held again; on failure it returns MAP_FAILED with errno
/// set, the reserve already freed when that errno is ENOMEM (so the caller may build its
/// message), and a mapping that succeeded but left the process past the limit already undone
/// (errno then is the headroom probe's, ENOMEM).
void *barlua_mmap(size_t length, int prot, int flags, int fd, off_t offset);
#endif
