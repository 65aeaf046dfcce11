// barlua's Lua-facing C: the only code that raises Lua errors.
//
// Swift functions exported to Lua have the type `barlua_swift_fn`: they return the number of
// results, or BARLUA_RAISE after pushing an error value, and never call anything that raises.
// `barlua_pushswift` wraps one in a C closure (the trampoline) that calls it and, on
// BARLUA_RAISE, calls lua_error with no Swift frame left on the C stack.
#ifndef CBARLUA_H
#define CBARLUA_H
#include <lua.h>
#include <stdint.h>

#include <barlua_interrupt.h>
#include "barlua_pat_event.h"
#include <barlua_sys.h>
#include <barlua_trust.h>

#define BARLUA_RAISE (-2)

typedef int (*barlua_swift_fn)(lua_State *L);

/// Pushes a Lua C closure that runs `fn` through the raising trampoline. `nup` upvalues
/// already on the stack become upvalues 2..nup+1 (upvalue 1 holds `fn`).
void barlua_pushswift(lua_State *L, barlua_swift_fn fn, int nup);

/// Registers the `bar` type (its shared method table) in the registry. Call once per state.
void barlua_bar_open(lua_State *L);

/// `flags` of barlua_bar_push: the window is ordinary memory (a regular file, a DMA buffer),
/// where `memcpy` is safe and fastest; without it the window is treated as device memory.
#define BARLUA_BAR_RAM 1u
/// `flags` of barlua_bar_push: the window is mapped without PROT_WRITE (where a store would
/// kill the process): every method that stores raises `bar:write32: bar is mapped read-only`.
#define BARLUA_BAR_READ_ONLY 2u

/// The names of the bar fields that Swift sets (BarObject, VFIOModule+DMA) and C reads
/// (tostring(bar), the DMA-buffer test): written once here; Swift imports each as a String.
#define BARLUA_BAR_FIELD_SIZE "size"
#define BARLUA_BAR_FIELD_INDEX "index"
#define BARLUA_BAR_FIELD_METHOD "method"
#define BARLUA_BAR_FIELD_ADDR "addr"
#define BARLUA_BAR_FIELD_PATH "path"
#define BARLUA_BAR_FIELD_IOVA "iova"

/// Pushes a new bar over `win`. `owner` is an opaque retained pointer released through
/// `release(owner)` when the bar is unmapped or collected (may be NULL). `unmap(owner)` is
/// called by bar:unmap / __close / __gc before `release`. The bar's fields (api.md §bar;
/// those C reads are BARLUA_BAR_FIELD_*) are taken from the table on top of the stack, which
/// is replaced by the bar. `flags`: BARLUA_BAR_* (0 for device memory).
void barlua_bar_push(lua_State *L, barlua_window *win, void *owner, void (*unmap)(void *),
                     void (*release)(void *), unsigned flags);

/// Registers a userdata type named `tname`. Stack: a table of methods, then a table of
/// metamethods (__gc, __close, __tostring, ...); both are popped. Call once per state.
void barlua_type_register(lua_State *L, const char *tname);

/// Pushes a new object of type `tname` holding `ptr` (an opaque retained Swift object). The
/// table on top of the stack becomes its fields and is replaced by the object.
void barlua_object_push(lua_State *L, const char *tname, void *ptr);

/// The pointer held by the object at `i`, or NULL when it is not a `tname` or was taken.
/// These three never raise.
void *barlua_object_get(lua_State *L, int i, const char *tname);
int barlua_object_is(lua_State *L, int i, const char *tname);
/// Like barlua_object_get, and clears it: the caller now owns the retain.
void *barlua_object_take(lua_State *L, int i, const char *tname);

/// Pushes barlua.trace_core: new(fields[, limit]) and add(trace, kind, offset, value, ns), the
/// C side of traces built from text (regs.mmiotrace).
int barlua_open_trace_core(lua_State *L);

/// Pushes barlua.cache_core (content hash, private directory and file I/O) for the register
/// map cache, barlua.regs_cache.
int barlua_open_cache_core(lua_State *L);

/// Pushes barlua.xml_core: tree(data, path, namespaces, limits, none[, skip]), an XML document as
/// the tables barlua.ipxact walks, built in C over libexpat.
int barlua_open_xml_core(lua_State *L);

/// Pushes barlua.folder_core: xml_files(dir, max), the .xml files of one folder (the IP-XACT
/// loader's look-up of an external typeDefinitions document by VLNV).
int barlua_open_folder_core(lua_State *L);

/// buf:free() of a DMA buffer (a bar with an `iova` field): unmaps it, quiet when freed.
int barlua_bar_free(lua_State *L);

/// 1 when the value at `i` is a bar (mapped or not).
int barlua_isbar(lua_State *L, int i);

/// The Swift per-line parser: parses `line` once and writes every PAT event it holds into
/// `out` (barlua_pat_event.h). Returns the number of events, or -1 when `out` is too small
/// (`need_events` and `need_bytes` say how large it must be). Never raises; allocates only in
/// proportion to the line.
typedef int (*barlua_pat_line_fn)(const char *line, size_t len, barlua_pat_batch *out);

