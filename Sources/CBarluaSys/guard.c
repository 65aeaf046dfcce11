// The bus-error guard: a SIGBUS raised inside BARLUA_GUARDED becomes a return value.
#include "barlua_sys.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

_Thread_local sigjmp_buf *barlua_guard_jmp;
_Thread_local void *barlua_guard_fault_addr;

static void barlua_sigbus(int sig, siginfo_t *info, void *ctx) {
  (void)ctx;
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
