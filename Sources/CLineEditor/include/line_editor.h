// The REPL's line editor: GNU readline with completion and Ctrl-C handling, keeping
// readline's global variables on the C side (Swift 6 rejects shared mutable C globals).
#ifndef BARLUA_LINE_EDITOR_H
#define BARLUA_LINE_EDITOR_H

/// Returns a malloc'ed, NULL-terminated array of malloc'ed candidates for `word`.
typedef char **(*creadline_completer)(const char *word);

/// Sets up completion (words end at Lua operators and spaces, not at '.' or ':').
void creadline_setup(const char *name, creadline_completer completer);

/// readline() where Ctrl-C abandons the line: returns "" (malloc'ed) when interrupted,
/// NULL at end of input. SIGINT is caught only while waiting here.
char *creadline_read(const char *prompt);

/// History file handling (errors are ignored: history is a convenience).
void creadline_add_history(const char *line);
void creadline_load_history(const char *path);
void creadline_save_history(const char *path, int keep);
#endif
