// barlua.xml_core.tree: an XML document (libexpat, namespace processing on) as the tree of
// Lua tables barlua.ipxact walks, built in C: one expat parse and no Lua callback per
// element (the Lua callbacks of lua-expat were most of a large file's load time).
//
//   tree(data, path, namespaces, limits, none) -> root, uri, parameters
//     data        the whole document
//     path        for messages ("FILE:LINE: <tag>: ...")
//     namespaces  {URI = generation}: the root element's namespace must be one of them
//     limits      {depth =, elements =, text =}: nesting, kept elements, bytes of one text or
//                 attribute value
//     none        the shared empty table used for no kids / no attributes
//   Each element of the root's namespace is {tag =, line =, kids = none | {...},
//   attr = none | {local name = value}, text = (all its character data, when it had any)};
//   elements of other namespaces are left out with everything inside them. `parameters` lists
//   the <parameter> and <moduleParameter> elements in document order (what the loader would
//   otherwise find by walking the whole tree).
//   Errors are raised as strings without a position, after expat is stopped and freed.
#include <expat.h>
#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbarlua.h"

#define SEP '\1'

typedef struct {
  char *p;
  size_t n, cap;
  int any;  // character data arrived (even whitespace)
} text;

typedef struct {
  lua_State *L;
  XML_Parser parser;
  const char *path;
  int none, namespaces;  // stack indices
  int base;              // stack index below the open elements (node, kids per level)
  long max_depth, max_elements, max_text;
  long depth, skipping, count, open;  // open: elements kept and not yet ended
  const char *ns;                     // the root's namespace URI (interned in `nsref`)
  size_t nslen;
  text *texts;  // per open kept element
  int failed;
  char msg[1024];
} tree_ctx;

static void stop(tree_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void stop(tree_ctx *c, const char *fmt, ...) {
  if (c->failed) return;
  c->failed = 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->msg, sizeof c->msg, fmt, ap);
  va_end(ap);
  XML_StopParser(c->parser, XML_FALSE);
}

