// Loads GNU readline at the REPL's first use (see readline_lazy.h).
#define CREADLINE_LOADER
#include "readline_lazy.h"

#include <dlfcn.h>
#include <stdlib.h>

static struct creadline_library creadline_lib;
static int creadline_loaded;

const struct creadline_library *creadline_library(void) {
  if (creadline_loaded) return &creadline_lib;
  // Loaded once, never closed: readline keeps its state (history, terminal) for the process.
  void *h = dlopen("libreadline.so.8", RTLD_NOW | RTLD_LOCAL);
  const char *missing = NULL;
  if (h != NULL) {
#define CREADLINE_LOAD(name) \
  if (missing == NULL && (creadline_lib.name = dlsym(h, #name)) == NULL) missing = #name;
    CREADLINE_FUNCTIONS(CREADLINE_LOAD)
    CREADLINE_VARIABLES(CREADLINE_LOAD)
#undef CREADLINE_LOAD
  }
  if (h == NULL || missing != NULL) {
    fprintf(stderr,
            "barlua: the REPL needs GNU readline 8 (libreadline.so.8, Debian package "
            "libreadline8): %s%s\n",
            h == NULL ? dlerror() : "it has no symbol ", h == NULL ? "" : missing);
    exit(1);
  }
  creadline_loaded = 1;
  return &creadline_lib;
}