/// Lines longer than this are not passed to the line parser (no kernel message is that long:
/// a /dev/kmsg record is at most 8 KiB), so its allocations stay bounded.
#define BARLUA_PAT_MAX_LINE 65536

/// pat.parse(text) as a C closure over `line_fn` (upvalue 1, a light userdata): the loop over
/// lines and the result table are C, so running out of memory raises Lua's own "not enough
/// memory" with no Swift frame on the stack.
int barlua_pat_parse(lua_State *L);

/// Embedded Lua sources of the modules barlua ships (barlua.test, barlua.regs, repl helpers).
/// Returns NULL when `name` is not one of them.
const char *barlua_embedded_module(const char *name, size_t *len);

/// The name of embedded module `i` (0, 1, ...), or NULL past the last one.
const char *barlua_embedded_name(size_t i);

/// Opens the standard libraries, the bar type and `time`, and puts the built-in modules
/// (barlua.time, barlua.test, ...) in package.preload. Call it through lua_pcall (it runs Lua
/// code).
int barlua_openlibs(lua_State *L);

/// Pops the value on top of the stack and makes `require(name)` return it (package.preload).
void barlua_preload_value(lua_State *L, const char *name);

/// Adds a package.searchers entry, right after the preload searcher, that searches the
/// `;`-separated `?` templates (as package.searchpath does) for Lua modules and loads only
/// files that pass the trust rule (barlua_trust.h) for root, the effective user, the owner of
/// the executable and of `script` (the script being run, or NULL). Lua's own searchers (Lua
/// files and C libraries along package.path and package.cpath) are wrapped so that they skip
/// a file failing the same rule.
void barlua_add_searcher(lua_State *L, const char *templates, const char *script);

/// Keeps large blocks on the heap so big bar:read buffers are not page-faulted in each time.
void barlua_tune_heap(void);

/// Wraps the state's allocator so large blocks (big strings and transfer buffers) ask for
/// transparent huge pages. Call right after luaL_newstate.
void barlua_tune_lua_heap(lua_State *L);

/// Pushes the `time` library table.
int barlua_open_time(lua_State *L);

/// Room for any barlua_size_text result ("18446744073709551615 bytes" and its NUL).
#define BARLUA_SIZE_TEXT_MAX 32
/// `size` in the largest binary unit that divides it: "4 MiB", "64 KiB", "100 bytes".
void barlua_size_text(char *s, size_t n, uint64_t size);
/// Pushes the table of C functions that barlua's built-in Lua modules receive as their third
/// chunk argument (`size_text`); not reachable from user code.
int barlua_open_helpers(lua_State *L);

/// Puts `barlua.sys` (stat, access, ids, memlock: read-only facts for the Lua modules) into
/// package.preload.
void barlua_open_sys(lua_State *L);

/// Wraps pci.devices and vfio.open so they accept `board=` and `serial=` (barlua.boards).
/// Run through lua_pcall after the Swift modules are registered.
int barlua_install_board_filter(lua_State *L);

/// lua_pcall message handler: error value (any type) -> message with traceback.
int barlua_msghandler(lua_State *L);

/// lua.c's pushargs as a lua_CFunction: returns arg[1..#arg] of the global `arg`, or raises
/// "'arg' is not a table". Call through lua_pcall.
int barlua_script_args(lua_State *L);

/// lua.c's get_prompt as a lua_CFunction: argument true for _PROMPT, false for _PROMPT2;
/// returns tostring of the global, or nothing when it is nil. Call through lua_pcall.
int barlua_prompt(lua_State *L);

/// Ctrl-C and SIGTERM around a running chunk (interrupt.c): arm before lua_pcall, disarm
/// after. While armed, either signal makes the running code raise "interrupted!" or
/// "terminated (SIGTERM)" at its next instruction, in every coroutine of the running chain.
void barlua_interrupt_arm(lua_State *L);
void barlua_interrupt_disarm(void);

/// For a blocking C function whose wait (barlua_wait, barlua_sleep) returned EINTR, or whose
/// polling loop saw barlua_interrupt_pending(): raises "fn: interrupted!" (or "fn: terminated
/// (SIGTERM)") and takes the pending signal. Never returns.
int barlua_interrupt_raise(lua_State *L, const char *fn);

/// The same without raising, for Swift (which must not raise): takes the pending signal,
/// keeps this thread's hook from raising it a second time, and returns the words for the
/// error ("interrupted!" or "terminated (SIGTERM)") that the caller then throws, e.g. as
/// "irq:wait: interrupted!".
const char *barlua_interrupt_consume(lua_State *L);

/// Replaces coroutine.resume and coroutine.wrap by versions that let Ctrl-C reach a running
/// coroutine. Called by barlua_openlibs.
void barlua_interrupt_open(lua_State *L);

#endif
