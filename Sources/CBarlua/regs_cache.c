// barlua.cache_core: the file system side of the register-map cache (barlua.regs_cache).
//
//   hash_file(path[, max]) -> key, size   a 128-bit content hash of the file (hex), its size
//   hash_string(s) -> key                 the same hash of a string
//   private_dir(path) -> true | nil, why  makes path (mode 0700) if missing; true only when it
//                                         is a directory (not a symlink) owned by this user
//                                         and not writable by group or others
//   read_private(path, max) -> data | nil, why   the contents of a regular file (no symlink
//                                         followed) owned by this user, not group/world
//                                         writable, at most max bytes
//   prune(dir, max_entries, max_bytes)   removes the least recently written entries (files
//                                         named by 32 hex digits, owned by this user) beyond
//                                         either bound
//   encode(value) -> bytes | nil, why     a tree of tables, strings, integers and booleans
//   write_entry(path, value) -> true | nil, why   encode(value) written to a new file (0600)
//                                         beside path, then renamed over it
//   decode(bytes[, "regs"]) -> value | nil, why   ... back; anything malformed is refused,
//                                         never run; with "regs", so is an entry whose spec
//                                         lacks the shape regs.load promises (regs_cache.lua)
//
// The entry format (encode/decode): "barlua-regs-cache 2\n", 'P' count:u32, then count
// pooled strings (len:u8 bytes, len <= MAX_POOLED), then one value:
//   'T' narr:u32 nhash:u32  narr values (keys 1..narr), then nhash key/value pairs
//   'Q' index:u32 (a pooled string) | 'S' len:u32 bytes (a longer one) | 'I' int64 |
//   'F' | 'R' (false, true); all little-endian.
// A key is 'Q', 'S' or 'I'. Depth is limited to MAX_DEPTH; counts and lengths are checked
// against the bytes that remain before anything is allocated. The pool is why a cached load
// is fast: a map's keys and short values ("access", "rw", field names) recur hundreds of
// thousands of times, and a pooled string is pushed by index, not hashed and looked up again.
//
// The hash is not cryptographic: it keys the cache by content so a changed file is never
// served stale (same size and mtime included). Whoever can make two files collide on purpose
// can write the description itself, which is already trusted to say what the map is.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cbarlua.h"

#define K1 UINT64_C(0x9e3779b97f4a7c15)
#define K2 UINT64_C(0xc2b2ae3d27d4eb4f)
#define K3 UINT64_C(0x165667b19e3779f9)
#define K4 UINT64_C(0x27d4eb2f165667c5)

// Four independent lanes of 8 bytes each per 32-byte block, so the multiplications of a block
// overlap (one chain of two lanes, each step waiting on the last, ran at 2.5 GB/s).
typedef struct {
  uint64_t v[4], len;
  unsigned char tail[32];
  size_t ntail;
} hasher;

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t fmix(uint64_t h) {
  h ^= h >> 33;
  h *= UINT64_C(0xff51afd7ed558ccd);
  h ^= h >> 33;
  h *= UINT64_C(0xc4ceb9fe1a85ec53);
  h ^= h >> 33;
  return h;
}

static void block(hasher *h, const unsigned char *p) {
  for (int i = 0; i < 4; i++) {
    uint64_t w;
    memcpy(&w, p + 8 * i, 8);
    h->v[i] = rotl(h->v[i] ^ (w * K1), 31) * K2;
  }
}

static void hash_init(hasher *h) {
  h->v[0] = K1;
  h->v[1] = K2;
  h->v[2] = K3;
  h->v[3] = K4;
  h->len = 0;
  h->ntail = 0;
}

