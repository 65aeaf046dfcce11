// The bus-error guard: a SIGBUS raised by a barlua_try_* access or inside BARLUA_GUARDED
// becomes a return value instead of killing the process; any other SIGBUS keeps its default
// action.
#define _GNU_SOURCE 1  // REG_RIP
#include "barlua_sys.h"
#include "loops.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

_Thread_local barlua_guard *volatile barlua_guard_active;
_Thread_local void *barlua_guard_fault_addr;

// A fault raised by an access (the kernel's codes), not a SIGBUS sent by kill(2), tgkill(2) or
// sigqueue(3) (si_code <= 0) or by the kernel for other reasons (SI_KERNEL).
static int is_access_fault(const siginfo_t *info) {
  if (info == NULL) return 0;
  switch (info->si_code) {
    case BUS_ADRALN:
    case BUS_ADRERR:
    case BUS_OBJERR:
#ifdef BUS_MCEERR_AR
    case BUS_MCEERR_AR:
#endif
      return 1;
    default:
      return 0;
  }
}

#if defined(BARLUA_HAS_EXTABLE)
#include <ucontext.h>

// One entry per access instruction that may fault (see BARLUA_EXTABLE_ACCESS): the
// instruction and its fixup, each as an offset from the field that holds it.
struct barlua_extable_entry {
  int32_t insn, fixup;
};
// Weak: a program that links the guard but no guarded access has no such section.
extern const struct barlua_extable_entry __start_barlua_extable[] __attribute__((weak));
extern const struct barlua_extable_entry __stop_barlua_extable[] __attribute__((weak));

static uintptr_t find_fixup(uintptr_t pc) {
  for (const struct barlua_extable_entry *e = __start_barlua_extable; e < __stop_barlua_extable;
       e++)
    if ((uintptr_t)&e->insn + (uintptr_t)(intptr_t)e->insn == pc)
      return (uintptr_t)&e->fixup + (uintptr_t)(intptr_t)e->fixup;
  return 0;
}
#endif

static void barlua_sigbus(int sig, siginfo_t *info, void *ctx) {
  if (is_access_fault(info)) {
#if defined(BARLUA_HAS_EXTABLE)
    // A single access (barlua_try_*): the faulting instruction is in the table.
    ucontext_t *uc = ctx;
    uintptr_t fixup = find_fixup((uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
    if (fixup != 0) {
      barlua_guard_fault_addr = info->si_addr;
      uc->uc_mcontext.gregs[REG_RIP] = (greg_t)fixup;
      return;
    }
#else
    (void)ctx;
#endif
    // A guarded bulk operation, faulting inside the range it declared.
    barlua_guard *g = barlua_guard_active;
    uintptr_t addr = (uintptr_t)info->si_addr;
    if (g != NULL && addr >= g->lo && addr < g->hi) {
      g->fault = addr;
      barlua_guard_active = NULL;
      siglongjmp(g->jb, 1);
    }
  }
  // Not ours: the default action. A real fault re-executes the access when we return and
  // kills the process with the usual core dump; a sent signal is raised again (SA_NODEFER
  // lets it through at once), as if no handler had been installed.
  signal(sig, SIG_DFL);
  if (!is_access_fault(info)) raise(sig);
}

int barlua_guard_report(const barlua_window *w, uint64_t off, const barlua_guard *g, unsigned unit,
                        barlua_fault *fault) {
  uintptr_t start = (uintptr_t)(w->base + off);
  uint64_t done = (uint64_t)(g->fault - start);
  done -= done % unit;
  fault->offset = off + done;
  fault->done = done;
  return -1;
}

int barlua_run_guarded(const barlua_window *w, uint64_t off, size_t len, unsigned unit,
                       barlua_loop *loop, void *data, barlua_fault *fault) {
  barlua_guard g;
  volatile uint8_t *p = w->base + off;
  if (BARLUA_GUARDED(&g, p, len, loop(p, data, len)))
    return barlua_guard_report(w, off, &g, unit, fault);
  return 0;
}

int barlua_guard_install(void) {
  static int installed;
  if (installed) return 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = barlua_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGBUS, &sa, NULL) != 0) return -1;
  installed = 1;
  return 0;
}