static int line_of(tree_ctx *c) { return (int)XML_GetCurrentLineNumber(c->parser); }

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs) {
  tree_ctx *c = ud;
  lua_State *L = c->L;
  if (c->failed) return;
  c->depth++;
  const char *sep = strchr(name, SEP);
  const char *tag = sep ? sep + 1 : name;
  size_t urilen = sep ? (size_t)(sep - name) : 0;
  int line = line_of(c);
  if (c->depth > c->max_depth) {
    stop(c, "%s:%d: <%s>: elements nest deeper than %ld (barlua's limit)", c->path, line, tag,
         c->max_depth);
    return;
  }
  if (c->ns == NULL) {
    lua_pushlstring(L, name, urilen);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, c->namespaces) == LUA_TNIL) {
      stop(c,
           "%s:%d: <%s>: unknown namespace '%s' (not an IP-XACT schema: SPIRIT 1.4/1.5, IEEE "
           "1685-2009, 1685-2014 or 1685-2022)",
           c->path, line, tag, lua_tostring(L, -2));
      lua_pop(L, 2);
      return;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.uri");
    lua_replace(L, c->base);  // the URI string lives in the slot below the open elements
    c->ns = lua_tolstring(L, c->base, &c->nslen);
  }
  if (c->skipping > 0) return;
  if (urilen != c->nslen || memcmp(name, c->ns, urilen) != 0) {
    c->skipping = c->depth;
    return;
  }
  if (++c->count > c->max_elements) {
    stop(c, "%s:%d: <%s>: more than %ld IP-XACT elements (barlua's limit)", c->path, line, tag,
         c->max_elements);
    return;
  }
  if (!lua_checkstack(L, 8)) {
    stop(c, "%s:%d: <%s>: out of stack", c->path, line, tag);
    return;
  }
  lua_createtable(L, 0, 5);
  lua_pushstring(L, tag);
  lua_setfield(L, -2, "tag");
  lua_pushinteger(L, line);
  lua_setfield(L, -2, "line");
  lua_pushvalue(L, c->none);
  lua_setfield(L, -2, "kids");
  int have_attr = 0;
  for (int i = 0; attrs[i] != NULL; i += 2) {
    size_t vlen = strlen(attrs[i + 1]);
    const char *asep = strchr(attrs[i], SEP);
    const char *aname = asep ? asep + 1 : attrs[i];
    if ((long)vlen > c->max_text) {
      stop(c, "%s:%d: <%s>: attribute '%s' is longer than %ld bytes (barlua's limit)", c->path,
           line, tag, aname, c->max_text);
      lua_pop(L, have_attr ? 2 : 1);
      return;
    }
    if (!have_attr) {
      lua_newtable(L);
      have_attr = 1;
    }
    lua_pushlstring(L, attrs[i + 1], vlen);
    lua_setfield(L, -2, aname);
  }
  if (have_attr)
    lua_setfield(L, -2, "attr");
  else {
    lua_pushvalue(L, c->none);
    lua_setfield(L, -2, "attr");
  }
  // Into the parent's kids (made on its first kid), or the root.
  if (c->open > 0) {
    int kids = lua_gettop(L) - 1;  // the parent's kids slot
    if (lua_rawequal(L, kids, c->none)) {
      lua_newtable(L);
      lua_replace(L, kids);
      lua_pushvalue(L, kids);
      lua_setfield(L, kids - 1, "kids");
    }
    lua_pushvalue(L, -1);
    lua_rawseti(L, kids, (lua_Integer)lua_rawlen(L, kids) + 1);
  } else {
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.root");
  }
  if (strcmp(tag, "parameter") == 0 || strcmp(tag, "moduleParameter") == 0) {
    lua_getfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.params");
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
  }
  lua_pushvalue(L, c->none);  // this element's kids slot
  text *t = &c->texts[c->open++];
  t->n = 0;
  t->any = 0;
}

static void on_end(void *ud, const XML_Char *name) {
  (void)name;
  tree_ctx *c = ud;
  if (c->failed) return;
  c->depth--;
  if (c->skipping > 0) {
    if (c->depth < c->skipping) c->skipping = 0;
    return;
  }
  lua_State *L = c->L;
  text *t = &c->texts[--c->open];
  // Whitespace between the kids of an element (its indentation) is not kept: only the text
  // of elements without kids, or text with something in it, is read.
  int has_kids = !lua_rawequal(L, -1, c->none);
  lua_pop(L, 1);  // kids slot
  if (t->any && has_kids) {
    size_t i = 0;
    while (i < t->n && (t->p[i] == ' ' || t->p[i] == '\t' || t->p[i] == '\n' || t->p[i] == '\r'))
      i++;
    if (i == t->n) t->any = 0;
  }
  if (t->any) {
    lua_pushlstring(L, t->p ? t->p : "", t->n);
    lua_setfield(L, -2, "text");
  }
  lua_pop(L, 1);  // the node
}

static void on_text(void *ud, const XML_Char *s, int len) {
  tree_ctx *c = ud;
  if (c->failed || c->skipping > 0 || c->open == 0 || len < 0) return;
  text *t = &c->texts[c->open - 1];
  if ((long)(t->n + (size_t)len) > c->max_text) {
    lua_getfield(c->L, lua_gettop(c->L) - 1, "tag");
    stop(c, "%s:%d: <%s>: the text is longer than %ld bytes (barlua's limit)", c->path, line_of(c),
         lua_tostring(c->L, -1), c->max_text);
    lua_pop(c->L, 1);
    return;
  }
  t->any = 1;
  if (t->n + (size_t)len > t->cap) {
    size_t cap = t->cap ? t->cap : 256;
    while (cap < t->n + (size_t)len) cap *= 2;
    char *p = realloc(t->p, cap);
    if (p == NULL) {
      stop(c, "%s: out of memory", c->path);
      return;
    }
    t->p = p;
    t->cap = cap;
  }
  memcpy(t->p + t->n, s, (size_t)len);
  t->n += (size_t)len;
}