static void hash_add(hasher *h, const unsigned char *p, size_t n) {
  h->len += n;
  if (h->ntail > 0) {
    size_t take = sizeof h->tail - h->ntail < n ? sizeof h->tail - h->ntail : n;
    memcpy(h->tail + h->ntail, p, take);
    h->ntail += take;
    p += take;
    n -= take;
    if (h->ntail < sizeof h->tail) return;
    block(h, h->tail);
    h->ntail = 0;
  }
  for (; n >= 32; p += 32, n -= 32) block(h, p);
  memcpy(h->tail, p, n);
  h->ntail = n;
}

static void hash_push(lua_State *L, hasher *h) {
  // The last bytes, zero-padded, with their count (so "a" and "a\0" differ before the length
  // is mixed in too).
  memset(h->tail + h->ntail, 0, sizeof h->tail - h->ntail);
  h->tail[sizeof h->tail - 1] ^= (unsigned char)h->ntail;
  block(h, h->tail);
  uint64_t a = fmix(h->v[0] ^ rotl(h->v[2], 23) ^ h->len);
  uint64_t b = fmix(h->v[1] ^ rotl(h->v[3], 41) ^ a);
  a = fmix(a ^ b);
  char s[40];
  snprintf(s, sizeof s, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
  lua_pushstring(L, s);
}

static int fail(lua_State *L, const char *what, const char *path) {
  lua_pushnil(L);
  lua_pushfstring(L, "%s %s: %s", what, path, strerror(errno));
  return 2;
}

static int hash_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(L, "cannot open", path);
  hasher h;
  hash_init(&h);
  unsigned char *buf = malloc(1 << 20);
  if (buf == NULL) {
    close(fd);
    return luaL_error(L, "not enough memory");
  }
  for (;;) {
    ssize_t n = read(fd, buf, 1 << 20);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      free(buf);
      close(fd);
      errno = e;
      return fail(L, "cannot read", path);
    }
    if (n == 0) break;
    hash_add(&h, buf, (size_t)n);
  }
  free(buf);
  close(fd);
  hash_push(L, &h);
  lua_pushinteger(L, (lua_Integer)h.len);
  return 2;
}

static int hash_string(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  hasher h;
  hash_init(&h);
  hash_add(&h, (const unsigned char *)s, n);
  hash_push(L, &h);
  return 1;
}

// Why a file or directory we are about to trust is not ours alone, or NULL.
static const char *not_private(const struct stat *st, int dir) {
  if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
    return dir ? "is not a directory (or is a symlink)" : "is not a regular file (or is a symlink)";
  if (st->st_uid != geteuid()) return "is owned by another user";
  if (st->st_mode & (S_IWGRP | S_IWOTH)) return "is writable by group or others";
  return NULL;
}

static int private_dir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (mkdir(path, 0700) != 0 && errno != EEXIST) return fail(L, "cannot create", path);
  struct stat st;
  if (lstat(path, &st) != 0) return fail(L, "cannot stat", path);
  const char *why = not_private(&st, 1);
  if (why != NULL) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s %s", path, why);
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int read_private(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_Integer max = luaL_checkinteger(L, 2);
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return fail(L, "cannot open", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return fail(L, "cannot stat", path);
  }
  const char *why = not_private(&st, 0);
  if (why == NULL && (st.st_size < 0 || st.st_size > max))
    why = "is larger than a cache entry may be";
  if (why != NULL) {
    close(fd);
    lua_pushnil(L);
    lua_pushfstring(L, "%s %s", path, why);
    return 2;
  }
  size_t size = (size_t)st.st_size, got = 0;
  luaL_Buffer b;
  char *dst = luaL_buffinitsize(L, &b, size ? size : 1);
  while (got < size) {
    ssize_t n = read(fd, dst + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      close(fd);
      errno = e;
      return fail(L, "cannot read", path);  // the buffer is dropped with the stack
    }
    got += (size_t)n;
  }
  close(fd);
  luaL_pushresultsize(&b, size);
  return 1;
}

