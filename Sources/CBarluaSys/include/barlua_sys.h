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

// ---- the same accesses, surviving a bus error (return 0, or 1 after SIGBUS) ----
//
// On x86-64 these cost nothing extra: like the kernel's exception tables, each access
// instruction's address goes into the `barlua_extable` section with the address of a fixup
// stub (both stored relative to the entry, so the table needs no relocations in a PIE); the SIGBUS handler finds the faulting RIP there and resumes at the stub, which sets
// the result to 1. Elsewhere they fall back to sigsetjmp (BARLUA_GUARDED below).
#if defined(__x86_64__)
#define BARLUA_EXTABLE_ACCESS(insn, outputs, inputs)                                          \
  __asm__ volatile("1: " insn "\n"                                                            \
                   "2:\n"                                                                     \
                   ".pushsection barlua_extable, \"a\"\n"                                      \
                   ".balign 4\n"                                                              \
                   ".long 1b - ., 3f - .\n"                                                   \
                   ".popsection\n"                                                            \
                   ".pushsection .text.barlua_fixup, \"ax\"\n"                                 \
                   "3: movl $1, %[err]\n"                                                     \
                   "   jmp 2b\n"                                                              \
                   ".popsection\n"                                                            \
                   : outputs                                                                  \
                   : inputs                                                                   \
                   : "memory")
#define BARLUA_DEFINE_TRY_READ(bits, insn, reg)                                              \
  static inline int barlua_try_rd##bits(const volatile uint8_t *p, uint##bits##_t *out) {     \
    int err = 0;                                                                              \
    uint64_t v = 0;                                                                           \
    BARLUA_EXTABLE_ACCESS(insn " (%[p]), %" reg "[v]", [v] "+r"(v) COMMA [err] "+r"(err),     \
                          [p] "r"(p));                                                        \
    *out = (uint##bits##_t)v;                                                                 \
    return err;                                                                               \
  }
#define BARLUA_DEFINE_TRY_WRITE(bits, insn, reg)                                             \
  static inline int barlua_try_wr##bits(volatile uint8_t *p, uint##bits##_t v) {             \
    int err = 0;                                                                              \
    uint64_t w = v;                                                                           \
    BARLUA_EXTABLE_ACCESS(insn " %" reg "[w], (%[p])", [err] "+r"(err), [p] "r"(p) COMMA[w] "r"(w)); \
    return err;                                                                               \
  }
#define COMMA ,
// movzbl/movzwl zero-extend into the 32-bit register (which clears the upper half).
BARLUA_DEFINE_TRY_READ(8, "movzbl", "k")
BARLUA_DEFINE_TRY_READ(16, "movzwl", "k")
BARLUA_DEFINE_TRY_READ(32, "movl", "k")
BARLUA_DEFINE_TRY_READ(64, "movq", "q")
BARLUA_DEFINE_TRY_WRITE(8, "movb", "b")
BARLUA_DEFINE_TRY_WRITE(16, "movw", "w")
BARLUA_DEFINE_TRY_WRITE(32, "movl", "k")
BARLUA_DEFINE_TRY_WRITE(64, "movq", "q")
#undef COMMA
#define BARLUA_HAS_EXTABLE 1
#endif

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

#ifndef BARLUA_HAS_EXTABLE
#define BARLUA_DEFINE_TRY_READ(bits)                                                         \
  static inline int barlua_try_rd##bits(const volatile uint8_t *p, uint##bits##_t *out) {     \
    int faulted;                                                                              \
    BARLUA_GUARDED(faulted, *out = barlua_rd##bits(p));                                       \
    return faulted;                                                                           \
  }
#define BARLUA_DEFINE_TRY_WRITE(bits)                                                        \
  static inline int barlua_try_wr##bits(volatile uint8_t *p, uint##bits##_t v) {             \
    int faulted;                                                                              \
    BARLUA_GUARDED(faulted, barlua_wr##bits(p, v));                                           \
    return faulted;                                                                           \
  }
BARLUA_DEFINE_TRY_READ(8)
BARLUA_DEFINE_TRY_READ(16)
BARLUA_DEFINE_TRY_READ(32)
BARLUA_DEFINE_TRY_READ(64)
BARLUA_DEFINE_TRY_WRITE(8)
BARLUA_DEFINE_TRY_WRITE(16)
BARLUA_DEFINE_TRY_WRITE(32)
BARLUA_DEFINE_TRY_WRITE(64)
#endif

// ---- bulk operations, guarded; return 0 or -1 after a bus error ----
int barlua_copy_in(const barlua_window *w, uint64_t off, void *dst, size_t len);
int barlua_copy_out(const barlua_window *w, uint64_t off, const void *src, size_t len);
int barlua_fill(const barlua_window *w, uint64_t off, uint8_t byte, size_t len);
/// Count of bytes equal to `byte`; -1 after a bus error.
int64_t barlua_count(const barlua_window *w, uint64_t off, uint8_t byte, size_t len);
/// -1 when equal, the first differing index otherwise, -2 after a bus error.
int64_t barlua_compare(const barlua_window *w, uint64_t off, const void *s, size_t len);

#endif
