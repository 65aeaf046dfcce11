// The bus-error guard: a SIGBUS raised by a barlua_try_* access or inside BARLUA_GUARDED
// becomes a return value instead of killing the process.
#define _GNU_SOURCE 1  // REG_RIP
#include "barlua_sys.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

_Thread_local sigjmp_buf *barlua_guard_jmp;
_Thread_local void *barlua_guard_fault_addr;

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
#if defined(BARLUA_HAS_EXTABLE)
  ucontext_t *uc = ctx;
  uintptr_t fixup = find_fixup((uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
  if (fixup != 0) {
    barlua_guard_fault_addr = info ? info->si_addr : NULL;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)fixup;
    return;
  }
#else
  (void)ctx;
#endif
  sigjmp_buf *jb = barlua_guard_jmp;
  if (jb != NULL) {
    barlua_guard_fault_addr = info ? info->si_addr : NULL;
    barlua_guard_jmp = NULL;
    siglongjmp(*jb, 1);
  }
  // Not ours: restore the default action; returning re-executes the access and kills us
  // with the usual core dump, as if no handler had been installed.
  signal(sig, SIG_DFL);
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
