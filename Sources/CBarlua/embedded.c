#include "cbarlua.h"
#include <string.h>
const char *barlua_embedded_module(const char *name, size_t *len) { (void)name; *len = 0; return NULL; }
