// barlua.xml_core.tree: an XML document (libexpat, namespace processing on) as the tree of
// Lua tables barlua.ipxact walks, built in C: one expat parse and no Lua callback per
// element (the Lua callbacks of lua-expat were most of a large file's load time).
//
//   tree(data, path, namespaces, limits, none[, skip[, shared]]) -> root, uri, parameters
//     data        the whole document
//     path        for messages ("FILE:LINE: <tag>: ...")
//     namespaces  {URI = generation}: the root element's namespace must be one of them
//     limits      {depth =, elements =, text =}: nesting, kept elements, bytes of one text or
//                 attribute value
//     none        the shared empty table used for no kids / no attributes
//     skip        {tag = true}: elements of the root's namespace the loader never reads, left
//                 out with everything inside them (and not counted as kept)
//     shared      {tag = true}: value elements (name, size, ...) made shared leaves, below
//   Each element of the root's namespace is {tag =, line =, kids =, attr =, text =}:
//   - kids and attr are `none` (through the node's metatable, not stored) when it has none;
//   - kids is the array of its kept kids, and also indexes the first kid of each tag:
//     kids[tag] = that kid, kids[0] = true (a table without kids[0] is not indexed);
//   - text is all its character data without leading and trailing white space, kept when it
//     had any and no kids, or something besides white space.
//   Elements of other namespaces are left out with everything inside them. `parameters` lists
//   the <parameter> and <moduleParameter> elements in document order (what the loader would
//   otherwise find by walking the whole tree).
//   Leaves are most of a register map (22 of a register's 32 elements in a PeakRDL file). An
//   element of a `shared` tag without attributes or kept kids is a shared leaf: one table
//   {tag =, text =} (text absent when it had none) per tag and text in the document, without a
//   line, used wherever that tag and text occur ("<size>32</size>" is one table for every
//   register). The line of every kid of an element is in the element's `lines` instead: a
//   string of the kids' line numbers minus the element's own, in kid order, each an unsigned
//   LEB128 (one byte below 128); the loader reads it only for a message about a shared leaf.
//   Measured on a PeakRDL file of 10,000 registers: the tree took 0.234 s and 120 MB with a
//   table per leaf, 0.205 s and 85 MB with shared leaves.
//   Errors are raised as strings without a position, after expat is stopped and freed.
#include <expat.h>
#include <lauxlib.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbarlua.h"

#define SEP '\1'

typedef struct {
  char *p;
  size_t n, cap;
  int any;    // character data arrived (even whitespace)
  long kids;  // where this element's kids start in the scratch stack
  int line;   // the element's line
  int made;   // its table is made (at its start: it has attributes or is a parameter)
} text;

// The node keys, pushed once (lua_setfield looks its key string up on every call).
enum { K_TAG, K_LINE, K_KIDS, K_TEXT, K_ATTR, K_LINES, K_COUNT };
static const char *const key_names[K_COUNT] = {"tag", "line", "kids", "text", "attr", "lines"};

// Tag names, each made a Lua string once: a register map has a few dozen of them, and making
// the string for each element (hash, intern) was a twelfth of the tree.
#define TAG_SLOTS 256
typedef struct {
  char name[48];
  size_t len;  // 0: empty slot
} tag_slot;

