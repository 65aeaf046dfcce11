#include "line_editor.h"

#include <barlua_interrupt.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <readline/history.h>
#include <readline/readline.h>

static creadline_completer creadline_completer_fn;
static char **creadline_candidates;
static size_t creadline_next;

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

/// Sets up completion (words end at Lua operators and spaces, not at '.' or ':').
void creadline_setup(const char *name, creadline_completer completer) {
  rl_readline_name = name;
  rl_basic_word_break_characters = " \t\n\"\\'><=;+-*/%^~#{}()[],&|";
  creadline_completer_fn = completer;
  rl_attempted_completion_function = creadline_attempt;
  // Signals are ours (barlua_interrupt.h): with readline's own handlers, which re-send
  // SIGINT and restart its read, the next line lost its first characters after a Ctrl-C.
  rl_catch_signals = 0;
}

static char *creadline_line;
static int creadline_done;

static void creadline_on_line(char *line) {
  creadline_line = line;
  creadline_done = 1;
  rl_callback_handler_remove();
}

/// readline's callback interface driven by barlua_wait on the terminal, so that Ctrl-C and
/// SIGTERM end the wait at once and readline's state is reset here, never half-way.
char *creadline_read(const char *prompt, int *signal_number) {
  *signal_number = 0;
  creadline_line = NULL;
  creadline_done = 0;
  barlua_interrupt_catch(NULL, 0);  // repeated Ctrl-C at a prompt never kills
  rl_callback_handler_install(prompt, creadline_on_line);
  int fd = fileno(rl_instream != NULL ? rl_instream : stdin);
  while (!creadline_done) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (barlua_wait(&p, 1, -1) < 0) {
      if (errno == EINTR) {
        // Abandon the line: forget what was typed, leave readline ready for a fresh one.
        *signal_number = barlua_interrupt_take();
        if (*signal_number == SIGINT) rl_echo_signal_char(SIGINT);  // "^C", as a shell shows
        rl_free_line_state();
        rl_callback_sigcleanup();
        rl_callback_handler_remove();
        rl_crlf();
        fflush(rl_outstream != NULL ? rl_outstream : stdout);
      } else {
        rl_callback_handler_remove();
      }
      break;
    }
    rl_callback_read_char();
  }
  barlua_interrupt_release();
  return creadline_line;
}

void creadline_add_history(const char *line) { add_history(line); }

void creadline_load_history(const char *path) { (void)read_history(path); }

int creadline_save_history(const char *path, int keep) {
  int e = write_history(path);
  if (e == 0) e = history_truncate_file(path, keep);
  return e;
}
