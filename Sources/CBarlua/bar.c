// placeholder, replaced by the bar implementation
#include "cbarlua.h"
void barlua_bar_open(lua_State *L) { (void)L; }
