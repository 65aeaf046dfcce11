// barlua's C layer with no Lua in it: the window a mapping is accessed through, volatile
// accessors of exactly one width, and the bus-error guard. Used by BarluaCore (Swift) and by
// the Lua-facing C in CBarlua.
#ifndef BARLUA_SYS_H
#define BARLUA_SYS_H
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

/// The memory a mapping exposes. Owned by a Swift `Mapping`; Lua `bar` userdata point at it.
/// `base` is NULL once the mapping is unmapped, so every accessor can refuse a stale bar.
typedef struct barlua_window {
  volatile uint8_t *base;
  uint64_t size;
} barlua_window;

// ---- exactly-one-access accessors (never split, merged or elided) ----
static inline uint8_t barlua_rd8(const volatile uint8_t *p) { return *(const volatile uint8_t *)p; }
static inline uint16_t barlua_rd16(const volatile uint8_t *p) { return *(const volatile uint16_t *)p; }
static inline uint32_t barlua_rd32(const volatile uint8_t *p) { return *(const volatile uint32_t *)p; }
static inline uint64_t barlua_rd64(const volatile uint8_t *p) { return *(const volatile uint64_t *)p; }
static inline void barlua_wr8(volatile uint8_t *p, uint8_t v) { *(volatile uint8_t *)p = v; }
static inline void barlua_wr16(volatile uint8_t *p, uint16_t v) { *(volatile uint16_t *)p = v; }
static inline void barlua_wr32(volatile uint8_t *p, uint32_t v) { *(volatile uint32_t *)p = v; }
static inline void barlua_wr64(volatile uint8_t *p, uint64_t v) { *(volatile uint64_t *)p = v; }

// ---- bus-error guard ----
// A SIGBUS while a guard is active jumps back to the guard instead of killing the process.
// sigsetjmp(..., 0) saves no signal mask (no system call on the fast path); the handler is
// installed with SA_NODEFER so SIGBUS is never left blocked after the jump.
extern _Thread_local sigjmp_buf *barlua_guard_jmp;
extern _Thread_local void *barlua_guard_fault_addr;

/// Installs the SIGBUS handler once per process. Returns 0, or -1 with errno set.
int barlua_guard_install(void);

/// Runs the statement(s) given; sets `faulted` to 1 if it raised SIGBUS, else 0. They must not call Lua.
#define BARLUA_GUARDED(faulted, ...)                                                        \
  do {                                                                                       \
    sigjmp_buf barlua_jb_;                                                                   \
    if (sigsetjmp(barlua_jb_, 0) == 0) {                                                     \
      barlua_guard_jmp = &barlua_jb_;                                                        \
      __VA_ARGS__;                                                                           \
      barlua_guard_jmp = NULL;                                                               \
      (faulted) = 0;                                                                         \
    } else {                                                                                 \
      barlua_guard_jmp = NULL;                                                               \
      (faulted) = 1;                                                                         \
    }                                                                                        \
  } while (0)

// ---- bulk operations, guarded; return 0 or -1 after a bus error ----
int barlua_copy_in(const barlua_window *w, uint64_t off, void *dst, size_t len);
int barlua_copy_out(const barlua_window *w, uint64_t off, const void *src, size_t len);
int barlua_fill(const barlua_window *w, uint64_t off, uint8_t byte, size_t len);
/// Count of bytes equal to `byte`; -1 after a bus error.
int64_t barlua_count(const barlua_window *w, uint64_t off, uint8_t byte, size_t len);
/// -1 when equal, the first differing index otherwise, -2 after a bus error.
int64_t barlua_compare(const barlua_window *w, uint64_t off, const void *s, size_t len);

#endif