typedef struct {
  lua_State *L;
  XML_Parser parser;
  const char *path;
  int none, namespaces, meta, skip;  // stack indices (skip: 0 when there is none)
  int shared;                        // stack index of the shared tags (0: none)
  int leaves;      // stack index of {tag = {text = leaf}}: the shared leaves made so far
  int *kid_lines;  // the line of each kid on the scratch stack (index: its pair's number)
  size_t kid_lines_cap;
  unsigned char *enc;  // an element's `lines` while it is made
  size_t enc_cap;
  int scratch;       // stack index: the kids of the open elements, (tag, node) pairs, as a stack
  int keys;          // stack index of the key strings (K_TAG...), then of the tag strings' table
  tag_slot *tags;    // TAG_SLOTS: tag names seen, their strings in the table at keys + K_COUNT
  long stop;         // the scratch stack's top
  int base;          // stack index below the open elements (tag, node per level)
  const char *data;  // the document, for counting lines (when fast_lines)
  size_t scanned;    // bytes of it counted
  long line;         // the line at `scanned`
  int fast_lines;    // lines are '\n' bytes: no '\r' and not UTF-16
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

// XML white space, and the vertical tab and form feed Lua's %s also trims.
static int is_space(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

// The line of the current event. Expat counts them byte by byte on every call (a twelfth of a
// large file's parse); a UTF-8 or Latin-1 document without '\r' has one '\n' per line, counted
// here with memchr from the last event on (events come in document order).
static int line_of(tree_ctx *c) {
  XML_Index at = c->fast_lines ? XML_GetCurrentByteIndex(c->parser) : -1;
  if (at < 0 || (size_t)at < c->scanned) return (int)XML_GetCurrentLineNumber(c->parser);
  const char *p = c->data + c->scanned, *end = c->data + at;
  while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
    c->line++;
    p++;
  }
  c->scanned = (size_t)at;
  return (int)c->line;
}

static void push_tag(tree_ctx *c, const char *tag) {
  lua_State *L = c->L;
  size_t n = strlen(tag);
  if (n == 0 || n >= sizeof c->tags[0].name) {
    lua_pushlstring(L, tag, n);
    return;
  }
  uint32_t h = 2166136261u;  // FNV-1a
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)tag[i]) * 16777619u;
  int slot = (int)(h % TAG_SLOTS);
  tag_slot *s = &c->tags[slot];
  if (s->len == n && memcmp(s->name, tag, n) == 0) {
    lua_rawgeti(L, c->keys + K_COUNT, slot + 1);
    return;
  }
  lua_pushlstring(L, tag, n);
  lua_pushvalue(L, -1);
  lua_rawseti(L, c->keys + K_COUNT, slot + 1);
  memcpy(s->name, tag, n);
  s->len = n;
}

// Pushes a new node {tag =, line =} (the tag is on the stack's top) with the nodes'
// metatable: kids and attr are `none` unless set.
static void new_node(tree_ctx *c, int line) {
  lua_State *L = c->L;
  lua_createtable(L, 0, 3);
  lua_pushvalue(L, c->keys + K_TAG);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pushvalue(L, c->keys + K_LINE);
  lua_pushinteger(L, line);
  lua_rawset(L, -3);
  lua_pushvalue(L, c->meta);
  lua_setmetatable(L, -2);
}

// Appends `v` as an unsigned LEB128 to the element's `lines` being made at c->enc + *n.
static int put_uleb(tree_ctx *c, size_t *n, unsigned long v) {
  if (c->enc_cap - *n < 10) {
    size_t cap = c->enc_cap ? c->enc_cap * 2 : 256;
    unsigned char *p = realloc(c->enc, cap);
    if (p == NULL) return 0;
    c->enc = p;
    c->enc_cap = cap;
  }
  do {
    unsigned char b = v & 0x7f;
    v >>= 7;
    c->enc[(*n)++] = (unsigned char)(b | (v ? 0x80 : 0));
  } while (v);
  return 1;
}

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
  push_tag(c, tag);  // this level's first slot: the tag, kept for its kids' index
  if (c->skip) {
    lua_pushvalue(L, -1);
    if (lua_rawget(L, c->skip) != LUA_TNIL) {
      lua_pop(L, 2);
      c->skipping = c->depth;
      return;
    }
    lua_pop(L, 1);
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
  int is_param = strcmp(tag, "parameter") == 0 || strcmp(tag, "moduleParameter") == 0;
  int made = attrs[0] != NULL || is_param;
  if (made) {
    // Elements with attributes (and parameters, listed in document order) are made here;
    // the others at their end, when it is known whether they are a shared leaf.
    new_node(c, line);
    int have_attr = 0;
    for (int i = 0; attrs[i] != NULL; i += 2) {
      size_t vlen = strlen(attrs[i + 1]);
      const char *asep = strchr(attrs[i], SEP);
      const char *aname = asep ? asep + 1 : attrs[i];
      if ((long)vlen > c->max_text) {
        stop(c, "%s:%d: <%s>: attribute '%s' is longer than %ld bytes (barlua's limit)", c->path,
             line, tag, aname, c->max_text);
        return;
      }
      if (!have_attr) {
        lua_newtable(L);
        have_attr = 1;
      }
      lua_pushlstring(L, attrs[i + 1], vlen);
      lua_setfield(L, -2, aname);
    }
    if (have_attr) {
      lua_pushvalue(L, c->keys + K_ATTR);
      lua_insert(L, -2);
      lua_rawset(L, -3);
    }
    if (is_param) {
      lua_getfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.params");
      lua_pushvalue(L, -2);
      lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
      lua_pop(L, 1);
    }
  } else
    lua_pushboolean(L, 0);  // this level's second slot: the node, once it is made
  text *t = &c->texts[c->open++];
  t->line = line;
  t->made = made;
  t->n = 0;
  t->any = 0;
  t->kids = c->stop;
}

