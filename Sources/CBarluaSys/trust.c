// The trust rule of barlua's module search (barlua_trust.h).
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "barlua_trust.h"

static int owner_trusted(uid_t uid, const uid_t *owners, int n) {
  for (int i = 0; i < n; i++)
    if (owners[i] == uid) return 1;
  return 0;
}

// Checks one component (already resolved, so lstat sees no link); `leaf`: the file itself.
static int component_trusted(const char *p, int leaf, const uid_t *owners, int n, char *why,
                             size_t whylen) {
  struct stat st;
  if (lstat(p, &st) != 0) {
    snprintf(why, whylen, "cannot check '%s': %s", p, strerror(errno));
    return 0;
  }
  if (leaf && !S_ISREG(st.st_mode)) {
    snprintf(why, whylen, "'%s' is not a regular file", p);
    return 0;
  }
  if (!owner_trusted(st.st_uid, owners, n)) {
    snprintf(why, whylen, "'%s' is owned by another user (uid %u)", p, (unsigned)st.st_uid);
    return 0;
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX))) {
    snprintf(why, whylen, "'%s' is writable by %s (mode %04o)", p,
             (st.st_mode & S_IWOTH) ? "everyone" : "its group", (unsigned)(st.st_mode & 07777));
    return 0;
  }
  return 1;
}

int barlua_trusted_file(const char *path, const uid_t *owners, int n, char *why, size_t whylen) {
  char real[PATH_MAX];
  if (realpath(path, real) == NULL) {
    int e = errno;
    snprintf(why, whylen, "cannot resolve '%s': %s", path, strerror(e));
    errno = e;
    return -1;
  }
  if (!component_trusted(real, 1, owners, n, why, whylen)) return 0;
  for (char *slash = strrchr(real, '/'); slash != NULL; slash = strrchr(real, '/')) {
    if (slash == real) {
      real[1] = '\0';
      return component_trusted(real, 0, owners, n, why, whylen);
    }
    *slash = '\0';
    if (!component_trusted(real, 0, owners, n, why, whylen)) return 0;
  }
  return 1;
}