static long limit(lua_State *L, int t, const char *k) {
  lua_getfield(L, t, k);
  lua_Integer v = luaL_checkinteger(L, -1);
  lua_pop(L, 1);
  return v < 1 ? 1 : (long)v;
}

// Runs under lua_pcall: the parse, which may run out of Lua memory inside expat's callbacks.
static int run(lua_State *L) {
  tree_ctx *c = lua_touserdata(L, 1);
  size_t len;
  const char *data = lua_tolstring(L, 2, &len);
  c->L = L;
  c->none = 3;
  c->namespaces = 4;
  lua_settop(L, 4);
  lua_pushnil(L);  // slot for the namespace URI
  c->base = lua_gettop(L);
  XML_SetUserData(c->parser, c);
  XML_SetElementHandler(c->parser, on_start, on_end);
  XML_SetCharacterDataHandler(c->parser, on_text);
  if (XML_Parse(c->parser, data, (int)len, XML_TRUE) == XML_STATUS_ERROR && !c->failed) {
    snprintf(c->msg, sizeof c->msg, "%s:%lu: XML error: %s", c->path,
             (unsigned long)XML_GetCurrentLineNumber(c->parser),
             XML_ErrorString(XML_GetErrorCode(c->parser)));
    c->failed = 1;
  }
  return 0;
}

static int tree(lua_State *L) {
  size_t len;
  luaL_checklstring(L, 1, &len);
  const char *path = luaL_checkstring(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  luaL_checktype(L, 4, LUA_TTABLE);
  luaL_checktype(L, 5, LUA_TTABLE);
  if (len > INT32_MAX) return luaL_error(L, "%s: too large for one parse", path);
  tree_ctx c;
  memset(&c, 0, sizeof c);
  c.path = path;
  c.max_depth = limit(L, 4, "depth");
  c.max_elements = limit(L, 4, "elements");
  c.max_text = limit(L, 4, "text");
  c.texts = calloc((size_t)c.max_depth + 1, sizeof *c.texts);
  c.parser = XML_ParserCreateNS(NULL, SEP);
  if (c.texts == NULL || c.parser == NULL) {
    free(c.texts);
    if (c.parser) XML_ParserFree(c.parser);
    return luaL_error(L, "not enough memory");
  }
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.root");
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.uri");
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.params");
  lua_pushcfunction(L, run);
  lua_pushlightuserdata(L, &c);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 5);
  lua_pushvalue(L, 3);
  // The tree is all live until it is returned: collecting while it grows only costs time
  // (a fifth of the parse of a 10,000-register file).
  int gc_was_running = lua_gc(L, LUA_GCISRUNNING);
  lua_gc(L, LUA_GCSTOP);
  int status = lua_pcall(L, 4, 0, 0);
  if (gc_was_running) lua_gc(L, LUA_GCRESTART);
  XML_ParserFree(c.parser);
  for (long i = 0; i <= c.max_depth; i++) free(c.texts[i].p);
  free(c.texts);
  if (status != LUA_OK) return lua_error(L);
  lua_getfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.root");
  lua_getfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.uri");
  lua_getfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.params");
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.root");
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.uri");
  lua_pushnil(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.params");
  if (c.failed) {
    lua_pushstring(L, c.msg);
    return lua_error(L);
  }
  if (lua_isnil(L, -3)) {
    lua_pushfstring(L, "%s: empty document", path);
    return lua_error(L);
  }
  return 3;
}

int barlua_open_xml_core(lua_State *L) {
  static const luaL_Reg core[] = {{"tree", tree}, {NULL, NULL}};
  luaL_newlib(L, core);
  return 1;
}