// Puts the ended element (its tag and node on the stack's top) among its parent's kids on the
// scratch stack, with its line (or makes it the root), and pops both.
static void place(tree_ctx *c, int line) {
  lua_State *L = c->L;
  if (c->open > 0) {
    size_t pair = (size_t)c->stop / 2;
    if (pair >= c->kid_lines_cap) {
      size_t cap = c->kid_lines_cap ? c->kid_lines_cap * 2 : 1024;
      int *p = realloc(c->kid_lines, cap * sizeof *p);
      if (p == NULL) {
        stop(c, "%s: out of memory", c->path);
        return;
      }
      c->kid_lines = p;
      c->kid_lines_cap = cap;
    }
    c->kid_lines[pair] = line;
    lua_pushvalue(L, -2);
    lua_rawseti(L, c->scratch, ++c->stop);
    lua_pushvalue(L, -1);
    lua_rawseti(L, c->scratch, ++c->stop);
  } else {
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "barlua.xml_core.root");
  }
  lua_pop(L, 2);  // the node and its tag
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
  long n = (c->stop - t->kids) / 2;
  int has_kids = n > 0;
  if (!lua_checkstack(L, 8)) {
    stop(c, "%s: out of stack", c->path);
    return;
  }
  // Whitespace between the kids of an element (its indentation) is not kept: only the text
  // of elements without kids, or text with something in it, is read. It is kept without its
  // leading and trailing white space (every reader trims it).
  size_t a = 0, b = t->n;
  int keep_text = 0;
  if (t->any) {
    while (a < b && is_space(t->p[a])) a++;
    while (b > a && is_space(t->p[b - 1])) b--;
    keep_text = a < b || !has_kids;
  }
  int top = lua_gettop(L), tagi = top - 1;                  // the element's tag and node slots
  if (!t->made && !has_kids && c->shared && c->open > 0) {  // the root is never shared
    lua_pushvalue(L, tagi);
    int shared = lua_rawget(L, c->shared) != LUA_TNIL;
    lua_pop(L, 1);
    if (shared) {
      lua_pushvalue(L, tagi);
      if (lua_rawget(L, c->leaves) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, tagi);
        lua_pushvalue(L, -2);
        lua_rawset(L, c->leaves);
      }
      int by_text = lua_gettop(L);
      if (keep_text)
        lua_pushlstring(L, t->p ? t->p + a : "", b - a);
      else
        lua_pushboolean(L, 0);
      int key = lua_gettop(L);
      lua_pushvalue(L, key);
      if (lua_rawget(L, by_text) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 2);
        lua_pushvalue(L, c->keys + K_TAG);
        lua_pushvalue(L, tagi);
        lua_rawset(L, -3);
        if (keep_text) {
          lua_pushvalue(L, c->keys + K_TEXT);
          lua_pushvalue(L, key);
          lua_rawset(L, -3);
        }
        lua_pushvalue(L, c->meta);
        lua_setmetatable(L, -2);
        lua_pushvalue(L, key);
        lua_pushvalue(L, -2);
        lua_rawset(L, by_text);
      }
      lua_replace(L, top);
      lua_settop(L, top);
      place(c, t->line);
      return;
    }
  }
  if (!t->made) {
    lua_pop(L, 1);
    new_node(c, t->line);
  }
  // Its kids: an array, indexed by tag (the first kid of each) and marked so with [0] = true,
  // and their lines (`lines`).
  if (has_kids) {
    lua_createtable(L, n > INT32_MAX ? INT32_MAX : (int)n, n >= INT32_MAX ? INT32_MAX : (int)n + 1);
    lua_pushboolean(L, 1);
    lua_rawseti(L, -2, 0);
    size_t len = 0;
    for (long j = 0; j < n; j++) {
      int kl = c->kid_lines[t->kids / 2 + j];
      if (!put_uleb(c, &len, kl > t->line ? (unsigned long)(kl - t->line) : 0)) {
        stop(c, "%s: out of memory", c->path);
        return;
      }
      lua_rawgeti(L, c->scratch, t->kids + 2 * j + 1);  // tag
      lua_rawgeti(L, c->scratch, t->kids + 2 * j + 2);  // node
      lua_pushvalue(L, -1);
      lua_rawseti(L, -4, j + 1);
      lua_pushvalue(L, -2);
      if (lua_rawget(L, -4) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_rawset(L, -3);
      } else
        lua_pop(L, 3);
    }
    lua_pushvalue(L, c->keys + K_KIDS);
    lua_insert(L, -2);
    lua_rawset(L, -3);
    lua_pushvalue(L, c->keys + K_LINES);
    lua_pushlstring(L, (const char *)c->enc, len);
    lua_rawset(L, -3);
    c->stop = t->kids;
  }
  if (keep_text) {
    lua_pushvalue(L, c->keys + K_TEXT);
    lua_pushlstring(L, t->p ? t->p + a : "", b - a);
    lua_rawset(L, -3);
  }
  place(c, t->line);
}

