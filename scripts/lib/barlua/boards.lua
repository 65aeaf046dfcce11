-- barlua.boards: names for the boards of a lab machine, so one script runs on every machine.
--
--   /etc/barlua/boards.lua, then $XDG_CONFIG_HOME/barlua/boards.lua (default ~/.config/...):
--   a name in the later file wins. BARLUA_BOARDS=PATH replaces both. A file returns
--   { NAME = filter, ... }: a pci.devices filter plus serial= (the Device Serial Number,
--   16 hex digits, read from the DSN extended capability, id 0x0003, of the sysfs config file).
--
-- A boards file is code that barlua (often root) runs: it is loaded only when it is a regular
-- file owned by root or by the user running barlua and not writable by group or others, in an
-- environment without io, os, require, load or debug, with a bounded number of instructions.
local sys = require("barlua.sys")

local M = {}

local FILTER_KEYS = {
  addr = "string", vendor = "integer", device = "integer", subvendor = "integer",
  subdevice = "integer", class = "integer", driver = "string|false", serial = "string",
}
local MAX_INSTRUCTIONS = 10000000

local loaded -- { names = {NAME = filter}, sources = {NAME = path}, files = {paths read} }

-- The boards files to read, in order (later wins).
function M.files()
  local env = os.getenv("BARLUA_BOARDS")
  if env and env ~= "" then return { env }, true end
  local files = { "/etc/barlua/boards.lua" }
  local xdg = os.getenv("XDG_CONFIG_HOME")
  if not xdg or xdg == "" or xdg:sub(1, 1) ~= "/" then
    local home = os.getenv("HOME")
    xdg = (home and home ~= "") and (home .. "/.config") or nil
  end
  if xdg then files[#files + 1] = xdg .. "/barlua/boards.lua" end
  return files, false
end

-- A Device Serial Number as written in a boards file ("0011223344556677", with or without
-- dashes or colons as lspci prints it) -> 16 lowercase hex digits, or nil.
function M.normalize_serial(s)
  if type(s) ~= "string" then return nil end
  local hex = s:gsub("[-:]", ""):lower()
  if #hex ~= 16 or hex:find("[^0-9a-f]") then return nil end
  return hex
end

-- The line of `text` where board `name` is defined (best effort), for messages.
local function line_of(text, name)
  local n = 0
  for line in (text .. "\n"):gmatch("(.-)\n") do
    n = n + 1
    local esc = name:gsub("%p", "%%%0")
    if line:find("^%s*" .. esc .. "%s*=") or line:find("%[%s*[\"']" .. esc .. "[\"']%s*%]%s*=") then
      return n
    end
  end
  return nil
end

local function where(path, text, name)
  local line = text and line_of(text, name)
  return line and (path .. ":" .. line) or path
end

local function check_filter(path, text, name, filter)
  if type(name) ~= "string" or not name:find("^[%w_.%-]+$") then
    error(string.format("%s: board name %s must be a string of letters, digits, '_', '.', '-'",
      path, type(name) == "string" and string.format("%q", name) or tostring(name)), 0)
  end
  local at = where(path, text, name)
  if type(filter) ~= "table" then
    error(string.format("%s: board %q: its filter must be a table, got %s", at, name,
      type(filter)), 0)
  end
  local copy = {}
  for k, v in pairs(filter) do
    local want = FILTER_KEYS[k]
    if not want then
      error(string.format("%s: board %q: unknown key %s (allowed: addr, vendor, device, "
        .. "subvendor, subdevice, class, driver, serial)", at, name, tostring(k)), 0)
    end
    local ok = (want == "integer" and math.type(v) == "integer")
      or (want == "string" and type(v) == "string")
      or (want == "string|false" and (type(v) == "string" or v == false))
    if not ok then
      error(string.format("%s: board %q: %s must be %s, got %s", at, name, k,
        want == "string|false" and "a string or false" or ("a" .. (want == "integer" and "n " or " ")
          .. want), type(v)), 0)
    end
    if k == "serial" then
      local s = M.normalize_serial(v)
      if not s then
        error(string.format("%s: board %q: serial %q is not a Device Serial Number "
          .. "(16 hex digits, e.g. \"0123456789abcdef\")", at, name, v), 0)
      end
      v = s
    end
    copy[k] = v
  end
  return copy
end

local function sandbox()
  local env = {}
  for _, k in ipairs({ "assert", "error", "ipairs", "next", "pairs", "pcall", "select",
    "tonumber", "tostring", "type", "xpcall", "rawequal", "rawget", "rawlen", "rawset",
    "setmetatable", "getmetatable" }) do
    env[k] = _G[k]
  end
  for _, lib in ipairs({ "string", "table", "math", "utf8" }) do
    local copy = {}
    for k, v in pairs(_G[lib]) do copy[k] = v end
    env[lib] = copy
  end
  env._G = env
  return env
end

-- Why `path` may not be loaded (nil when it may): owner, mode, type.
function M.unsafe(path)
  local st, e = sys.stat(path)
  if not st then return nil, e end
  if st.type ~= "file" then return string.format("%s is a %s, not a regular file", path, st.type) end
  local ids = sys.ids()
  if st.uid ~= 0 and st.uid ~= ids.euid and st.uid ~= ids.uid then
    return string.format("%s is owned by uid %d, neither root nor you (uid %d): "
      .. "chown root or your user", path, st.uid, ids.euid)
  end
  if st.mode & 18 ~= 0 then -- 0o022
    return string.format("%s is writable by %s (mode %04o): chmod go-w %s", path,
      (st.mode & 16 ~= 0 and st.mode & 2 ~= 0) and "group and others"
        or (st.mode & 16 ~= 0 and "its group" or "others"), st.mode, path)
  end
  return nil
end

-- Loads one boards file -> {NAME = filter}; errors name the file (and line).
function M.load_file(path)
  local bad, missing = M.unsafe(path)
  if bad then error("barlua.boards: refusing to load " .. bad, 0) end
  if missing then return nil, missing end
  local f, e = io.open(path, "rb")
  if not f then return nil, e end
  local text = f:read(1048576 + 1)
  f:close()
  text = text or ""
  if #text > 1048576 then error("barlua.boards: " .. path .. " is larger than 1 MiB", 0) end
  -- Lua shortens a long chunk name ("...rest/of/path"): load under a short one and put the
  -- whole path back into the messages.
  local function named(msg)
    msg = tostring(msg)
    if msg:sub(1, 7) == "BOARDS:" then msg = path .. msg:sub(7) end
    return msg
  end
  local chunk, cerr = load(text, "=BOARDS", "t", sandbox())
  if not chunk then error("barlua.boards: " .. named(cerr), 0) end
  local co = coroutine.create(chunk)
  debug.sethook(co, function()
    error(path .. ": ran more than " .. MAX_INSTRUCTIONS .. " instructions (a loop?)", 0)
  end, "", MAX_INSTRUCTIONS)
  local ok, result = coroutine.resume(co)
  if not ok then error("barlua.boards: " .. named(result), 0) end
  if type(result) ~= "table" then
    error(string.format("barlua.boards: %s: the file must return a table {NAME = filter, ...}, "
      .. "got %s", path, type(result)), 0)
  end
  local boards = {}
  for name, filter in pairs(result) do boards[name] = check_filter(path, text, name, filter) end
  return boards
end

-- Reads `files` in order (a name in a later file wins) -> {names=, sources=, files=}.
function M._load(files, explicit)
  local l = { names = {}, sources = {}, files = {} }
  for _, path in ipairs(files) do
    local boards, e = M.load_file(path)
    if boards then
      l.files[#l.files + 1] = path
      for name, filter in pairs(boards) do
        l.names[name], l.sources[name] = filter, path
      end
    elseif explicit then
      error("barlua.boards: BARLUA_BOARDS names " .. tostring(e)
        .. ": point it at a readable boards file or unset it", 0)
    end
  end
  return l
end

local function load_all()
  if not loaded then loaded = M._load(M.files()) end
  return loaded
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- boards.find(name) -> a copy of the filter, or nil. (Second result: the file it came from.)
function M.find(name)
  if type(name) ~= "string" then
    error("boards.find: the board name must be a string, got " .. type(name), 2)
  end
  local l = load_all()
  local f = l.names[name]
  if not f then return nil end
  return copy(f), l.sources[name]
end

-- boards.list() -> the names, sorted.
function M.list()
  local names = {}
  for name in pairs(load_all().names) do names[#names + 1] = name end
  table.sort(names)
  return names
end

-- The files read (for messages and barlua-doctor).
function M.sources()
  local l = load_all()
  return copy(l.files)
end

-- Forget what was loaded (tests; a script that changed BARLUA_BOARDS cannot: it is read once).
function M.reload() loaded = nil end

-- The Device Serial Number of `addr`, or nil and why not, through pci.serial (the one reader:
-- BarluaCore's config-space walk over the sysfs config file).
function M.read_serial(addr)
  local ok, got = pcall(pci.serial, addr)
  if not ok then return nil, tostring(got) end
  if got then return got end
  -- nil: say why when the extended space (where the DSN capability lives) was not readable.
  local opened, config = pcall(pci.config, addr)
  if opened then
    local size = config.size
    config:close()
    if size < 0x104 then
      return nil, string.format("%s: only %d bytes of config space readable (the extended configuration "
        .. "space needs root)", addr, size)
    end
  end
  return nil, "no Device Serial Number"
end

-- A filter (board name resolved) as text for messages.
function M.describe(filter)
  local keys = {}
  for k in pairs(filter) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = filter[k]
    local s = math.type(v) == "integer" and string.format("0x%x", v)
      or (type(v) == "string" and string.format("%q", v) or tostring(v))
    parts[#parts + 1] = k .. "=" .. s
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- Resolves `board=` and `serial=` in `filter` -> the devices (through `devices`, the Swift
-- pci.devices), the resolved filter, and notes on serials that could not be read.
function M.resolve(fname, devices, filter, level)
  local f = copy(filter)
  local board = f.board
  f.board = nil
  if board ~= nil then
    if type(board) ~= "string" then
      error(string.format("%s: board must be a board name (string), got %s", fname, type(board)),
        level + 1)
    end
    local bf, _ = M.find(board)
    if not bf then
      local srcs = M.sources()
      error(string.format("%s: no board %q in %s", fname, board,
        #srcs > 0 and table.concat(srcs, ", ") or ("any boards file (" .. table.concat(M.files(),
          ", ") .. ")")), level + 1)
    end
    for k, v in pairs(bf) do
      if f[k] ~= nil and f[k] ~= v then
        error(string.format("%s: %s=%s contradicts board %q's %s", fname, k, tostring(f[k]), board,
          k), level + 1)
      end
      f[k] = v
    end
  end
  local serial = f.serial
  f.serial = nil
  if serial ~= nil then
    local s = M.normalize_serial(serial)
    if not s then
      error(string.format("%s: serial %s is not a Device Serial Number (16 hex digits)", fname,
        type(serial) == "string" and string.format("%q", serial) or type(serial)), level + 1)
    end
    serial = s
  end
  local ok, list = pcall(devices, f)
  if not ok then
    -- (pci.devices through board_filter positions its errors at its caller, here: drop that)
    error((tostring(list):gsub("^%[barlua%][^:]*:%d+: ", "")), level + 1)
  end
  if not serial then return list, f end
  local found, notes = {}, {}
  for _, d in ipairs(list) do
    local got, why = M.read_serial(d.addr)
    if got == serial then
      found[#found + 1] = d
    elseif not got then
      notes[#notes + 1] = d.addr .. ": " .. tostring(why)
    end
  end
  f.serial = serial
  return found, f, notes
end

-- pci.devices{board=, serial=, ...} (through board_filter's call(), which positions errors)
function M._devices(fname, devices, filter)
  local list = M.resolve(fname, devices, filter, -1)
  return list
end

-- vfio.open{board=, ...}: exactly one device.
function M._single(fname, devices, filter)
  local list, f, notes = M.resolve(fname, devices, filter, -1)
  local label = filter.board ~= nil and string.format("board %q %s", filter.board, M.describe(f))
    or M.describe(f)
  if #list == 0 then
    local why = (notes and #notes > 0) and (" (serial unreadable: " .. table.concat(notes, "; ")
      .. ")") or ""
    error(string.format("%s: no device matches %s%s", fname, label, why), 0)
  elseif #list > 1 then
    local addrs = {}
    for i, d in ipairs(list) do addrs[i] = d.addr end
    error(string.format("%s: %s matches %d devices: %s; add addr= or serial= to tell them apart",
      fname, label, #list, table.concat(addrs, ", ")), 0)
  end
  return list[1]
end

return M
