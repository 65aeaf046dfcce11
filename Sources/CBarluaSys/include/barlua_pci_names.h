// Vendor and device names from libpci's pci.ids database, without letting libpci print or exit.
// libpci reports problems through variadic callbacks (`void (*)(char *, ...)`) that Swift
// cannot implement, and its default error callback calls exit(). This helper installs quiet
// callbacks: a warning is remembered, an error jumps back to the lookup, which then fails.
#ifndef BARLUA_PCI_NAMES_H
#define BARLUA_PCI_NAMES_H
#include <stddef.h>
#include <stdint.h>

/// One libpci `pci_access` used only for name lookups, with its own mutex.
typedef struct barlua_pci_names barlua_pci_names;

/// A name database reading `ids_path`, or libpci's default (the system pci.ids) when NULL.
/// libpci is not touched until the first lookup. Returns NULL only when out of memory.
barlua_pci_names *barlua_pci_names_new(const char *ids_path);
void barlua_pci_names_free(barlua_pci_names *names);

/// Looks up vendor and device names. Each buffer receives the name, or "" when pci.ids does not
/// know the id (or cannot be read: a missing pci.ids is not an error). Returns 0, or -1 when
/// libpci reported an error (e.g. a corrupt pci.ids); the message is then in `err`.
/// Thread-safe: lookups on one database are serialised by its mutex.
int barlua_pci_names_lookup(barlua_pci_names *names, uint16_t vendor, uint16_t device, char *vbuf,
                            size_t vlen, char *dbuf, size_t dlen, char *err, size_t errlen);

#endif
