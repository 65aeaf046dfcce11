-- barlua.trace: the Lua methods of an access trace (bar:trace_stop(), regs.mmiotrace) and the
-- mmiotrace reader. The recording itself and trace:entries() are C (bar_trace.c).
--
--   trace:format([map])   one line per access, named by register and field through a map
--                         (from regs.define or regs.load + define, or a binding)
--   trace:save(path[, map])  a barlua script that replays the writes and checks the reads
--   regs.mmiotrace(text[, {base =, limit =}])  a Linux mmiotrace log as a trace
local M = {}

local function hex(v) return string.format("0x%x", v) end

-- A map from regs.define, or the map of a binding (regs.map_of), or nil.
local function map_of(map, fn)
  if map == nil then return nil end
  local ok, m = pcall(require("barlua.regs").map_of, map)
  if ok then return m end
  if type(map) == "table" and type(rawget(map, "registers")) == "table" and rawget(map, "by_name") then
    return map
  end
  error(string.format("trace:%s: argument must be a register map (regs.define) or a binding "
    .. "(regs.bind), got %s", fn, type(map)), 3)
end

local function is_write(kind) return kind:sub(1, 5) == "write" or kind == "fill" end

-- Register lookup by offset: exact start first (a ro/wo pair: the one the direction uses),
-- else the register that contains the offset.
local function index_map(map)
  local at, sorted = {}, {}
  for _, r in ipairs(map.registers) do
    local list = at[r.offset]
    if not list then
      list = {}
      at[r.offset] = list
    end
    list[#list + 1] = r
    sorted[#sorted + 1] = r
  end
  table.sort(sorted, function(a, b) return a.offset < b.offset end)
  return {at = at, sorted = sorted}
end

local function find_register(idx, offset, write)
  local list = idx.at[offset]
  local pick
  if list then
    for _, r in ipairs(list) do
      if (write and r.access ~= "ro") or (not write and r.access ~= "wo") then pick = r break end
    end
    return pick or list[1], 0
  end
  -- The last register starting below offset (binary search), if it reaches it.
  local lo, hi = 1, #idx.sorted
  while lo <= hi do
    local mid = (lo + hi) // 2
    if idx.sorted[mid].offset <= offset then
      pick = idx.sorted[mid]
      lo = mid + 1
    else
      hi = mid - 1
    end
  end
  if pick and offset < pick.offset + pick.bytes then return pick, offset - pick.offset end
  return nil
end

local function mask_of(width) return width >= 64 and -1 or (1 << width) - 1 end

-- "status{busy=0x1 irq=0x0}" for a whole-register access, "name+0x2" inside one.
local function name_access(map, idx, e)
  local reg, delta = find_register(idx, e.offset, is_write(e.kind))
  if not reg then return "" end
  local name = map.name .. "." .. reg.name
  if delta ~= 0 then return string.format("%s+%s", name, hex(delta)) end
  if e.value == nil or not reg.fields or e.width ~= reg.width then return name end
  local parts = {}
  for _, fname in ipairs(reg.field_names) do
    local f = reg.fields[fname]
    parts[#parts + 1] = string.format("%s=%s", fname, hex((e.value >> f.lsb) & mask_of(f.width)))
  end
  return name .. "{" .. table.concat(parts, " ") .. "}"
end

-- The covered registers of a bulk access: "edu.id .. edu.status".
local function name_span(map, idx, off, len)
  local first, last
  for _, r in ipairs(idx.sorted) do
    if r.offset + r.bytes > off and r.offset < off + len then
      first = first or r
      last = r
    end
  end
  if not first then return "" end
  if first == last then return map.name .. "." .. first.name end
  return string.format("%s.%s .. %s.%s", map.name, first.name, map.name, last.name)
end

local function value_text(e)
  local k = e.kind
  if k == "read" or k == "write" or k == "dump" then
    return string.format("%d bytes%s", e.len, e.width ~= 0 and string.format(" (%d-bit)", e.width) or "")
  elseif k == "fill" then
    return string.format("%d bytes of %s%s", e.len, hex(e.value),
      e.width ~= 0 and string.format(" (%d-bit)", e.width) or "")
  elseif k == "count" then
    return string.format("%d bytes: %d x %s", e.len, e.value, hex(e.byte))
  elseif k == "compare" then
    return string.format("%d bytes: %s", e.len, e.value and "differ at " .. hex(e.value) or "equal")
  elseif k == "poll32" or k == "poll64" then
    local matched = e.value & e.mask == e.want
    return string.format("%s (& %s == %s: %s)", hex(e.value), hex(e.mask), hex(e.want),
      matched and "matched" or "timed out")
  end
  return string.format("0x%0" .. (e.width // 4) .. "x", e.value)
end

-- trace:format([map]) -> text, one line per access:
-- "      1.234 us  write32  0x0004  0x00000005  edu.liveness"
function M.format(trace, map)
  map = map_of(map, "format")
  local idx = map and index_map(map)
  local lines = {}
  for i, e in ipairs(trace:entries()) do
    local name = ""
    if map then
      if e.len and e.kind ~= "poll32" and e.kind ~= "poll64" then
        name = name_span(map, idx, e.offset, e.len)
      else
        name = name_access(map, idx, e)
      end
    end
    lines[i] = string.format("%12.3f us  %-9s %-10s %-20s %s", e.ns / 1000, e.kind, hex(e.offset),
      value_text(e), name):gsub("%s+$", "")
  end
  if trace.dropped > 0 then
    lines[#lines + 1] = string.format("(%d more accesses not recorded: past the trace's limit)",
      trace.dropped)
  end
  return table.concat(lines, "\n") .. (#lines > 0 and "\n" or "")
end

-- ---- trace:save ----

-- The replay script's head: its target and argument handling.
local HEAD = [[
#!/usr/bin/env barlua
-- Replays a barlua access trace: %d accesses recorded on %s.
-- Each write is written again; each read is read again and checked against the value
-- recorded. Exit status: 0 every check passed, 1 a check failed, 2 bad arguments.
--   barlua %s                          on the device or file it was recorded on
--   barlua %s --device ADDR --bar N    another device (bound to vfio-pci)
--   barlua %s --file PATH              a file (or /dev/shm file) as the bar
local target = %s
local i = 1
while i <= #arg do
  local a, v = arg[i], arg[i + 1]
  if a == "--device" and v then target = {addr = v, index = target.index}
  elseif a == "--bar" and v and math.tointeger(tonumber(v)) then target.index = math.tointeger(tonumber(v))
  elseif a == "--file" and v then target = {path = v}
  else
    io.stderr:write("replay: unknown or incomplete argument '", tostring(a),
      "' (use --device ADDR --bar N or --file PATH)\n")
    os.exit(2)
  end
  i = i + 2
end
local bar, dev
if target.path then
  bar = mmio.map(target.path)
elseif target.addr and target.index then
  dev = vfio.open(target.addr)
  bar = dev:map(target.index)
else
  io.stderr:write("replay: this trace names no device: give --device ADDR --bar N or --file PATH\n")
  os.exit(2)
end
local checks, failed = 0, 0
local function check(step, what, got, want)
  checks = checks + 1
  if got ~= want then
    failed = failed + 1
    io.stderr:write(string.format("step %%d: %%s: got %%s, recorded %%s\n", step, what,
      tostring(got), tostring(want)))
  end
end
local function x(v) return string.format("0x%%x", v) end
]]

local function target_literal(trace)
  if trace.method == "file" or (trace.path and not trace.addr) then
    return string.format("{path = %q}", trace.path)
  elseif trace.addr and trace.index then
    return string.format("{addr = %q, index = %d}", trace.addr, trace.index)
  end
  return "{}"
end

-- One step's Lua line, or a comment for what cannot be replayed.
local function step_line(n, e)
  local k, off, w = e.kind, hex(e.offset), e.width ~= 0 and e.width or nil
  local wa = w and ", " .. w or ""
  if k:match("^write%d") then
    return string.format("b:%s(%s, %s)", k, off, hex(e.value))
  elseif k:match("^read%d") then
    return string.format("check(%d, %q, x(b:%s(%s)), %q)", n, k .. " " .. off, k, off, hex(e.value))
  elseif k == "write" then
    if not e.data then
      return string.format("skipped = skipped + 1 -- step %d: write of %d bytes at %s: data not kept "
        .. "(over the trace's data budget)", n, e.len, off)
    end
    return string.format("b:write(%s, %q%s)", off, e.data, wa):gsub("\\\n", "\\n")
  elseif k == "read" then
    if not e.data then return string.format("b:read(%s, %d%s)", off, e.len, wa) end
    -- The same accesses as recorded (a width: exact-width loads; bar:compare has none).
    return string.format("check(%d, %q, b:read(%s, %d%s) == %q, true)", n, "read " .. off, off, e.len, wa,
      e.data):gsub("\\\n", "\\n")
  elseif k == "fill" then
    return string.format("b:fill(%s, %s, %d%s)", hex(e.value), off, e.len, wa)
  elseif k == "count" then
    return string.format("check(%d, %q, b:count(%s, %s, %d), %d)", n, "count " .. off, hex(e.byte),
      off, e.len, e.value)
  elseif k == "compare" then
    return string.format("check(%d, %q, b:compare(%s, %q), %s)", n, "compare " .. off, off,
      e.data or "", e.value and hex(e.value) or "nil"):gsub("\\\n", "\\n")
  elseif k == "poll32" or k == "poll64" then
    local matched = e.value & e.mask == e.want
    if matched then
      return string.format("check(%d, %q, b:%s(%s, %s, %s, 5) ~= nil, true)", n, k .. " " .. off, k,
        off, hex(e.mask), hex(e.want))
    end
    return string.format("b:%s(%s, %s, %s, 0) -- timed out when recorded", k, off, hex(e.mask),
      hex(e.want))
  elseif k == "dump" then
    return string.format("b:dump(%s, %d)", off, e.len)
  end
  return "-- step " .. n .. ": " .. k .. " not replayable"
end

-- trace:save(path[, map]) writes the replay script; register names from `map` as comments.
function M.save(trace, path, map)
  if type(path) ~= "string" or path == "" then
    error("trace:save: argument 1 must be the path of the script to write, got " .. type(path), 2)
  end
  map = map_of(map, "save")
  local idx = map and index_map(map)
  local f, err = io.open(path, "w")
  if not f then error("trace:save: cannot write " .. tostring(err), 2) end
  local name = path:match("[^/]*$")
  local ok, werr = pcall(function()
    f:write(string.format(HEAD, #trace, tostring(trace.source or "?"), name, name, name,
      target_literal(trace)))
    f:write("local skipped = 0\n")
    local entries = trace:entries()
    local part, parts = 0, 0
    for n, e in ipairs(entries) do
      -- Straight-line code in functions of at most 2000 steps (Lua's per-function limits).
      if part == 0 then
        parts = parts + 1
        f:write(string.format("local function part%d(b)\n", parts))
      end
      local line = step_line(n, e)
      local comment = ""
      if map then
        local nm = e.len and e.kind ~= "poll32" and e.kind ~= "poll64" and name_span(map, idx, e.offset, e.len)
          or name_access(map, idx, e)
        if nm ~= "" then comment = "  -- " .. nm end
      end
      f:write("  ", line, comment, "\n")
      part = part + 1
      if part == 2000 then
        f:write("end\n")
        part = 0
      end
    end
    if part > 0 then f:write("end\n") end
    for p = 1, parts do f:write(string.format("part%d(bar)\n", p)) end
    f:write(string.format([[
if dev then dev:close() end
print(string.format("replayed %d accesses: %%d checks, %%d failed%%s", checks, failed,
  skipped > 0 and string.format(", %%d not replayable", skipped) or ""))
if failed > 0 then os.exit(1) end
]], #entries))
    if trace.dropped > 0 then
      f:write(string.format("-- %d accesses after these were not recorded (past the limit)\n",
        trace.dropped))
    end
  end)
  local closed, cerr = f:close()
  if not ok then error("trace:save: " .. tostring(werr), 2) end
  if not closed then error("trace:save: " .. tostring(cerr), 2) end
  return path
end

-- ---- mmiotrace ----

local MAX_LINE = 4096
local WIDTH_KIND = {["1"] = 8, ["2"] = 16, ["4"] = 32, ["8"] = 64}

-- "12.345678" -> ns, or nil (bounded: at most 9 digits of seconds, 9 of fraction, so the
-- product fits an integer).
local function timestamp_ns(s)
  local sec, frac = s:match("^(%d%d?%d?%d?%d?%d?%d?%d?%d?)%.(%d%d?%d?%d?%d?%d?%d?%d?%d?)$")
  if not sec then return nil end
  return tonumber(sec) * 1000000000 + tonumber((frac .. "00000000"):sub(1, 9))
end

-- A hex number "0x..." of at most 16 digits, as an integer (two's complement above 2^63).
local function hexnum(s)
  local d = s and s:match("^0x(%x%x?%x?%x?%x?%x?%x?%x?%x?%x?%x?%x?%x?%x?%x?%x?)$")
  if not d then return nil end
  return math.tointeger(tonumber(d, 16))
end

-- Calls fn(line) for each non-empty line of text; lines longer than MAX_LINE go to too_long.
local function each_line(text, fn, too_long)
  local pos, n = 1, #text
  while pos <= n do
    local nl = text:find("\n", pos, true) or n + 1
    local len = nl - pos
    if len > MAX_LINE then
      if too_long then too_long() end
    elseif len > 0 then
      fn(text:sub(pos, nl - 1))
    end
    pos = nl + 1
  end
end

-- regs.mmiotrace(text[, {base =, limit =}]) -> a trace of the R and W records, offsets
-- relative to `base` (default: the physical address of the first MAP record, or 0).
-- Lines it does not understand are counted in trace.unparsed; accesses below base or past the
-- end of the mapping that holds base (its MAP record) in trace.outside.
function M.mmiotrace(text, opts)
  if type(text) ~= "string" then
    error("regs.mmiotrace: argument 1 must be the text of an mmiotrace log (a string), got "
      .. type(text), 3)
  end
  local base, limit
  if opts ~= nil then
    if type(opts) ~= "table" then
      error("regs.mmiotrace: argument 2 must be a table {base =, limit =}, got " .. type(opts), 3)
    end
    for k, v in pairs(opts) do
      if k == "base" then
        if math.type(v) ~= "integer" then
          error("regs.mmiotrace: base must be an integer (the physical address of the BAR), got "
            .. (math.type(v) or type(v)), 3)
        end
        base = v
      elseif k == "limit" then
        if math.type(v) ~= "integer" or v < 1 then
          error("regs.mmiotrace: limit must be a positive integer (entries)", 3)
        end
        limit = v
      else
        error(string.format("regs.mmiotrace: unknown option '%s' (known: base, limit)", tostring(k)), 3)
      end
    end
  end
  local core = require "barlua.trace_core"
  local fields = {source = "mmiotrace log", maps = {}, unparsed = 0, outside = 0}
  local ok, trace = pcall(core.new, fields, limit)
  if not ok then error("regs.mmiotrace: " .. tostring(trace), 3) end
  -- Pass 1: the mappings (MAP records), so base and the mapping that holds it are known
  -- before the first access, wherever the MAP record stands.
  local span -- bytes from base to the end of its mapping
  each_line(text, function(line)
    if line:sub(1, 4) ~= "MAP " then return end
    local ts, id, phys, _, length = line:match("^MAP (%S+) (%d+) (%S+) (%S+) (%S+)")
    local addr, l = hexnum(phys), hexnum(length)
    if not (ts and addr and l) then return end
    if #fields.maps < 4096 then
      fields.maps[#fields.maps + 1] = {id = math.tointeger(tonumber(id)), phys = addr, len = l}
    end
    if not base then
      base, span = addr, l
    elseif not span and not math.ult(base, addr) and math.ult(base - addr, l) then
      span = l - (base - addr)
    end
  end)
  base = base or 0
  -- Pass 2: the accesses.
  local t0
  each_line(text, function(line)
    local kw = line:match("^(%u+) ")
    if kw == "R" or kw == "W" then
      local w, ts, _, phys, value = line:match("^%u (%d) (%S+) (%d+) (%S+) (%S+)")
      local width, ns, addr, v = WIDTH_KIND[w or ""], ts and timestamp_ns(ts), hexnum(phys), hexnum(value)
      if not (width and ns and addr and v) then
        fields.unparsed = fields.unparsed + 1
        return
      end
      local off = addr - base
      if math.ult(addr, base) or (span and not math.ult(off, span)) then
        fields.outside = fields.outside + 1
        return
      end
      t0 = t0 or ns
      if width < 64 then v = v & ((1 << width) - 1) end
      core.add(trace, (kw == "R" and "read" or "write") .. width, off, v, ns >= t0 and ns - t0 or 0)
    elseif not (kw == "MAP" or kw == "UNMAP" or kw == "MARK" or kw == "VERSION" or kw == "PCIDEV"
      or kw == "LSPCI" or kw == "UNKNOWN" or line:sub(1, 1) == "#" or line:match("^%s*$")) then
      fields.unparsed = fields.unparsed + 1 -- the others are notes for readers: nothing to replay
    end
  end, function() fields.unparsed = fields.unparsed + 1 end)
  fields.base = base
  return trace
end

return M
