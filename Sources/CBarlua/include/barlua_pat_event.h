// The PAT event record of pat.events and pat.parse: one field list (X-macro) from which the C
// structure Swift fills, the field indices and the Lua table builder are all made. Swift sees
// the indices (BARLUA_PAT_kind, ...) and the setters through the CBarlua module; a field added
// here is a field of both functions' tables, in this order.
#ifndef BARLUA_PAT_EVENT_H
#define BARLUA_PAT_EVENT_H
#include <lua.h>
#include <stddef.h>
#include <stdint.h>

// X(name, type): type STRING (bytes in the batch's buffer), UNSIGNED (a 64-bit value that Lua
// gets by two's complement), INTEGER or NUMBER. The order is the order of the table's fields.
#define BARLUA_PAT_EVENT_FIELDS(X) \
  X(kind, STRING)                  \
  X(first, UNSIGNED)               \
  X(last, UNSIGNED)                \
  X(track, STRING)                 \
  X(req, STRING)                   \
  X(ret, STRING)                   \
  X(expected, STRING)              \
  X(got, STRING)                   \
  X(process, STRING)               \
  X(pid, INTEGER)                  \
  X(time, NUMBER)                  \
  X(seq, UNSIGNED)                 \
  X(text, STRING)                  \
  X(wallclock, STRING)

#define BARLUA_PAT_FIELD_INDEX(name, type) BARLUA_PAT_##name,
enum { BARLUA_PAT_EVENT_FIELDS(BARLUA_PAT_FIELD_INDEX) BARLUA_PAT_NFIELDS };
#undef BARLUA_PAT_FIELD_INDEX

/// One field's value; `has` 0 leaves the field out of the table.
typedef struct barlua_pat_value {
  unsigned char has;
  int64_t integer;  // UNSIGNED (bit pattern) and INTEGER
  double number;    // NUMBER
  size_t off, len;  // STRING: `len` bytes at `buf + off` of the batch
} barlua_pat_value;

typedef struct barlua_pat_event {
  barlua_pat_value field[BARLUA_PAT_NFIELDS];
} barlua_pat_event;

/// The events of one line (pat.parse) or one event (pat.events), with the bytes of their
/// strings. The caller provides `events`/`cap_events` and `buf`/`cap_bytes`; the writer sets
/// `count`, or, when they are too small, `need_events` and `need_bytes`.
typedef struct barlua_pat_batch {
  barlua_pat_event *events;
  int cap_events;
  char *buf;
  size_t cap_bytes;
  int count;
  int need_events;
  size_t need_bytes;
} barlua_pat_batch;

static inline void barlua_pat_set_integer(barlua_pat_event *ev, int field, int64_t value) {
  ev->field[field].has = 1;
  ev->field[field].integer = value;
}
static inline void barlua_pat_set_number(barlua_pat_event *ev, int field, double value) {
  ev->field[field].has = 1;
  ev->field[field].number = value;
}
static inline void barlua_pat_set_string(barlua_pat_event *ev, int field, size_t off, size_t len) {
  ev->field[field].has = 1;
  ev->field[field].off = off;
  ev->field[field].len = len;
}

/// Pushes event `ev` of a batch whose strings are in `buf` as a new table (raw sets only: no
/// metamethod runs; only running out of memory raises).
void barlua_pat_push_event(lua_State *L, const barlua_pat_event *ev, const char *buf);

#endif
