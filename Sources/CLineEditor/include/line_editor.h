// The REPL's line editor: GNU readline with completion and Ctrl-C handling, keeping
// readline's global variables on the C side (Swift 6 rejects shared mutable C globals).
#ifndef BARLUA_LINE_EDITOR_H
#define BARLUA_LINE_EDITOR_H

/// Returns a malloc'ed, NULL-terminated array of malloc'ed candidates for `word`.
typedef char **(*creadline_completer)(const char *word);

/// Sets up completion (words end at Lua operators and spaces, not at '.' or ':').
void creadline_setup(const char *name, creadline_completer completer);

/// readline() where Ctrl-C abandons the line. Returns the line (malloc'ed), or NULL at the
/// end of input or when a signal ended the wait: then `*signal_number` is SIGINT (Ctrl-C:
/// the line typed so far is dropped, the terminal is on a fresh line) or SIGTERM, else 0.
/// SIGINT and SIGTERM are caught only while waiting here.
char *creadline_read(const char *prompt, int *signal_number);

/// History: adding and loading never fail visibly (a missing file is a first session).
void creadline_add_history(const char *line);
void creadline_load_history(const char *path);
/// Writes the history and keeps its last `keep` lines: 0, or the errno of the failure.
int creadline_save_history(const char *path, int keep);
#endif
