// The CBarluaSys module: every header of it, listed so that adding one changes this file
// (an umbrella directory does not invalidate clang's module cache when a header is added).
#include "barlua_file_facts.h"
#include "barlua_heap_reserve.h"
#include "barlua_interrupt.h"
#include "barlua_pci_names.h"
#include "barlua_sys.h"
#include "barlua_trust.h"
#include "barlua_vfio.h"
