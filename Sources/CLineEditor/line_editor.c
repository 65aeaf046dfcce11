#include "line_editor.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "readline_lazy.h"  // readline, loaded at first use

static creadline_completer creadline_completer_fn;
static char **creadline_candidates;
static size_t creadline_next;
static volatile sig_atomic_t creadline_interrupted;

static char *creadline_generator(const char *text, int state) {
  (void)text;
  if (state == 0) creadline_next = 0;
  if (creadline_candidates == NULL || creadline_candidates[creadline_next] == NULL) {
    free(creadline_candidates);
    creadline_candidates = NULL;
    return NULL;
  }
  return creadline_candidates[creadline_next++];  // readline frees each one
}

static char **creadline_attempt(const char *text, int start, int end) {
  (void)start;
  (void)end;
  rl_attempted_completion_over = 1;  // never fall back to file names
  rl_completion_append_character = '\0';
  free(creadline_candidates);
  creadline_candidates = creadline_completer_fn ? creadline_completer_fn(text) : NULL;
  return rl_completion_matches(text, creadline_generator);
}

static void creadline_on_sigint(int sig) {
  (void)sig;
  creadline_interrupted = 1;
}

// Ctrl-C at the prompt: readline's read() returns EINTR, this hook abandons the line.
static int creadline_signal_hook(void) {
  if (creadline_interrupted) {
    rl_replace_line("", 0);
    rl_crlf();
    rl_done = 1;
  }
  return 0;
}

/// Sets up completion (words end at Lua operators and spaces, not at '.' or ':').
void creadline_setup(const char *name, creadline_completer completer) {
  rl_readline_name = name;
  rl_basic_word_break_characters = " \t\n\"\\'><=;+-*/%^~#{}()[],&|";
  creadline_completer_fn = completer;
  rl_attempted_completion_function = creadline_attempt;
  rl_signal_event_hook = creadline_signal_hook;
}

/// readline() with Ctrl-C abandoning the line: returns "" (malloc'ed) when interrupted,
/// NULL at end of input. SIGINT is caught only while waiting here.
char *creadline_read(const char *prompt) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = creadline_on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART, so read() is interrupted and the hook runs
  sigaction(SIGINT, &sa, &old);
  creadline_interrupted = 0;
  char *line = readline(prompt);
  sigaction(SIGINT, &old, NULL);
  if (creadline_interrupted && line != NULL) line[0] = '\0';
  return line;
}

void creadline_add_history(const char *line) { add_history(line); }

void creadline_load_history(const char *path) { (void)read_history(path); }

void creadline_save_history(const char *path, int keep) {
  (void)write_history(path);
  (void)history_truncate_file(path, keep);
}
