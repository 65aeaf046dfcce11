// Quiet libpci name lookups; see include/barlua_pci_names.h.
//
// libpci is loaded with dlopen at the first lookup, not linked: it brings libudev and libz,
// and loading the three cost every start of barlua ~0.3 ms (bench/startup), though most
// scripts never ask for a name.
#include "barlua_pci_names.h"

#include <dlfcn.h>
#include <pci/pci.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct barlua_pci_names {
  pthread_mutex_t lock;
  char *ids_path;           // NULL: libpci's default
  struct pci_access *pacc;  // created at the first lookup
  int failed;               // libpci raised an error once: no more lookups
  char error[256];
};

// libpci's callbacks carry no context pointer: the lookup in progress (under the mutex) is
// published here, per thread.
static _Thread_local barlua_pci_names *current;
static _Thread_local jmp_buf *current_jmp;

__attribute__((noreturn)) static void quiet_error(char *msg, ...) {
  va_list ap;
  va_start(ap, msg);
  if (current != NULL) vsnprintf(current->error, sizeof current->error, msg, ap);
  va_end(ap);
  // libpci declares error() as never returning: leave the lookup instead of returning.
  if (current_jmp != NULL) longjmp(*current_jmp, 1);
  abort();  // unreachable: callbacks run only inside barlua_pci_names_lookup
}

static void quiet_warning(char *msg, ...) { (void)msg; }

// The libpci functions used, from libpci.so.3 (the soname of Debian's libpci3).
static struct {
  struct pci_access *(*alloc)(void);
  void (*cleanup)(struct pci_access *);
  int (*set_name_list_path)(struct pci_access *, char *, int);
  char *(*lookup_name)(struct pci_access *, char *, int, int, ...);
  char error[200];  // dlopen's or dlsym's message when loading failed
} libpci;
static pthread_once_t libpci_once = PTHREAD_ONCE_INIT;

static void load_libpci(void) {
  void *h = dlopen("libpci.so.3", RTLD_NOW | RTLD_LOCAL);
  if (h != NULL) {
    *(void **)&libpci.alloc = dlsym(h, "pci_alloc");
    *(void **)&libpci.cleanup = dlsym(h, "pci_cleanup");
    *(void **)&libpci.set_name_list_path = dlsym(h, "pci_set_name_list_path");
    *(void **)&libpci.lookup_name = dlsym(h, "pci_lookup_name");
  }
  if (h == NULL || !libpci.alloc || !libpci.cleanup || !libpci.set_name_list_path ||
      !libpci.lookup_name) {
    const char *e = dlerror();
    snprintf(libpci.error, sizeof libpci.error, "cannot load libpci.so.3: %s",
             e != NULL ? e : "a symbol is missing");
    libpci.alloc = NULL;
  }
}

static void quiet_debug(char *msg, ...) { (void)msg; }

barlua_pci_names *barlua_pci_names_new(const char *ids_path) {
  barlua_pci_names *n = calloc(1, sizeof *n);
  if (n == NULL) return NULL;
  pthread_mutex_init(&n->lock, NULL);
  if (ids_path != NULL && (n->ids_path = strdup(ids_path)) == NULL) {
    free(n);
    return NULL;
  }
  return n;
}

void barlua_pci_names_free(barlua_pci_names *n) {
  if (n == NULL) return;
  if (n->pacc != NULL) libpci.cleanup(n->pacc);
  pthread_mutex_destroy(&n->lock);
  free(n->ids_path);
  free(n);
}

static void copy_name(char *dst, size_t len, const char *src) {
  if (len == 0) return;
  snprintf(dst, len, "%s", src != NULL ? src : "");
}

int barlua_pci_names_lookup(barlua_pci_names *n, uint16_t vendor, uint16_t device, char *vbuf,
                            size_t vlen, char *dbuf, size_t dlen, char *err, size_t errlen) {
  copy_name(vbuf, vlen, NULL);
  copy_name(dbuf, dlen, NULL);
  copy_name(err, errlen, NULL);
  pthread_once(&libpci_once, load_libpci);
  if (libpci.alloc == NULL) {
    copy_name(err, errlen, libpci.error);
    return -1;
  }
  pthread_mutex_lock(&n->lock);
  int rc = 0;
  jmp_buf jb;
  current = n;
  current_jmp = &jb;
  if (setjmp(jb) != 0) {
    n->failed = 1;
    rc = -1;
  } else if (n->failed) {
    rc = -1;
  } else {
    if (n->pacc == NULL) {
      // pci_init() is deliberately not called: it probes an access method (and raises an error
      // where none works, e.g. in a container without /sys/bus/pci), while name lookups need
      // only the name list, which pci_lookup_name() loads on first use.
      struct pci_access *a = libpci.alloc();
      a->error = quiet_error;
      a->warning = quiet_warning;
      a->debug = quiet_debug;
      a->id_lookup_mode = 0;  // no ~/.pciids-cache, no DNS: the system pci.ids only
      if (n->ids_path != NULL) libpci.set_name_list_path(a, n->ids_path, 0);
      n->pacc = a;
    }
    // NO_NUMBERS: NULL for an unknown id instead of a "Device 7024" placeholder.
    // NO_HWDB: names come from pci.ids only, as the API promises, not from udev's hwdb.
    int flags = PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB;
    char buf[256];
    copy_name(vbuf, vlen,
              libpci.lookup_name(n->pacc, buf, sizeof buf, flags | PCI_LOOKUP_VENDOR, (int)vendor));
    copy_name(dbuf, dlen,
              libpci.lookup_name(n->pacc, buf, sizeof buf, flags | PCI_LOOKUP_DEVICE, (int)vendor,
                                 (int)device));
  }
  if (rc != 0) copy_name(err, errlen, n->error);
  current = NULL;
  current_jmp = NULL;
  pthread_mutex_unlock(&n->lock);
  return rc;
}
