// "Has Ctrl-C or SIGTERM arrived?" and waits that end when one does: the one place every
// blocking call of barlua (time.sleep, bar:poll32, irq:wait, the REPL's prompt) asks.
//
// A blocking call catches nothing itself. Whoever runs Lua code (the interpreter, around each
// chunk) calls barlua_interrupt_catch; a blocking call then waits with barlua_wait /
// barlua_sleep (which return early, race-free, when a signal arrives) or, in a polling loop,
// checks barlua_interrupt_pending() each round, and reports an interrupt as an error. No Lua.
#ifndef BARLUA_INTERRUPT_H
#define BARLUA_INTERRUPT_H
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>

/// Starts catching SIGINT and SIGTERM. Each records the signal as pending and then calls
/// `notify(sig)` inside the signal handler (async-signal-safe code only; may be NULL). With
/// `one_shot` (SA_RESETHAND), as in lua.c around a chunk, a second signal while the first is
/// still being handled takes the previous action (kills, outside the REPL). Clears any
/// pending signal. Catches nest; each must be matched by one barlua_interrupt_release.
void barlua_interrupt_catch(void (*notify)(int sig), int one_shot);

/// Restores the actions (and notify function) that the matching catch replaced. A pending
/// signal stays pending.
void barlua_interrupt_release(void);

/// The signal (SIGINT or SIGTERM) that arrived and was not taken yet, else 0. One volatile
/// load: cheap enough for every round of a polling loop. Async-signal-safe.
int barlua_interrupt_pending(void);

/// Returns the pending signal (or 0) and clears it: the caller reports it.
int barlua_interrupt_take(void);

/// 1 once SIGTERM has arrived while caught (sticky): the process should end with status 143
/// after its cleanup has run.
int barlua_interrupt_terminated(void);

/// The words for a signal taken: "interrupted!" (SIGINT, as lua.c) or "terminated (SIGTERM)".
const char *barlua_interrupt_message(int sig);

/// poll(2) over `fds` for at most `timeout_ns` nanoseconds (negative: no limit) that returns
/// early when SIGINT or SIGTERM arrives, without the race of checking a flag before poll.
/// Returns poll's result (> 0 ready, 0 timed out), or -1 with errno: EINTR when an interrupt
/// is pending (barlua_interrupt_pending() says which), other errno from ppoll. Other signals
/// that interrupt the wait are retried with the remaining time.
int barlua_wait(struct pollfd *fds, nfds_t nfds, int64_t timeout_ns);

/// Sleeps `ns` nanoseconds on CLOCK_MONOTONIC (barlua_wait with no fds). Returns 0 when the
/// whole interval passed, -1 with errno EINTR when an interrupt arrived first.
int barlua_sleep(int64_t ns);

/// A non-blocking, close-on-exec eventfd (counter mode) for a device to signal (VFIO
/// interrupts), to wait on with barlua_wait; -1 with errno.
static inline int barlua_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

/// CLOCK_MONOTONIC in nanoseconds: the clock the waits' deadlines are counted on.
static inline int64_t barlua_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
#endif
