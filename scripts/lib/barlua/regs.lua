-- barlua.regs: describe a device's registers once, use them by name on any bar.
--
--   local regs = require "barlua.regs"
--   local map = regs.define{
--     name = "edu", size = 0x100000,                 -- size: optional, the BAR size expected
--     registers = {
--       {name = "id", offset = 0x00, width = 32, access = "ro",
--        fields = {major = {lsb = 24, msb = 31}, minor = {lsb = 16, msb = 23}}},
--       {name = "status", offset = 0x20, width = 32, access = "rw",
--        fields = {computing = {bit = 0, access = "ro"}, irq_enable = {bit = 7}}},
--     },
--   }
--   local edu = regs.bind(bar, map)
--   edu.liveness = 5             -- one write32 to 0x04
--   print(edu.id)                -- a register without fields reads as an integer
--   edu.status.irq_enable        -- a register with fields is a view: reading a field reads it
--   edu.status.irq_enable = 1    -- read-modify-write of status (rw); wo: the shadow, below
--   edu.status.value             -- the whole register; edu.status:get() all fields, one read
--   edu.status:set{irq_enable = 1, ...}   -- several fields in one read-modify-write ({}: no access)
--   regs.dump(edu)               -- every readable register in hex (printed and returned)
--
-- Write-only registers cannot be read back, so a field write on one starts from the shadow:
-- the last value written through this binding (the register's `reset`, default 0, before).
-- Registers marked `side_effects = true` (reading changes the device, e.g. clears a status)
-- are left out of dump.
local M = {}

local WIDTHS = {[8] = true, [16] = true, [32] = true, [64] = true}
local ACCESS = {ro = true, rw = true, wo = true}
local MAP_KEYS = {name = true, size = true, bar = true, vendor = true, device = true,
  doc = true, registers = true, skipped = true, warnings = true}
local REG_KEYS = {name = true, offset = true, width = true, access = true, fields = true,
  reset = true, side_effects = true, doc = true, origin = true}
local FIELD_KEYS = {bit = true, width = true, lsb = true, msb = true, access = true, doc = true,
  origin = true, alias = true}
-- Names a register view answers itself, so no field may take them.
local VIEW_NAMES = {value = true, get = true, set = true}

local Map = {}
Map.__index = Map
Map.__name = "barlua.regs map"

local function hex(v) return string.format("0x%x", v) end

-- A definition mistake (re-raised by define with its position).
local function bad(fmt, ...) error(string.format(fmt, ...), 0) end

-- An access mistake, blamed on the function `level` frames above the caller of fail.
local function fail(level, fmt, ...) error(string.format(fmt, ...), level + 1) end

local function mask_of(width) return width == 64 and -1 or (1 << width) - 1 end

-- Levenshtein distance, for "did you mean".
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = {[0] = i}
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

-- "; did you mean 'x'? known: a, b, c"
local function suggest(name, known)
  local best, bestd
  local limit = math.max(2, #name // 3)
  for _, k in ipairs(known) do
    local a, b = name:lower(), k:lower()
    local d = distance(a, b)
    -- Names that begin alike (3 letters or more: "regs", "registers") count as close, after
    -- the truly close ones.
    if #a >= 3 and a:sub(1, 3) == b:sub(1, 3) then d = math.min(d, limit) end
    -- Among equally close names, one that contains the given letters in order ("dma_cnt" in
    -- "dma_count") wins.
    if b:find(a:gsub("%p", "%%%0"):gsub("(%%?.)", "%1.-"), 1) then d = d - 0.5 end
    if not bestd or d < bestd then best, bestd = k, d end
  end
  local s = ""
  if best and bestd <= limit then s = "; did you mean '" .. best .. "'?" end
  return s .. " known: " .. table.concat(known, ", ")
end

local function check_keys(t, allowed, what)
  for k in pairs(t) do
    if not allowed[k] then
      local known = {}
      for a in pairs(allowed) do known[#known + 1] = a end
      table.sort(known)
      error(string.format("%s: unknown key '%s'%s", what, tostring(k),
        suggest(tostring(k), known)), 0)
    end
  end
end

-- Names are non-empty strings of printable characters; one that is not a Lua identifier
-- (loaded maps have "timer1.control", "lane[3]", "Reg Name") is reached as r["timer1.control"].
local function check_name(n, what)
  if type(n) ~= "string" or n == "" or n:find("[%c]") or #n > 1024 then
    error(string.format("%s: name must be a non-empty string of printable characters, got %s", what,
      type(n) == "string" and string.format("%q", n) or type(n)), 0)
  end
end

-- A field as {name, lsb, width, access}; lsb/msb or bit[/width] inside the register's width.
local function define_field(reg, fname, f)
  local what = string.format("register '%s' field '%s'", reg.name, tostring(fname))
  check_name(fname, what)
  if VIEW_NAMES[fname] then
    error(what .. ": the name is reserved for the register view (value, get, set)", 0)
  end
  if type(f) ~= "table" then
    bad("%s: must be a table like {bit = 3} or {lsb = 0, msb = 7}", what)
  end
  check_keys(f, FIELD_KEYS, what)
  local lsb, width
  if f.bit ~= nil then
    if f.lsb ~= nil or f.msb ~= nil then bad("%s: give bit[/width] or lsb/msb, not both", what) end
    lsb, width = f.bit, f.width == nil and 1 or f.width
  elseif f.lsb ~= nil or f.msb ~= nil then
    if f.width ~= nil then error(what .. ": width goes with bit, not with lsb/msb", 0) end
    if math.type(f.lsb) ~= "integer" or math.type(f.msb) ~= "integer" then
      error(what .. ": lsb and msb must both be integers", 0)
    end
    if f.msb < f.lsb then bad("%s: msb %d is below lsb %d", what, f.msb, f.lsb) end
    lsb, width = f.lsb, f.msb - f.lsb + 1
  else
    error(what .. ": needs bit (and optional width) or lsb and msb", 0)
  end
  if math.type(lsb) ~= "integer" or lsb < 0 then
    bad("%s: bit must be a non-negative integer", what)
  end
  if math.type(width) ~= "integer" or width < 1 then
    bad("%s: width must be a positive integer", what)
  end
  -- Compared without adding: lsb + width overflows for lsb near math.maxinteger.
  if lsb >= reg.width or width > reg.width - lsb then
    if lsb >= reg.width then
      bad("%s: bit %d is outside the %d-bit register (bits 0..%d)", what, lsb, reg.width, reg.width - 1)
    end
    if width > reg.width then
      bad("%s: width %d is wider than the %d-bit register", what, width, reg.width)
    end
    error(string.format("%s: bits %d..%d do not fit in the %d-bit register", what, lsb,
      lsb + width - 1, reg.width), 0)
  end
  local access = f.access or reg.access
  if not ACCESS[access] then
    bad("%s: access must be 'ro', 'rw' or 'wo', got %s", what, tostring(access))
  end
  if access ~= reg.access and reg.access ~= "rw" then
    bad("%s: access '%s' is not possible in a '%s' register", what, access, reg.access)
  end
  -- alias: the field this one is another name of ("reg.field", as IP-XACT 2022 aliasOf):
  -- it may share exactly that field's bits when both are in this register.
  if f.alias ~= nil and (type(f.alias) ~= "string" or not f.alias:find(".", 1, true)) then
    bad("%s: alias must name a field as 'register.field', got %s", what, tostring(f.alias))
  end
  return {name = fname, lsb = lsb, width = width, access = access, alias = f.alias}
end

local function define_register(map, r, i)
  local what = string.format("%s register %d", map.name, i)
  if type(r) ~= "table" then
    bad("%s: must be a table {name =, offset =, width =, access =}", what)
  end
  check_name(r.name, what)
  what = string.format("%s register '%s'", map.name, r.name)
  check_keys(r, REG_KEYS, what)
  if math.type(r.offset) ~= "integer" or r.offset < 0 then
    error(what .. ": offset must be a non-negative integer, got " .. tostring(r.offset), 0)
  end
  -- An integer: a float 32.0 indexes WIDTHS like 32 but would make "read32.0".
  if math.type(r.width) ~= "integer" or not WIDTHS[r.width] then
    bad("%s: width must be the integer 8, 16, 32 or 64, got %s", what,
      math.type(r.width) == "float" and string.format("%s (a float)", r.width) or tostring(r.width))
  end
  local bytes = r.width // 8
  if r.offset % bytes ~= 0 then
    bad("%s: offset %s is not %d-byte aligned (width %d)", what, hex(r.offset), bytes, r.width)
  end
  -- offset + bytes must not overflow (every later check and the extent add them).
  if r.offset > math.maxinteger - bytes then
    bad("%s: offset %s + %d bytes is beyond any bar (the largest offset is %s)", what, hex(r.offset),
      bytes, hex(math.maxinteger - bytes))
  end
  if map.size and r.offset + bytes > map.size then
    bad("%s: offset %s + %d exceeds the map size %s", what, hex(r.offset), bytes, hex(map.size))
  end
  if not ACCESS[r.access] then
    error(what .. ": access must be 'ro', 'rw' or 'wo', got " .. tostring(r.access), 0)
  end
  local reg = {name = r.name, offset = r.offset, width = r.width, bytes = bytes, access = r.access,
    side_effects = r.side_effects and true or false, reset = r.reset or 0}
  local reset = reg.reset
  if math.type(reset) ~= "integer" or (r.width < 64 and (reset < 0 or reset > mask_of(r.width))) then
    bad("%s: reset %s does not fit in %d bits", what, tostring(r.reset), r.width)
  end
  if r.fields ~= nil then
    if type(r.fields) ~= "table" then
      bad("%s: fields must be a table of name = {bit =} or {lsb =, msb =}", what)
    end
    reg.fields, reg.field_names = {}, {}
    for fname, f in pairs(r.fields) do
      local fd = define_field(reg, fname, f)
      reg.fields[fname] = fd
      reg.field_names[#reg.field_names + 1] = fname
    end
    table.sort(reg.field_names, function(a, b) return reg.fields[a].lsb < reg.fields[b].lsb end)
    -- Fields may not share bits, except an alias and the field it names (same bits).
    local own = reg.name .. "."
    local function aliased(x, y)
      return x.alias == own .. y.name and x.lsb == y.lsb and x.width == y.width
    end
    local names = {}
    for _, n in ipairs(reg.field_names) do
      local fd = reg.fields[n]
      if not (fd.alias and fd.alias:sub(1, #own) == own and reg.fields[fd.alias:sub(#own + 1)]) then
        names[#names + 1] = n
      end
    end
    for k = 2, #names do
      local a, b = reg.fields[names[k - 1]], reg.fields[names[k]]
      if a.lsb + a.width > b.lsb then
        error(string.format("%s: fields '%s' and '%s' overlap", what, a.name, b.name), 0)
      end
    end
    for _, n in ipairs(reg.field_names) do
      local fd = reg.fields[n]
      local target = fd.alias and fd.alias:sub(1, #own) == own and reg.fields[fd.alias:sub(#own + 1)]
      if target and not aliased(fd, target) then
        -- An alias placed elsewhere in its own register must not overlap another field.
        for _, m in ipairs(names) do
          local o = reg.fields[m]
          if fd.lsb < o.lsb + o.width and o.lsb < fd.lsb + fd.width then
            error(string.format("%s: fields '%s' and '%s' overlap", what, fd.name, o.name), 0)
          end
        end
      end
    end
  end
  return reg
end

-- Registers may share bytes only as a read-only / write-only pair (one address, two meanings).
local function check_overlaps(map)
  local list = {}
  for _, r in ipairs(map.registers) do list[#list + 1] = r end
  table.sort(list, function(a, b) return a.offset < b.offset end)
  for i = 1, #list do
    for j = i + 1, #list do
      local a, b = list[i], list[j]
      if b.offset >= a.offset + a.bytes then break end
      local pair = (a.access == "ro" and b.access == "wo")
        or (a.access == "wo" and b.access == "ro")
      if not pair then
        error(string.format("%s registers '%s' (%s, %d bytes) and '%s' (%s) overlap", map.name, a.name,
          hex(a.offset), a.bytes, b.name, hex(b.offset)), 0)
      end
    end
  end
end

-- regs.define{name =, registers = {...}[, size =][, bar =][, vendor =][, device =]} -> map
function M.define(spec)
  local ok, res = pcall(function()
    if type(spec) ~= "table" then bad("the map must be a table {name =, registers = {...}}") end
    check_name(spec.name, "map")
    check_keys(spec, MAP_KEYS, "map '" .. spec.name .. "'")
    if spec.size ~= nil and (math.type(spec.size) ~= "integer" or spec.size <= 0) then
      bad("map '%s': size must be a positive integer, got %s", spec.name, tostring(spec.size))
    end
    if type(spec.registers) ~= "table" or #spec.registers == 0 then
      error(string.format("map '%s': registers must be a non-empty list", spec.name), 0)
    end
    local map = setmetatable({name = spec.name, size = spec.size, bar = spec.bar,
      vendor = spec.vendor, device = spec.device, doc = spec.doc,
      registers = {}, by_name = {}, names = {}}, Map)
    for i, r in ipairs(spec.registers) do
      local reg = define_register(map, r, i)
      if map.by_name[reg.name] then
        error(string.format("%s register '%s' is defined twice", map.name, reg.name), 0)
      end
      map.registers[i], map.by_name[reg.name], map.names[i] = reg, reg, reg.name
    end
    -- An alias names a field of the map: where that register is in it, the field must be
    -- there and as wide (a register of a block not loaded, {block =}, stays a name).
    for _, reg in ipairs(map.registers) do
      for _, fd in pairs(reg.fields or {}) do
        local rname, fname = (fd.alias or ""):match("^(.*)%.([^.]*)$")
        local target = rname and map.by_name[rname]
        if target and not (target.fields and target.fields[fname] and target.fields[fname].width == fd.width) then
          bad("%s register '%s' field '%s': alias '%s' names no field of that width", map.name, reg.name, fd.name,
            fd.alias)
        end
      end
    end
    check_overlaps(map)
    map.extent = 0
    for _, r in ipairs(map.registers) do map.extent = math.max(map.extent, r.offset + r.bytes) end
    return map
  end)
  if not ok then error("regs.define: " .. tostring(res), 2) end
  return res
end

function Map:__tostring()
  return string.format("register map %s (%d registers)", self.name, #self.registers)
end

-- The state of one binding, kept out of the bound table so every name is free for registers.
local state = setmetatable({}, {__mode = "k"})

local Bound = {__name = "barlua.regs binding"}

local function lookup(b, name, level)
  local s = state[b]
  local reg = type(name) == "string" and s.map.by_name[name]
  if not reg then
    error(string.format("%s has no register '%s'%s", s.map.name, tostring(name),
      suggest(tostring(name), s.map.names)), level + 1)
  end
  return s, reg
end

-- A bar error (bus error, unmapped bar) is raised again at the user's line, naming the register:
-- C functions add no position, so without this the traceback would start inside regs.lua.
local function bar_failed(s, reg, err, level)
  error(string.format("%s.%s (%s): %s", s.map.name, reg.name, hex(reg.offset), tostring(err)), level + 1)
end

local function read_reg(s, reg, level)
  if reg.access == "wo" then
    fail(level + 1, "%s.%s (%s) is write-only: it cannot be read", s.map.name, reg.name,
      hex(reg.offset))
  end
  local bar = s.bar
  local ok, v = pcall(bar[s.readers[reg.width]], bar, reg.offset)
  if not ok then bar_failed(s, reg, v, level + 1) end
  return v
end

local function write_reg(s, reg, value, level)
  if reg.access == "ro" then
    fail(level + 1, "%s.%s (%s) is read-only: it cannot be written", s.map.name, reg.name,
      hex(reg.offset))
  end
  if math.type(value) ~= "integer" then
    error(string.format("%s.%s: value must be an integer, got %s", s.map.name, reg.name,
      math.type(value) or type(value)), level + 1)
  end
  if reg.width < 64 and (value > mask_of(reg.width) or value < -(1 << (reg.width - 1))) then
    error(string.format("%s.%s: value %s does not fit in %d bits (max %s)", s.map.name, reg.name,
      hex(value), reg.width, hex(mask_of(reg.width))), level + 1)
  end
  local bar = s.bar
  local ok, err = pcall(bar[s.writers[reg.width]], bar, reg.offset, value)
  if not ok then bar_failed(s, reg, err, level + 1) end
  s.shadow[reg.name] = value & mask_of(reg.width)
end

-- The view of a register with fields.
local View = {__name = "barlua.regs register"}
local views = setmetatable({}, {__mode = "k"})

local function field_of(v, name, level)
  local s, reg = v.s, v.reg
  local f = type(name) == "string" and reg.fields[name]
  if not f then
    error(string.format("%s.%s has no field '%s'%s", s.map.name, reg.name, tostring(name),
      suggest(tostring(name), reg.field_names)), level + 1)
  end
  return f
end

local function extract(value, f) return (value >> f.lsb) & mask_of(f.width) end

-- One write of `reg` with the fields in `values` replaced: read-modify-write for rw registers,
-- the shadow for write-only ones.
local function set_fields(v, values, level)
  local s, reg = v.s, v.reg
  if reg.access == "ro" then
    error(string.format("%s.%s (%s) is read-only: its fields cannot be written", s.map.name, reg.name,
      hex(reg.offset)), level + 1)
  end
  local checked = {}
  for name, value in pairs(values) do
    local f = field_of(v, name, level + 1)
    if f.access == "ro" then
      fail(level + 1, "%s.%s.%s is read-only: it cannot be written", s.map.name, reg.name, name)
    end
    if math.type(value) ~= "integer" then
      error(string.format("%s.%s.%s: value must be an integer, got %s", s.map.name, reg.name, name,
        math.type(value) or type(value)), level + 1)
    end
    if value < 0 or (f.width < 64 and value > mask_of(f.width)) then
      error(string.format("%s.%s.%s: value %s does not fit the %d-bit field (bits %d..%d, max %s)",
        s.map.name, reg.name, name, value < 0 and tostring(value) or hex(value), f.width, f.lsb,
        f.lsb + f.width - 1, hex(mask_of(f.width))), level + 1)
    end
    checked[#checked + 1] = {f, value}
  end
  local current
  if reg.access == "wo" then
    current = s.shadow[reg.name] or reg.reset
  else
    current = read_reg(s, reg, level + 1)
  end
  for _, fv in ipairs(checked) do
    local f, value = fv[1], fv[2]
    local m = mask_of(f.width) << f.lsb
    current = (current & ~m) | (value << f.lsb)
  end
  write_reg(s, reg, current & mask_of(reg.width), level + 1)
end

local view_methods = {}

-- `r.status.get()` (a dot, not a colon) passes no view: say so at the user's line.
local function view_arg(v, method)
  local view = views[v]
  if not view then
    error(string.format("regs: %s must be called with a colon: r.REGISTER:%s(%s)", method, method,
      method == "set" and "{field = value, ...}" or ""), 3)
  end
  return view
end

-- All fields (and `value`) from one read.
function view_methods.get(v)
  v = view_arg(v, "get")
  local value = read_reg(v.s, v.reg, 2)
  local t = {value = value}
  for name, f in pairs(v.reg.fields) do t[name] = extract(value, f) end
  return t
end

function view_methods.set(v, values)
  v = view_arg(v, "set")
  if type(values) ~= "table" then
    fail(2, "%s.%s:set: argument must be a table of field = value", v.s.map.name, v.reg.name)
  end
  -- No fields, no access: a read-modify-write that changes nothing is still two accesses (and a
  -- write of the shadow on a write-only register).
  if next(values) == nil then return end
  set_fields(v, values, 2)
end

function View.__index(view, name)
  local v = views[view]
  -- No tail calls to the raising helpers: their error level counts this frame.
  if name == "value" then
    local value = read_reg(v.s, v.reg, 2)
    return value
  end
  if name == "get" or name == "set" then return view_methods[name] end
  local f = field_of(v, name, 2)
  if f.access == "wo" then
    fail(2, "%s.%s.%s is write-only: it cannot be read", v.s.map.name, v.reg.name, name)
  end
  return extract(read_reg(v.s, v.reg, 2), f)
end

function View.__newindex(view, name, value)
  local v = views[view]
  if name == "value" then
    write_reg(v.s, v.reg, value, 2)
  else
    set_fields(v, {[name] = value}, 2)
  end
end

local function format_fields(reg, value)
  local parts = {}
  for _, name in ipairs(reg.field_names) do
    local f = reg.fields[name]
    if f.access ~= "wo" then parts[#parts + 1] = name .. "=" .. hex(extract(value, f)) end
  end
  return table.concat(parts, " ")
end

function View.__tostring(view)
  local v = views[view]
  -- Called through tostring/print (a C frame): blame the frame above that.
  local value = read_reg(v.s, v.reg, 3)
  local digits = v.reg.width // 4
  return string.format("%s.%s = 0x%0" .. digits .. "x {%s}", v.s.map.name, v.reg.name, value,
    format_fields(v.reg, value))
end

function Bound.__index(b, name)
  local s, reg = lookup(b, name, 2)
  if reg.fields then
    local view = s.views[name]
    if not view then
      view = setmetatable({}, View)
      views[view] = {s = s, reg = reg}
      s.views[name] = view
    end
    return view
  end
  local value = read_reg(s, reg, 2)
  return value
end

function Bound.__newindex(b, name, value)
  local s, reg = lookup(b, name, 2)
  write_reg(s, reg, value, 2)
end

function Bound.__tostring(b)
  local s = state[b]
  return string.format("%s registers on %s", s.map.name, tostring(s.bar))
end

-- REPL completion (barlua.repl): the names after `r.` of a binding (its registers) and after
-- `r.reg.` of a register view (its fields, value, get, set); `r.reg` steps to the view. Never
-- reads the device: a view is made without a read, a register without fields ends the path.
function Bound.__complete(b, name)
  local s = state[b]
  if name == nil then
    local t = {}
    for _, n in ipairs(s.map.names) do t[n] = true end
    return t
  end
  local reg = s.map.by_name[name]
  if reg and reg.fields then return Bound.__index(b, name) end
  return nil
end

function View.__complete(view, name)
  if name ~= nil then return nil end
  local v = views[view]
  local t = {value = true, get = view_methods.get, set = view_methods.set}
  for _, f in ipairs(v.reg.field_names) do t[f] = true end
  return t
end

-- regs.bind(bar, map) -> the registers of `map` by name on `bar`.
function M.bind(bar, map)
  if getmetatable(map) ~= Map then
    error("regs.bind: argument 2 must be a register map from regs.define, got " .. type(map), 2)
  end
  local ok, size = pcall(function() return bar.size end)
  if not ok or math.type(size) ~= "integer" or type(bar.read32) ~= "function" then
    fail(2, "regs.bind: argument 1 must be a bar (from device:map, pci.map or mmio.map), got %s",
      type(bar))
  end
  if map.extent > size then
    local last
    for _, r in ipairs(map.registers) do
      if r.offset + r.bytes > size and (not last or r.offset > last.offset) then last = r end
    end
    error(string.format("regs.bind: %s register '%s' at %s + %d exceeds the bar size %s (%s)", map.name,
      last.name, hex(last.offset), last.bytes, hex(size), tostring(bar)), 2)
  end
  -- The map's size is the bar size it was written for: a smaller bar is the wrong bar.
  if map.size and map.size > size then
    error(string.format("regs.bind: map %s expects a bar of %s bytes, %s has %s: is this the right "
      .. "device and BAR?", map.name, hex(map.size), tostring(bar), hex(size)), 2)
  end
  local b = setmetatable({}, Bound)
  state[b] = {bar = bar, map = map, shadow = {}, views = {},
    readers = {[8] = "read8", [16] = "read16", [32] = "read32", [64] = "read64"},
    writers = {[8] = "write8", [16] = "write16", [32] = "write32", [64] = "write64"}}
  return b
end

-- regs.load(path[, {map =, block =, cache =}]) -> the definition table of an IP-XACT
-- component's memory map (see barlua.ipxact), ready for regs.define. The compiled form is
-- cached by content (barlua.regs_cache); cache = false parses the file every time.
function M.load(path, opts)
  if type(path) ~= "string" then
    error("regs.load: argument 1 must be the path of an IP-XACT file, got " .. type(path), 2)
  end
  if path:find("\0", 1, true) then error("regs.load: the path contains a NUL byte", 2) end
  local parse_opts, cache = {}, true
  if opts ~= nil then
    if type(opts) ~= "table" then
      error("regs.load: argument 2 must be a table {map =, block =, cache =}, got " .. type(opts), 2)
    end
    for k, v in pairs(opts) do
      if k == "cache" then
        if type(v) ~= "boolean" then
          error("regs.load: option cache must be true or false, got " .. type(v), 2)
        end
        cache = v
      elseif k == "map" or k == "block" then
        if type(v) ~= "string" then
          error(string.format("regs.load: option %s must be a name (string), got %s", k, type(v)), 2)
        end
        parse_opts[k] = v
      else
        error(string.format("regs.load: unknown option '%s' (known: map, block, cache)", tostring(k)), 2)
      end
    end
  end
  -- The loader makes a large tree that stays live until it returns: the collector waits for
  -- the heap to quadruple (not double) meanwhile, a fifth less time, memory still bounded.
  -- Returns the spec and the other files it was read from (2022 typeDefinitions documents).
  local function parse()
    local pause = collectgarbage("setpause", 400)
    local done, spec, sources = pcall(require("barlua.ipxact").load, path, parse_opts)
    collectgarbage("setpause", pause)
    if not done then error(spec, 0) end
    return spec, sources
  end
  local ok, res = pcall(function()
    if not cache then return (parse()) end
    return (require("barlua.regs_cache").load(path, parse_opts, parse))
  end)
  if not ok then error("regs.load: " .. tostring(res), 2) end
  return res
end

-- The map a binding uses.
function M.map_of(b)
  local s = state[b]
  if not s then error("regs.map_of: argument must be a binding from regs.bind", 2) end
  return s.map
end

-- ---- snapshots and diffs by name ----

-- The snapshot a binding took, by snapshot: its map (for field names in diffs).
local snapshot_map = setmetatable({}, {__mode = "k"})

-- Why a register is not read by snapshot (nil: it is read).
local function not_read(reg)
  if reg.access == "wo" then return "write-only" end
  if reg.side_effects then return "reading it has side effects" end
end

-- regs.snapshot(binding) -> {NAME = value, ...}, skipped: every register readable without side
-- effects, each read once, in the map's order; `skipped` lists the others
-- ({register =, why =}), which are never read.
function M.snapshot(b)
  local s = state[b]
  if not s then
    fail(2, "regs.snapshot: argument must be a binding from regs.bind, got %s", type(b))
  end
  local snap, skipped = {}, {}
  for _, reg in ipairs(s.map.registers) do
    local why = not_read(reg)
    if why then
      skipped[#skipped + 1] = {register = reg.name, why = why}
    else
      snap[reg.name] = read_reg(s, reg, 2)
    end
  end
  snapshot_map[snap] = s.map
  return snap, skipped
end

local function check_snapshot(t, fn, n)
  if type(t) ~= "table" then
    fail(3, "regs.%s: argument %d must be a snapshot (a table from regs.snapshot), got %s", fn, n,
      type(t))
  end
  for k, v in pairs(t) do
    if type(k) ~= "string" or math.type(v) ~= "integer" then
      fail(3, "regs.%s: argument %d is not a snapshot: entry %s = %s is not NAME = integer", fn, n,
        tostring(k), tostring(v))
    end
  end
end

-- regs.diff(a, b) -> {{register =, field =, before =, after =}, ...}: every register whose value
-- differs, one entry per changed field when the map of a snapshot taken by regs.snapshot gives
-- it fields (field = nil for a register without fields, or for bits outside every field); a
-- register in only one snapshot has before or after nil. In the map's order, else by name.
-- (Only two arguments: `regs.diff(a, regs.snapshot(r))` passes snapshot's second result too.)
function M.diff(a, b)
  check_snapshot(a, "diff", 1)
  check_snapshot(b, "diff", 2)
  local map = snapshot_map[a] or snapshot_map[b]
  local order, seen = {}, {}
  if map then
    for _, reg in ipairs(map.registers) do
      if (a[reg.name] ~= nil or b[reg.name] ~= nil) and not seen[reg.name] then
        order[#order + 1] = reg.name
        seen[reg.name] = true
      end
    end
  end
  local rest = {}
  for _, t in ipairs{a, b} do
    for name in pairs(t) do
      if not seen[name] then
        seen[name] = true
        rest[#rest + 1] = name
      end
    end
  end
  table.sort(rest)
  for _, name in ipairs(rest) do order[#order + 1] = name end
  local out = {}
  for _, name in ipairs(order) do
    local before, after = a[name], b[name]
    if before ~= after then
      local reg = map and map.by_name[name]
      if reg and reg.fields and before and after then
        local covered = 0
        for _, fname in ipairs(reg.field_names) do
          local f = reg.fields[fname]
          local fb, fa = extract(before, f), extract(after, f)
          covered = covered | (mask_of(f.width) << f.lsb)
          if fb ~= fa then out[#out + 1] = {register = name, field = fname, before = fb, after = fa} end
        end
        local rb, ra = before & ~covered, after & ~covered
        if rb ~= ra then out[#out + 1] = {register = name, before = rb, after = ra} end
      else
        out[#out + 1] = {register = name, before = before, after = after}
      end
    end
  end
  return out
end

-- regs.restore(binding, snapshot) -> written, skipped: writes back every register of the
-- snapshot that is read-write and now reads differently (each read once, then one write);
-- `written` names them in the map's order, `skipped` lists what was not written and why.
function M.restore(b, snap)
  local s = state[b]
  if not s then
    fail(2, "regs.restore: argument 1 must be a binding from regs.bind, got %s", type(b))
  end
  check_snapshot(snap, "restore", 2)
  local written, skipped = {}, {}
  local known = {}
  for _, reg in ipairs(s.map.registers) do
    local want = snap[reg.name]
    known[reg.name] = true
    if want ~= nil then
      if reg.access ~= "rw" then
        skipped[#skipped + 1] = {register = reg.name, why = reg.access == "ro" and "read-only" or "write-only"}
      elseif reg.side_effects then
        skipped[#skipped + 1] = {register = reg.name, why = "reading it has side effects"}
      elseif read_reg(s, reg, 2) ~= want then
        write_reg(s, reg, want, 2)
        written[#written + 1] = reg.name
      end
    end
  end
  local unknown = {}
  for name in pairs(snap) do
    if not known[name] then unknown[#unknown + 1] = name end
  end
  table.sort(unknown)
  for _, name in ipairs(unknown) do
    skipped[#skipped + 1] = {register = name, why = "not in map " .. s.map.name}
  end
  return written, skipped
end

-- regs.mmiotrace(text[, {base =, limit =}]) -> a trace (see barlua.trace).
function M.mmiotrace(text, opts)
  local trace = require("barlua.trace").mmiotrace(text, opts)
  return trace -- not a tail call: the errors blame the caller's line (level 3)
end

-- Every readable register of a binding in hex, one a line; printed and returned.
function M.dump(b)
  local s = state[b]
  if not s then fail(2, "regs.dump: argument must be a binding from regs.bind, got %s", type(b)) end
  local lines = {tostring(b)}
  for _, reg in ipairs(s.map.registers) do
    local head = string.format("  %-6s %-16s %s %2d", string.format("0x%04x", reg.offset), reg.name,
      reg.access, reg.width)
    if reg.access == "wo" then
      lines[#lines + 1] = head .. "  (write-only)"
    elseif reg.side_effects then
      lines[#lines + 1] = head .. "  (not read: reading has side effects)"
    else
      local value = read_reg(s, reg, 2)
      local line = head .. string.format("  0x%0" .. (reg.width // 4) .. "x", value)
      if reg.fields then line = line .. "  " .. format_fields(reg, value) end
      lines[#lines + 1] = line
    end
  end
  local text = table.concat(lines, "\n") .. "\n"
  io.stdout:write(text)
  return text
end

return M
