// What bulk.c and exact.c share inside CBarluaSys: the shape of a loop over a window range and
// the one place that runs such a loop under the bus-error guard.
#ifndef BARLUA_LOOPS_H
#define BARLUA_LOOPS_H
#include "barlua_sys.h"

/// A loop over the `len` bytes at `p`: each byte touched at most once, in ascending address
/// order, nothing outside them. `data` is what the loop reads from or writes to (its buffer,
/// the fill byte, or a small struct of arguments and results).
typedef void barlua_loop(volatile uint8_t *p, void *data, size_t len);

/// Runs `loop` over [off, off+len) of the window under the guard (guard.c). Returns 0, or -1
/// after a bus error with `fault` filled in (the loop went up in steps of `unit` bytes).
int barlua_run_guarded(const barlua_window *w, uint64_t off, size_t len, unsigned unit,
                       barlua_loop *loop, void *data, barlua_fault *fault);

/// The exact-width loop (exact.c) for `op` and `width` (8, 16, 32 or 64). READ's data is the
/// destination buffer, WRITE's the source, FILL's a pointer to the byte.
barlua_loop *barlua_exact_loop(barlua_op op, unsigned width);

#endif