static void on_text(void *ud, const XML_Char *s, int len) {
  tree_ctx *c = ud;
  if (c->failed || c->skipping > 0 || c->open == 0 || len < 0) return;
  text *t = &c->texts[c->open - 1];
  if ((long)(t->n + (size_t)len) > c->max_text) {
    stop(c, "%s:%d: <%s>: the text is longer than %ld bytes (barlua's limit)", c->path, line_of(c),
         lua_tostring(c->L, -2), c->max_text);  // the open element's tag, below its node
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
  c->meta = 5;
  c->skip = lua_istable(L, 6) ? 6 : 0;
  c->shared = lua_istable(L, 7) ? 7 : 0;
  lua_settop(L, 7);
  lua_newtable(L);
  c->leaves = lua_gettop(L);
  lua_newtable(L);
  c->scratch = lua_gettop(L);
  c->keys = lua_gettop(L) + 1;
  for (int k = 0; k < K_COUNT; k++) lua_pushstring(L, key_names[k]);
  lua_createtable(L, TAG_SLOTS, 0);
  c->data = data;
  c->line = 1;
  c->fast_lines = memchr(data, '\r', len) == NULL &&
                  memchr(data, '\0', len < 4 ? len : 4) == NULL &&
                  !(len >= 2 && ((unsigned char)data[0] == 0xfe || (unsigned char)data[0] == 0xff));
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
  if (!lua_isnoneornil(L, 6)) luaL_checktype(L, 6, LUA_TTABLE);
  if (!lua_isnoneornil(L, 7)) luaL_checktype(L, 7, LUA_TTABLE);
  if (len > INT32_MAX) return luaL_error(L, "%s: too large for one parse", path);
  tree_ctx c;
  memset(&c, 0, sizeof c);
  c.path = path;
  c.max_depth = limit(L, 4, "depth");
  c.max_elements = limit(L, 4, "elements");
  c.max_text = limit(L, 4, "text");
  c.texts = calloc((size_t)c.max_depth + 1, sizeof *c.texts);
  c.tags = calloc(TAG_SLOTS, sizeof *c.tags);
  c.parser = XML_ParserCreateNS(NULL, SEP);
  if (c.texts == NULL || c.tags == NULL || c.parser == NULL) {
    free(c.texts);
    free(c.tags);
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
  lua_createtable(L, 0, 1);  // the nodes' metatable: kids and attr are `none` unless set
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, 5);
  lua_setfield(L, -2, "kids");
  lua_pushvalue(L, 5);
  lua_setfield(L, -2, "attr");
  lua_setfield(L, -2, "__index");
  for (int arg = 6; arg <= 7; arg++) {
    if (lua_istable(L, arg))
      lua_pushvalue(L, arg);
    else
      lua_pushnil(L);
  }
  // The tree is all live until it is returned: collecting while it grows only costs time
  // (a fifth of the parse of a 10,000-register file).
  int gc_was_running = lua_gc(L, LUA_GCISRUNNING);
  lua_gc(L, LUA_GCSTOP);
  int status = lua_pcall(L, 7, 0, 0);
  if (gc_was_running) lua_gc(L, LUA_GCRESTART);
  XML_ParserFree(c.parser);
  for (long i = 0; i <= c.max_depth; i++) free(c.texts[i].p);
  free(c.texts);
  free(c.tags);
  free(c.kid_lines);
  free(c.enc);
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
