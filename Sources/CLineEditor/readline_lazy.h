// GNU readline loaded with dlopen when the REPL first needs it, not linked: readline and
// libtinfo cost every start-up (~600 symbol bindings) though only the REPL uses them.
// line_editor.c includes this instead of readline's headers and is written as if linked:
// each readline function and variable it names is a macro reaching the loaded library.
// A name missing here fails at compile time (implicit declaration), never at run time.
#ifndef BARLUA_READLINE_LAZY_H
#define BARLUA_READLINE_LAZY_H

#include <stdio.h>
#include <readline/history.h>
#include <readline/readline.h>

// clang-format off
#define CREADLINE_FUNCTIONS(X) \
  X(add_history) X(read_history) X(write_history) X(history_truncate_file) \
  X(rl_completion_matches) X(rl_crlf) X(rl_callback_handler_install) \
  X(rl_callback_handler_remove) X(rl_callback_read_char) X(rl_callback_sigcleanup) \
  X(rl_free_line_state) X(rl_echo_signal_char)
#define CREADLINE_VARIABLES(X) \
  X(rl_attempted_completion_over) X(rl_completion_append_character) X(rl_readline_name) \
  X(rl_basic_word_break_characters) X(rl_attempted_completion_function) X(rl_catch_signals) \
  X(rl_instream) X(rl_outstream)
// clang-format on

struct creadline_library {
#define CREADLINE_FIELD(name) __typeof__(name) *name;
  CREADLINE_FUNCTIONS(CREADLINE_FIELD)
  CREADLINE_VARIABLES(CREADLINE_FIELD)
#undef CREADLINE_FIELD
};

/// The loaded library. If libreadline.so.8 cannot be loaded, says so (naming the library and
/// the Debian package) on stderr and exits with status 1: the REPL cannot run without it.
const struct creadline_library *creadline_library(void);

#ifndef CREADLINE_LOADER
#define add_history (creadline_library()->add_history)
#define read_history (creadline_library()->read_history)
#define write_history (creadline_library()->write_history)
#define history_truncate_file (creadline_library()->history_truncate_file)
#define rl_completion_matches (creadline_library()->rl_completion_matches)
#define rl_crlf (creadline_library()->rl_crlf)
#define rl_callback_handler_install (creadline_library()->rl_callback_handler_install)
#define rl_callback_handler_remove (creadline_library()->rl_callback_handler_remove)
#define rl_callback_read_char (creadline_library()->rl_callback_read_char)
#define rl_callback_sigcleanup (creadline_library()->rl_callback_sigcleanup)
#define rl_free_line_state (creadline_library()->rl_free_line_state)
#define rl_echo_signal_char (creadline_library()->rl_echo_signal_char)
#define rl_attempted_completion_over (*creadline_library()->rl_attempted_completion_over)
#define rl_completion_append_character (*creadline_library()->rl_completion_append_character)
#define rl_readline_name (*creadline_library()->rl_readline_name)
#define rl_basic_word_break_characters (*creadline_library()->rl_basic_word_break_characters)
#define rl_attempted_completion_function (*creadline_library()->rl_attempted_completion_function)
#define rl_catch_signals (*creadline_library()->rl_catch_signals)
#define rl_instream (*creadline_library()->rl_instream)
#define rl_outstream (*creadline_library()->rl_outstream)
#endif
#endif
