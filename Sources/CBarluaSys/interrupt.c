// Ctrl-C and SIGTERM as a pending flag, and waits that end when one arrives.
// See barlua_interrupt.h.
#define _GNU_SOURCE  // ppoll
#include "barlua_interrupt.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t pending;
static volatile sig_atomic_t terminated;
static void (*volatile notify_fn)(int);

static void on_signal(int sig) {
  int saved = errno;
  pending = sig;
  if (sig == SIGTERM) terminated = 1;
  void (*fn)(int) = notify_fn;
  if (fn != NULL) fn(sig);
  errno = saved;
}

// What each catch replaced, restored by its release (catches nest: the REPL's session, then
// a chunk or a prompt inside it).
enum { MAX_DEPTH = 8 };
static struct {
  struct sigaction intr, term;
  void (*notify)(int);
} saved[MAX_DEPTH];
static int depth;

void barlua_interrupt_catch(void (*notify)(int sig), int one_shot) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGTERM);
  // No SA_RESTART: a blocking read() or poll() returns EINTR.
  sa.sa_flags = one_shot ? SA_RESETHAND : 0;
  if (depth < MAX_DEPTH) {
    sigaction(SIGINT, NULL, &saved[depth].intr);
    sigaction(SIGTERM, NULL, &saved[depth].term);
    saved[depth].notify = notify_fn;
  }
  depth++;
  notify_fn = notify;
  pending = 0;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

void barlua_interrupt_release(void) {
  if (depth == 0) return;
  depth--;
  if (depth < MAX_DEPTH) {
    notify_fn = saved[depth].notify;
    sigaction(SIGINT, &saved[depth].intr, NULL);
    sigaction(SIGTERM, &saved[depth].term, NULL);
  } else {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    notify_fn = NULL;
  }
}

int barlua_interrupt_pending(void) { return pending; }

int barlua_interrupt_take(void) {
  int sig = pending;
  pending = 0;
  return sig;
}

int barlua_interrupt_terminated(void) { return terminated; }

const char *barlua_interrupt_message(int sig) {
  return sig == SIGTERM ? "terminated (SIGTERM)" : "interrupted!";
}

int barlua_wait(struct pollfd *fds, nfds_t nfds, int64_t timeout_ns) {
  // Block the two signals, check the flag, and let ppoll unblock them atomically: a signal
  // that arrives between the check and the wait is delivered inside ppoll, which returns.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  sigset_t during = old;
  sigdelset(&during, SIGINT);
  sigdelset(&during, SIGTERM);
  int64_t deadline = 0;
  if (timeout_ns >= 0) {
    int64_t now = barlua_monotonic_ns();
    deadline = timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns;
  }
  int r;
  for (;;) {
    if (pending) {
      errno = EINTR;
      r = -1;
      break;
    }
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
      int64_t left = deadline - barlua_monotonic_ns();
      if (left < 0) left = 0;
      ts.tv_sec = (time_t)(left / 1000000000);
      ts.tv_nsec = (long)(left % 1000000000);
      tsp = &ts;
    }
    r = ppoll(fds, nfds, tsp, &during);
    if (r >= 0 || errno != EINTR) break;  // EINTR: loop, the top checks which signal it was
  }
  int saved = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = saved;
  return r;
}

int barlua_sleep(int64_t ns) {
  int r = barlua_wait(NULL, 0, ns < 0 ? 0 : ns);
  return r < 0 ? -1 : 0;
}
