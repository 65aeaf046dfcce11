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
static inline uint16_t barlua_rd16(const volatile uint8_t *p) {
  return *(const volatile uint16_t *)p;
}
static inline uint32_t barlua_rd32(const volatile uint8_t *p) {
  return *(const volatile uint32_t *)p;
}
static inline uint64_t barlua_rd64(const volatile uint8_t *p) {
  return *(const volatile uint64_t *)p;
}
static inline void barlua_wr8(volatile uint8_t *p, uint8_t v) { *(volatile uint8_t *)p = v; }
static inline void barlua_wr16(volatile uint8_t *p, uint16_t v) { *(volatile uint16_t *)p = v; }
static inline void barlua_wr32(volatile uint8_t *p, uint32_t v) { *(volatile uint32_t *)p = v; }
static inline void barlua_wr64(volatile uint8_t *p, uint64_t v) { *(volatile uint64_t *)p = v; }

// ---- the same accesses, surviving a bus error (return 0, or 1 after SIGBUS) ----
//
// On x86-64 these cost nothing extra: like the kernel's exception tables, each access
// instruction's address goes into the `barlua_extable` section with the address of a fixup
// stub (both stored relative to the entry, so the table needs no relocations in a PIE); the SIGBUS
// handler finds the faulting RIP there and resumes at the stub, which sets the result to 1.
// Elsewhere they fall back to sigsetjmp (BARLUA_GUARDED below).
#if defined(__x86_64__)
// The assembler template reads best one directive per line:
// clang-format off
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
// clang-format on
#define BARLUA_DEFINE_TRY_READ(bits, insn, reg)                                           \
  static inline int barlua_try_rd##bits(const volatile uint8_t *p, uint##bits##_t *out) { \
    int err = 0;                                                                          \
    uint64_t v = 0;                                                                       \
    BARLUA_EXTABLE_ACCESS(                                                                \
        insn " (%[p]), %" reg "[v]", [v] "+r"(v)COMMA[err] "+r"(err), [p] "r"(p));        \
    *out = (uint##bits##_t)v;                                                             \
    return err;                                                                           \
  }
#define BARLUA_DEFINE_TRY_WRITE(bits, insn, reg)                                  \
  static inline int barlua_try_wr##bits(volatile uint8_t *p, uint##bits##_t v) {  \
    int err = 0;                                                                  \
    uint64_t w = v;                                                               \
    BARLUA_EXTABLE_ACCESS(                                                        \
        insn " %" reg "[w], (%[p])", [err] "+r"(err), [p] "r"(p)COMMA[w] "r"(w)); \
    return err;                                                                   \
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
// A SIGBUS while a guard is active jumps back to the guard instead of killing the process,
// but only a real fault (si_code BUS_ADRERR & co., not kill/sigqueue) on an address inside the
// range the guarded operation declared; any other SIGBUS gets the default action.
// sigsetjmp(..., 0) saves no signal mask (no system call on the fast path); the handler is
// installed with SA_NODEFER so SIGBUS is never left blocked after the jump.
typedef struct barlua_guard {
  sigjmp_buf jb;
  uintptr_t lo, hi;          // the bytes the guarded operation may touch: [lo, hi)
  volatile uintptr_t fault;  // set by the handler: the address that faulted
} barlua_guard;

// `volatile`: the stores that arm and disarm the guard are side effects the optimiser must
// keep (it once removed the arming store before a memset, whose body it knows touches no
// global). The compiler barriers keep the guarded accesses between the two stores.
extern _Thread_local barlua_guard *volatile barlua_guard_active;
extern _Thread_local void *barlua_guard_fault_addr;  // the last fault an accessor survived

#define BARLUA_BARRIER() __asm__ volatile("" ::: "memory")

/// Installs the SIGBUS handler once per process. Returns 0, or -1 with errno set.
int barlua_guard_install(void);

/// Runs the statement(s) given with bus errors on [start, start+len) turned into a result:
/// evaluates to 0, or to 1 after a SIGBUS there (then g->fault holds the faulting address).
/// The statements must not call Lua or leave the block; locals they change that are used
/// after a fault must be volatile.
#define BARLUA_GUARDED(g, start, len, ...) \
  __extension__({                          \
    int barlua_faulted_;                   \
    (g)->lo = (uintptr_t)(start);          \
    (g)->hi = (g)->lo + (uintptr_t)(len);  \
    (g)->fault = 0;                        \
    if (sigsetjmp((g)->jb, 0) == 0) {      \
      barlua_guard_active = (g);           \
      BARLUA_BARRIER();                    \
      __VA_ARGS__;                         \
      BARLUA_BARRIER();                    \
      barlua_guard_active = NULL;          \
      barlua_faulted_ = 0;                 \
    } else {                               \
      barlua_guard_active = NULL;          \
      barlua_faulted_ = 1;                 \
    }                                      \
    barlua_faulted_;                       \
  })