// Writes the parts to a new file (0600) beside path, then renames it over path: true, or nil
// and why (the new file removed).
static int write_parts(lua_State *L, const char *path, const struct iovec *part, int nparts) {
  const char *tmp = lua_pushfstring(L, "%s.%d.tmp", path, (int)getpid());
  unlink(tmp);  // a leftover of ours from a crash
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return fail(L, "cannot create", tmp);
  for (int i = 0; i < nparts; i++) {
    const char *data = part[i].iov_base;
    size_t len = part[i].iov_len, done = 0;
    while (done < len) {
      ssize_t n = write(fd, data + done, len - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return fail(L, "cannot write", tmp);
      }
      done += (size_t)n;
    }
  }
  if (close(fd) != 0) {
    int e = errno;
    unlink(tmp);
    errno = e;
    return fail(L, "cannot write", tmp);
  }
  if (rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    errno = e;
    return fail(L, "cannot rename to", path);
  }
  lua_pushboolean(L, 1);
  return 1;
}

// loader_id() -> barlua's version and the hash of the loader's own sources (the embedded
// ipxact, ipxact_expr and regs_cache modules): a cache entry made by another barlua, or by a
// build whose loader differs, is never read.
static int loader_id(lua_State *L) {
  static const char *const parts[] = {"barlua.ipxact", "barlua.ipxact_expr", "barlua.regs_cache"};
  hasher h;
  hash_init(&h);
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    size_t len;
    const char *src = barlua_embedded_module(parts[i], &len);
    if (src != NULL) hash_add(&h, (const unsigned char *)src, len);
  }
  lua_getfield(L, LUA_REGISTRYINDEX, "barlua.version");
  const char *version = lua_tostring(L, -1);
  lua_pushfstring(L, "%s-", version ? version : "unknown");
  hash_push(L, &h);
  lua_concat(L, 2);
  return 1;
}

typedef struct {
  char name[40];
  time_t mtime;
  off_t size;
} cached_file;

static int newer_first(const void *a, const void *b) {
  const cached_file *x = a, *y = b;
  return (x->mtime < y->mtime) - (x->mtime > y->mtime);
}

static int is_entry_name(const char *n) {
  size_t i = 0;
  for (; n[i]; i++)
    if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f'))) return 0;
  return i == 32;
}

static int prune(lua_State *L) {
  const char *dir = luaL_checkstring(L, 1);
  lua_Integer max_entries = luaL_checkinteger(L, 2), max_bytes = luaL_checkinteger(L, 3);
  DIR *d = opendir(dir);
  if (d == NULL) return 0;
  size_t n = 0, cap = 64;
  cached_file *files = malloc(cap * sizeof *files);
  struct dirent *e;
  while (files != NULL && (e = readdir(d)) != NULL) {
    if (!is_entry_name(e->d_name)) continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
        st.st_uid != geteuid())
      continue;
    if (n == cap) {
      cached_file *f = realloc(files, 2 * cap * sizeof *files);
      if (f == NULL) break;
      files = f;
      cap *= 2;
    }
    snprintf(files[n].name, sizeof files[n].name, "%s", e->d_name);
    files[n].mtime = st.st_mtime;
    files[n].size = st.st_size;
    n++;
  }
  if (files != NULL) {
    qsort(files, n, sizeof *files, newer_first);
    lua_Integer bytes = 0;
    for (size_t i = 0; i < n; i++) {
      bytes += files[i].size;
      if ((lua_Integer)i >= max_entries || bytes > max_bytes) unlinkat(dirfd(d), files[i].name, 0);
    }
    free(files);
  }
  closedir(d);
  return 0;
}

#define MAGIC "barlua-regs-cache 2\n"
#define MAX_DEPTH 32
// Strings up to this length are pooled: written once, referred to by index (Lua's short
// strings, which it interns: pushing one again costs a hash and a look-up).
#define MAX_POOLED 40

// The encoder's output: a growing block owned by a userdata (freed by __gc, also when an
// error unwinds), so no luaL_Buffer rule on the stack's top constrains the recursion.
typedef struct {
  char *p;
  size_t n, cap;
  int failed;
} outbuf;

