-- barlua.regs_cache: regs.load's result kept in a compiled form, so a design file is parsed
-- once. Entries live under $XDG_CACHE_HOME/barlua/regs (default ~/.cache/barlua/regs), one
-- file each, named by a hash of the design file's content, its path, the load options and the
-- loader (barlua's version and the source of its IP-XACT modules: barlua.cache_core.loader_id).
--
-- Never stale: the key is the content, not the size or the time, so a file changed in place
-- (same size and mtime included) gets another entry. A component read with an external
-- typeDefinitions document (IP-XACT 2022, found in its folder by VLNV) depends on that file and
-- on which .xml files the folder holds: the entry keeps each such file's content hash and the
-- folder's list of .xml names, and is used only while they are unchanged (the entry's full key
-- is the component's hash plus these). An entry is data, never code: a tree of
-- tables, strings, integers and booleans read by a strict decoder in C (barlua.cache_core:
-- every count and length checked against the bytes left, depth limited) that also checks,
-- field by field, the shape of what regs.load returns; used only when every check passes. The
-- directories and the entry must be owned by this user and not writable by group or others
-- (barlua runs as root: a file another user can write is not read); a symlinked entry is not
-- followed. Anything wrong (no HOME, unwritable or full directory, a corrupt, truncated,
-- foreign or hostile entry) means the file is parsed as if there were no cache; a failure to
-- store is not an error.
local core = require "barlua.cache_core"

local M = {}

M.MAX_ENTRY = 1 << 30
-- The cache keeps the most recently stored entries within both bounds.
M.MAX_ENTRIES = 64
M.MAX_BYTES = 1 << 30

-- $XDG_CACHE_HOME/barlua/regs, each level private, or nil, why.
function M.dir()
  local base = os.getenv("XDG_CACHE_HOME")
  if not base or base:sub(1, 1) ~= "/" then
    local home = os.getenv("HOME")
    if not home or home:sub(1, 1) ~= "/" then return nil, "no HOME or XDG_CACHE_HOME" end
    base = home .. "/.cache"
  end
  local dirs = {base, base .. "/barlua", base .. "/barlua/regs"}
  for _, d in ipairs(dirs) do
    local ok, why = core.private_dir(d)
    if not ok then return nil, why end
  end
  return dirs[3]
end

-- The key of `path` loaded with `opts`: content hash, size, loader, options.
local function key_of(path, opts)
  local hash, size = core.hash_file(path)
  if not hash then return nil, size end
  -- The path too: the result names it (doc, FILE:LINE in skipped and warnings).
  return core.hash_string(table.concat({hash, tostring(size), core.loader_id(), path, opts.map or "",
    opts.block or ""}, "\0"))
end

-- Whether the files an entry depends on (2022 typeDefinitions documents, as the loader read
-- them: {folder = hash of the component folder's .xml names, files = {{path =, hash =}}}) are
-- as they were.
local function current(path, deps)
  if type(deps) ~= "table" or type(deps.files) ~= "table" then return false end
  -- A load that looked for a typeDefinitions document (found or not) depends on the folder.
  if deps.folder == nil then return #deps.files == 0 end
  local _, names = require("barlua.ipxact").folder_files(path)
  if not names or core.hash_string(table.concat(names, "\0")) ~= deps.folder then return false end
  for _, d in ipairs(deps.files) do
    if type(d) ~= "table" or type(d.path) ~= "string" or core.hash_file(d.path) ~= d.hash then return false end
  end
  return true
end

local function read_entry(file, key, path)
  local data = core.read_private(file, M.MAX_ENTRY)
  if not data then return nil end
  -- "regs": the decoder also checks the shape regs.load promises (what regs.define and
  -- scripts/regs.lua read: a name, a non-empty register list, each register's name, offset,
  -- width and access, each field's bit, width and access, of their types) as it reads.
  local doc = core.decode(data, "regs")
  if type(doc) ~= "table" or doc.key ~= key or not current(path, doc.deps) then
    return nil
  end
  return doc.spec
end

-- regs.load through the cache: `parse()` loads the file when there is no usable entry.
-- Returns spec, and how it was served ("cache", "parsed", or "parsed: WHY not cached").
function M.load(path, opts, parse)
  local key = key_of(path, opts)
  if not key then return parse(), "parsed" end -- parse reports the unreadable file
  local dir, why = M.dir()
  local file = dir and (dir .. "/" .. key)
  if file then
    local spec = read_entry(file, key, path)
    if spec then return spec, "cache" end
  end
  local spec, sources = parse()
  if not file then return spec, "parsed: " .. tostring(why) end
  -- Stored only when the file still has the content that was parsed.
  if key_of(path, opts) ~= key then return spec, "parsed: the file changed while it was read" end
  local deps = sources or {files = {}}
  local stored, werr = core.write_entry(file, {key = key, spec = spec, deps = deps})
  core.prune(dir, M.MAX_ENTRIES, M.MAX_BYTES)
  return spec, stored and "parsed" or "parsed: " .. tostring(werr)
end

return M
