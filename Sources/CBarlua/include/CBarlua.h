// The CBarlua module (see CBarluaSys.h for why headers are listed).
#include "cbarlua.h"