static int outbuf_gc(lua_State *L) {
  outbuf *o = lua_touserdata(L, 1);
  free(o->p);
  o->p = NULL;
  return 0;
}

static void grow_add(outbuf *o, const void *data, size_t n) {
  if (o->failed) return;
  if (o->p == NULL || n > o->cap - o->n) {
    size_t cap = o->cap ? o->cap : 1 << 16;
    while (cap - o->n < n) {
      if (cap > SIZE_MAX / 2) {
        o->failed = 1;
        return;
      }
      cap *= 2;
    }
    char *p = realloc(o->p, cap);
    if (p == NULL) {
      o->failed = 1;
      return;
    }
    o->p = p;
    o->cap = cap;
  }
  memcpy(o->p + o->n, data, n);
  o->n += n;
}

// The common case inline: room left (an entry is hundreds of thousands of small values).
static inline void add(outbuf *o, const void *data, size_t n) {
  if (o->p != NULL && n <= o->cap - o->n && !o->failed) {
    memcpy(o->p + o->n, data, n);
    o->n += n;
  } else
    grow_add(o, data, n);
}

static void add_char(outbuf *o, char c) { add(o, &c, 1); }

static void put_u32(outbuf *b, uint32_t v) {
  unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                        (unsigned char)(v >> 24)};
  add(b, c, 4);
}

static void put_i64(outbuf *b, uint64_t v) {
  unsigned char c[8];
  for (int i = 0; i < 8; i++) c[i] = (unsigned char)(v >> (8 * i));
  add(b, c, 8);
}

// Which pooled string a short string is: an open-addressed table from the string's address
// to its index. Lua interns short strings, so equal ones share one address, and every one
// stays alive (in the value being encoded) while the encoder runs. The slots live in a
// userdata (collected with it, also when an error unwinds); a fuller table is a new one.
typedef struct {
  const void *key;
  uint32_t index;
} pool_slot;

// The encoder's state: the value's bytes, the pool's bytes and count, and the slots.
typedef struct {
  outbuf *out, *pool;
  uint32_t npool;
  pool_slot *slots;
  size_t nslots;  // a power of two, at least twice npool
  int slots_at;   // the stack index of the userdata that holds them
} encoder;

static size_t slot_of(const pool_slot *slots, size_t nslots, const void *key) {
  size_t i = (size_t)(((uintptr_t)key >> 4) * UINT64_C(0x9e3779b97f4a7c15)) & (nslots - 1);
  while (slots[i].key != NULL && slots[i].key != key) i = (i + 1) & (nslots - 1);
  return i;
}

// Makes room for one more pooled string: 0 when there is no memory for a larger table.
static int pool_room(lua_State *L, encoder *e) {
  if (2 * ((size_t)e->npool + 1) <= e->nslots) return 1;
  if (e->nslots > SIZE_MAX / 2 / sizeof(pool_slot)) return 0;
  size_t n = 2 * e->nslots;
  pool_slot *slots = lua_newuserdatauv(L, n * sizeof *slots, 0);
  memset(slots, 0, n * sizeof *slots);
  for (size_t i = 0; i < e->nslots; i++)
    if (e->slots[i].key != NULL) slots[slot_of(slots, n, e->slots[i].key)] = e->slots[i];
  lua_replace(L, e->slots_at);
  e->slots = slots;
  e->nslots = n;
  return 1;
}

