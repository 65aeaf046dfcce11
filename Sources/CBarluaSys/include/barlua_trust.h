// Whether a file may be loaded as code by a process that may run as root: the trust rule of
// barlua's module search (docs/scripts.md, "Module search"; man barlua, MODULE SEARCH).
#ifndef BARLUA_TRUST_H
#define BARLUA_TRUST_H

#include <stddef.h>
#include <sys/types.h>

/// Checks the real path of `path` (symbolic links resolved) and every folder above it up to
/// `/`. Each must be owned by one of the `n` users in `owners`, and none may be writable by
/// group or others, except a folder with the sticky bit (as /tmp: others cannot replace what
/// a trusted owner put there). The file itself must be a regular file (not a FIFO, device or
/// folder). Returns 1 when trusted; 0 when not, with the reason in `why` (a sentence naming
/// the component: "'/tmp/x' is owned by user 1000"); -1 when the path cannot be resolved
/// (errno set, `why` says so).
int barlua_trusted_file(const char *path, const uid_t *owners, int n, char *why, size_t whylen);
#endif