#ifndef BARLUA_HAS_EXTABLE
#define BARLUA_DEFINE_TRY_READ(bits)                                                      \
  static inline int barlua_try_rd##bits(const volatile uint8_t *p, uint##bits##_t *out) { \
    barlua_guard g;                                                                       \
    volatile uint##bits##_t v = 0;                                                        \
    int faulted = BARLUA_GUARDED(&g, p, bits / 8, v = barlua_rd##bits(p));                \
    *out = v;                                                                             \
    return faulted;                                                                       \
  }
#define BARLUA_DEFINE_TRY_WRITE(bits)                                            \
  static inline int barlua_try_wr##bits(volatile uint8_t *p, uint##bits##_t v) { \
    barlua_guard g;                                                              \
    return BARLUA_GUARDED(&g, p, bits / 8, barlua_wr##bits(p, v));               \
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

// ---- bulk operations, guarded ----
// Each reads or writes every byte of [off, off+len) at most once, in ascending address order,
// and never touches a byte outside it. Each returns 0, or -1 after a bus error with `fault`
// filled in. Callers (CBarlua, BarluaCore) check bounds first; these only do the work.
typedef struct barlua_fault {
  uint64_t offset;  // window offset of the access that faulted
  uint64_t done;    // bytes transferred (or examined) before it
} barlua_fault;

typedef enum barlua_op { BARLUA_OP_READ, BARLUA_OP_WRITE, BARLUA_OP_FILL } barlua_op;

/// Reads into `data` (a buffer of `len` bytes), writes from it, or fills with the byte it
/// points to. `width` 0: any access size, at memory speed (aligned 16-byte accesses in the
/// middle, the widest plain SSE2 access; bytes at the ends). `width` 8, 16, 32 or 64:
/// exact-width, every access exactly one volatile access of that many bits (registers that
/// accept one access size, FIFOs), a fill repeating the byte in each; `off` and `len` are
/// then multiples of width/8 (the caller checks). A write only reads `data`.
int barlua_transfer(const barlua_window *w, barlua_op op, uint64_t off, void *data, size_t len,
                    unsigned width, barlua_fault *fault);
/// `*count` = how many bytes equal `byte`.
int barlua_count(const barlua_window *w, uint64_t off, uint8_t byte, size_t len, uint64_t *count,
                 barlua_fault *fault);
/// `*at` = -1 when equal, else the index of the first difference (no byte after it is read).
int barlua_compare(const barlua_window *w, uint64_t off, const void *s, size_t len, int64_t *at,
                   barlua_fault *fault);

/// Fills `fault` after BARLUA_GUARDED reported a fault in an operation that started at `off`
/// and went up in steps of `unit` bytes. Returns -1.
int barlua_guard_report(const barlua_window *w, uint64_t off, const barlua_guard *g, unsigned unit,
                        barlua_fault *fault);

// ---- polling ----
typedef enum barlua_poll_status {
  BARLUA_POLL_MATCH,
  BARLUA_POLL_TIMEOUT,
  BARLUA_POLL_INTERRUPTED,
  BARLUA_POLL_FAULT,
} barlua_poll_status;

typedef struct barlua_poll_result {
  uint64_t value;       // the last value read
  uint64_t elapsed_ns;  // from the start to the matching read (or to giving up)
  uint64_t reads;       // how many reads were done
  barlua_fault fault;
} barlua_poll_result;

/// Reads the `width`-bit (32 or 64) register at `off` until `(value & mask) == want`, for at
/// most `timeout_ns` (CLOCK_MONOTONIC), stopping early when `interrupted()` returns non-zero
/// (it is called with the clock, every few microseconds at most).
barlua_poll_status barlua_poll(const barlua_window *w, uint64_t off, unsigned width, uint64_t mask,
                               uint64_t want, uint64_t timeout_ns, int (*interrupted)(void),
                               barlua_poll_result *result);

#endif