// Encodes the value at the top of the stack (left there). Returns NULL or why it cannot.
static const char *enc(lua_State *L, encoder *e, int depth) {
  outbuf *b = e->out;
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(L, -1, &n);
      if (n > UINT32_MAX) return "a string is too long";
      if (n > MAX_POOLED) {
        add_char(b, 'S');
        put_u32(b, (uint32_t)n);
        add(b, s, n);
        return NULL;
      }
      size_t at = slot_of(e->slots, e->nslots, s);
      if (e->slots[at].key == NULL) {
        if (e->npool == UINT32_MAX || !pool_room(L, e)) return "too many strings";
        at = slot_of(e->slots, e->nslots, s);
        e->slots[at].key = s;
        e->slots[at].index = e->npool++;
        add_char(e->pool, (char)n);
        add(e->pool, s, n);
      }
      add_char(b, 'Q');
      put_u32(b, e->slots[at].index);
      return NULL;
    }
    case LUA_TNUMBER:
      if (!lua_isinteger(L, -1)) return "a number is not an integer";
      add_char(b, 'I');
      put_i64(b, (uint64_t)lua_tointeger(L, -1));
      return NULL;
    case LUA_TBOOLEAN:
      add_char(b, lua_toboolean(L, -1) ? 'R' : 'F');
      return NULL;
    case LUA_TTABLE:
      break;
    default:
      return "a value is not a table, string, integer or boolean";
  }
  if (depth >= MAX_DEPTH) return "tables nest too deep";
  luaL_checkstack(L, 4, "cache entry");
  lua_Integer narr = (lua_Integer)lua_rawlen(L, -1);
  if ((uint64_t)narr > UINT32_MAX) return "a table is too large";
  add_char(b, 'T');
  put_u32(b, (uint32_t)narr);
  size_t nhash_at = b->n;  // the count of the other keys, written once they are (one pass)
  put_u32(b, 0);
  for (lua_Integer i = 1; i <= narr; i++) {
    lua_rawgeti(L, -1, i);
    if (lua_isnil(L, -1)) return "an array has holes";
    const char *why = enc(L, e, depth + 1);
    if (why) return why;
    lua_pop(L, 1);
  }
  uint64_t nhash = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    int k = lua_type(L, -2);
    if (k == LUA_TNUMBER && lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 &&
        lua_tointeger(L, -2) <= narr) {
      lua_pop(L, 1);
      continue;
    }
    if (k != LUA_TSTRING && !(k == LUA_TNUMBER && lua_isinteger(L, -2)))
      return "a key is not a string or integer";
    if (++nhash > UINT32_MAX) return "a table is too large";
    lua_pushvalue(L, -2);
    const char *why = enc(L, e, depth + 1);  // the key
    if (why) return why;
    lua_pop(L, 1);
    why = enc(L, e, depth + 1);  // the value
    if (why) return why;
    lua_pop(L, 1);
  }
  if (!b->failed) {
    unsigned char *c = (unsigned char *)b->p + nhash_at;
    for (int i = 0; i < 4; i++) c[i] = (unsigned char)(nhash >> (8 * i));
  }
  return NULL;
}

