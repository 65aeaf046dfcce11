#include "cbarlua.h"
int barlua_open_time(lua_State *L) { (void)L; return 0; }