static outbuf *new_outbuf(lua_State *L) {
  outbuf *o = lua_newuserdatauv(L, sizeof *o, 0);
  memset(o, 0, sizeof *o);
  if (luaL_newmetatable(L, "barlua.cache_core.outbuf")) {
    lua_pushcfunction(L, outbuf_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return o;
}

// Encodes the value at stack index 1 (the stack holds nothing above it): NULL, with the head
// (MAGIC, 'P', the pool's count) written into head[HEAD] and e filled in, or why it cannot.
#define HEAD (sizeof MAGIC - 1 + 5)
static const char *encode_value(lua_State *L, encoder *e, char head[HEAD]) {
  e->out = new_outbuf(L);
  e->pool = new_outbuf(L);
  e->npool = 0;
  e->nslots = 1024;
  e->slots = lua_newuserdatauv(L, e->nslots * sizeof *e->slots, 0);
  memset(e->slots, 0, e->nslots * sizeof *e->slots);
  e->slots_at = lua_gettop(L);
  lua_pushvalue(L, 1);
  const char *why = enc(L, e, 0);
  if (why == NULL && (e->out->failed || e->pool->failed)) why = "out of memory";
  if (why != NULL) return why;
  memcpy(head, MAGIC, sizeof MAGIC - 1);
  head[sizeof MAGIC - 1] = 'P';
  for (int i = 0; i < 4; i++) head[sizeof MAGIC + i] = (char)(e->npool >> (8 * i));
  return NULL;
}

// encode(value) -> bytes | nil, why
static int encode(lua_State *L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  encoder e;
  char head[HEAD];
  const char *why = encode_value(L, &e, head);
  if (why != NULL) {
    lua_pushnil(L);
    lua_pushstring(L, why);
    return 2;
  }
  luaL_Buffer buf;
  size_t total = HEAD + e.pool->n + e.out->n;
  char *p = luaL_buffinitsize(L, &buf, total);
  memcpy(p, head, HEAD);
  if (e.pool->n) memcpy(p + HEAD, e.pool->p, e.pool->n);
  memcpy(p + HEAD + e.pool->n, e.out->p, e.out->n);
  luaL_pushresultsize(&buf, total);
  return 1;
}

// write_entry(path, value) -> true | nil, why: encode(value) written from the encoder's
// buffers, without first making the bytes one Lua string (megabytes, copied once more).
static int write_entry(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checkany(L, 2);
  lua_settop(L, 2);
  lua_rotate(L, 1, 1);  // the value at index 1, as encode_value wants it; the path at 2
  encoder e;
  char head[HEAD];
  const char *why = encode_value(L, &e, head);
  if (why != NULL) {
    lua_pushnil(L);
    lua_pushfstring(L, "not cacheable: %s", why);
    return 2;
  }
  struct iovec part[3] = {{head, HEAD}, {e.pool->p, e.pool->n}, {e.out->p, e.out->n}};
  return write_parts(L, path, part, 3);
}

// The keys the shape check of a register map knows (decode(bytes, "regs")).
enum {
  K_OTHER,
  K_SPEC,
  K_NAME,
  K_REGISTERS,
  K_SIZE,
  K_SKIPPED,
  K_WARNINGS,
  K_OFFSET,
  K_WIDTH,
  K_ACCESS,
  K_RESET,
  K_FIELDS,
  K_BIT,
  K_ALIAS,
  K_COUNT_
};
static const char *const known_keys[K_COUNT_] = {
    "",       "spec",  "name",   "registers", "size",   "skipped", "warnings",
    "offset", "width", "access", "reset",     "fields", "bit",     "alias"};

static unsigned char key_kind(const unsigned char *s, size_t n) {
  for (int k = 1; k < K_COUNT_; k++)
    if (strlen(known_keys[k]) == n && memcmp(known_keys[k], s, n) == 0) return (unsigned char)k;
  return K_OTHER;
}

// What a value must be. With no shape (decode(bytes)) every value is C_ANY. The register-map
// shape is what regs.load promises and regs.define and scripts/regs.lua read: an entry that
// is not that shape is refused here, as if it were damaged.
enum {
  C_ANY,
  C_KEY,
  C_STRKEY,
  C_STR,
  C_INT,
  C_DOC,
  C_SPEC,
  C_REGS,
  C_REG,
  C_FIELDS,
  C_FIELD,
  C_STRLIST
};

typedef struct {
  const unsigned char *p, *end;
  int pool;                   // stack index of the pool's strings (a table, 1-based)
  const unsigned char *kind;  // each pooled string's key kind
  uint32_t npool;
} reader;

static int get_u32(reader *r, uint32_t *v) {
  if (r->end - r->p < 4) return 0;
  *v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
       (uint32_t)r->p[3] << 24;
  r->p += 4;
  return 1;
}

// The context of a table's value under a key of kind k (string keys) or an integer key.
static int value_ctx(int table, int kind, int intkey) {
  switch (table) {
    case C_DOC:
      if (kind == K_SPEC) return C_SPEC;
      return C_ANY;
    case C_SPEC:
      if (kind == K_NAME) return C_STR;
      if (kind == K_REGISTERS) return C_REGS;
      if (kind == K_SIZE) return C_INT;
      if (kind == K_SKIPPED || kind == K_WARNINGS) return C_STRLIST;
      return C_ANY;
    case C_REGS:
      return intkey ? C_REG : C_ANY;
    case C_STRLIST:
      return intkey ? C_STR : C_ANY;
    case C_REG:
      if (kind == K_NAME || kind == K_ACCESS) return C_STR;
      if (kind == K_OFFSET || kind == K_WIDTH) return C_INT;
      if (kind == K_RESET) return C_INT;
      if (kind == K_FIELDS) return C_FIELDS;
      return C_ANY;
    case C_FIELDS:
      return C_FIELD;
    case C_FIELD:
      if (kind == K_BIT || kind == K_WIDTH) return C_INT;
      if (kind == K_ACCESS) return C_STR;
      if (kind == K_ALIAS) return C_STR;
      return C_ANY;
    default:
      return C_ANY;
  }
}

// The keys a table of each context must hold.
static unsigned required(int ctx) {
  switch (ctx) {
    case C_DOC:
      return 1u << K_SPEC;
    case C_SPEC:
      return 1u << K_NAME | 1u << K_REGISTERS;
    case C_REG:
      return 1u << K_NAME | 1u << K_OFFSET | 1u << K_WIDTH | 1u << K_ACCESS;
    case C_FIELD:
      return 1u << K_BIT | 1u << K_WIDTH | 1u << K_ACCESS;
    default:
      return 0;
  }
}

// Pushes one value that fits ctx; 0 (nothing pushed) when the bytes are not a valid encoding
// or the value does not fit. A key's kind (K_*, or -1 for an integer) goes to *kind.
static int dec(lua_State *L, reader *r, int depth, int ctx, int *kind) {
  if (r->p >= r->end) return 0;
  unsigned char tag = *r->p++;
  int is_key = ctx == C_KEY || ctx == C_STRKEY;
  uint32_t n;
  switch (tag) {
    case 'S':
      if ((ctx != C_ANY && ctx != C_STR && !is_key) || !get_u32(r, &n) ||
          (size_t)(r->end - r->p) < n)
        return 0;
      if (kind) *kind = key_kind(r->p, n);
      lua_pushlstring(L, (const char *)r->p, n);
      r->p += n;
      return 1;
    case 'Q':
      if ((ctx != C_ANY && ctx != C_STR && !is_key) || !get_u32(r, &n) || n >= r->npool) return 0;
      if (kind) *kind = r->kind[n];
      lua_rawgeti(L, r->pool, (lua_Integer)n + 1);
      return 1;
    case 'I': {
      if ((ctx != C_ANY && ctx != C_INT && ctx != C_KEY) || r->end - r->p < 8) return 0;
      uint64_t v = 0;
      for (int i = 0; i < 8; i++) v |= (uint64_t)r->p[i] << (8 * i);
      r->p += 8;
      if (kind) *kind = -1;
      lua_pushinteger(L, (lua_Integer)v);
      return 1;
    }
    case 'F':
    case 'R':
      if (ctx != C_ANY) return 0;
      lua_pushboolean(L, tag == 'R');
      return 1;
    case 'T':
      break;
    default:
      return 0;
  }
  uint32_t narr, nhash;
  if (is_key || ctx == C_STR || ctx == C_INT || depth >= MAX_DEPTH || !get_u32(r, &narr) ||
      !get_u32(r, &nhash))
    return 0;
  // Every element takes at least one byte: counts beyond the bytes left are refused before
  // the table is made.
  size_t left = (size_t)(r->end - r->p);
  if (narr > left || nhash > left / 2 || (size_t)narr + 2 * (size_t)nhash > left) return 0;
  // A register list is not empty (its first register in the array part); field names are
  // strings, so a field table has no array part.
  if ((ctx == C_REGS && narr == 0) || (ctx == C_FIELDS && narr > 0)) return 0;
  if (!lua_checkstack(L, 4)) return 0;
  lua_createtable(L, (int)(narr > INT32_MAX ? INT32_MAX : narr),
                  (int)(nhash > INT32_MAX ? INT32_MAX : nhash));
  unsigned have = 0;
  int item = value_ctx(ctx, K_OTHER, 1);
  for (uint32_t i = 1; i <= narr; i++) {
    if (!dec(L, r, depth + 1, item, NULL)) {
      lua_pop(L, 1);
      return 0;
    }
    lua_rawseti(L, -2, i);
  }
  for (uint32_t i = 0; i < nhash; i++) {
    int k = K_OTHER;
    if (!dec(L, r, depth + 1, ctx == C_FIELDS ? C_STRKEY : C_KEY, &k)) {
      lua_pop(L, 1);
      return 0;
    }
    if (k > 0) have |= 1u << k;  // a known key is present (what each table needs: required)
    if (!dec(L, r, depth + 1, value_ctx(ctx, k < 0 ? K_OTHER : k, k < 0), NULL)) {
      lua_pop(L, 2);
      return 0;
    }
    lua_rawset(L, -3);
  }
  if ((have & required(ctx)) != required(ctx)) {
    lua_pop(L, 1);
    return 0;
  }
  return 1;
}

// decode(bytes[, "regs"]) -> value | nil, why   ("regs": a cache entry whose spec has the
// shape regs.load promises, or nothing)
static int decode(lua_State *L) {
  size_t len;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
  const char *shape = luaL_optstring(L, 2, NULL);
  if (shape != NULL && strcmp(shape, "regs") != 0)
    return luaL_argerror(L, 2, "the only shape is \"regs\"");
  lua_settop(L, 1);
  size_t m = sizeof MAGIC - 1;
  reader r = {s + m, s + len, 0, NULL, 0};
  // Each pooled string takes at least its length byte: a count past the bytes left is refused
  // before the pool's table is made.
  int ok = len >= m + 5 && memcmp(s, MAGIC, m) == 0 && *r.p++ == 'P' && get_u32(&r, &r.npool) &&
           r.npool <= (size_t)(r.end - r.p);
  if (ok) {
    // The pool: each string once, with its key kind; every length checked first.
    lua_createtable(L, (int)(r.npool > INT32_MAX ? INT32_MAX : r.npool), 0);
    r.pool = lua_gettop(L);
    unsigned char *kind = lua_newuserdatauv(L, r.npool ? r.npool : 1, 0);
    r.kind = kind;
    for (uint32_t i = 0; i < r.npool; i++) {
      size_t n = r.p < r.end ? *r.p : 0;
      if (r.p >= r.end || n > MAX_POOLED || (size_t)(r.end - r.p - 1) < n) {
        ok = 0;
        break;
      }
      kind[i] = key_kind(r.p + 1, n);
      lua_pushlstring(L, (const char *)r.p + 1, n);
      lua_rawseti(L, r.pool, (lua_Integer)i + 1);
      r.p += 1 + n;
    }
  }
  if (!ok || !dec(L, &r, 0, shape ? C_DOC : C_ANY, NULL) || r.p != r.end) {
    lua_pushnil(L);
    lua_pushliteral(L, "not a barlua register map cache entry (or a damaged one)");
    return 2;
  }
  return 1;
}

int barlua_open_cache_core(lua_State *L) {
  static const luaL_Reg core[] = {{"hash_file", hash_file},
                                  {"hash_string", hash_string},
                                  {"loader_id", loader_id},
                                  {"private_dir", private_dir},
                                  {"read_private", read_private},
                                  {"encode", encode},
                                  {"write_entry", write_entry},
                                  {"decode", decode},
                                  {"prune", prune},
                                  {NULL, NULL}};
  luaL_newlib(L, core);
  return 1;
}
