-- Argument sweep: every function of one barlua module called with hostile arguments (wrong
-- types, boundary integers, math.mininteger/maxinteger, floats, NaN, infinities, strings with
-- NUL bytes, huge strings, wrong self, missing arguments). Each call must return or raise a
-- Lua error whose value is a string naming the function; it must never kill the process. Run it in a child
-- process (Tests/CLITests/ArgumentSweepTests.swift does) so that a crash is seen:
--
--   barlua Tests/fuzz/argument-sweep.lua TARGET PROGRESS_FILE
--
-- TARGET: bar, vanished (bar methods on memory gone: bus errors), mmio, pci, pat, regs, time
-- or test. Before each call its description is
-- written (and flushed) to PROGRESS_FILE, so the last line names the call that killed the
-- process. Prints "swept N calls: R returned, E raised" and exits 0; exits 1 with the
-- offending calls listed when an error value is not a string, or when the error of a
-- function called directly does not name it (api.md: errors name the function).
--
-- Nothing here touches a device: bars are mappings of a scratch file, PCI addresses are
-- well-formed but absent (ffff:ff:1f.7), and time.sleep gets no interval above 1 ms.
local target, progress_path = arg[1], arg[2]
assert(target and progress_path, "usage: barlua argument-sweep.lua TARGET PROGRESS_FILE")
local progress = assert(io.open(progress_path, "w"))

-- Scratch files for bars, in /dev/shm (a RAM file system: truncating a mapped file on a disk
-- file system is slow) when there is one.
local function tmpname()
  local name = os.tmpname()
  local shm = "/dev/shm/barlua-sweep-" .. name:match("[^/]*$")
  local f = io.open(shm, "wb")
  if not f then return name end
  f:close()
  os.remove(name)
  return shm
end
local scratch = tmpname()
do
  local f = assert(io.open(scratch, "wb"))
  f:write(string.rep("\0", 65536))
  f:close()
end

local calls, returned, raised, bad = 0, 0, 0, {}

local function show(v)
  if type(v) == "string" then
    if #v > 40 then return string.format("<string of %d bytes>", #v) end
    return (string.format("%q", v):gsub("\n", "n"))
  elseif math.type(v) == "float" then
    return string.format("%.17g", v)
  elseif type(v) == "table" and rawget(v, "__sweep_name") then
    return rawget(v, "__sweep_name")
  end
  return type(v) == "number" and tostring(v) or type(v)
end

-- The sweep's own stand-in for os.exit (test target) raises this; it is not barlua's error.
local EXIT_STUB = "os.exit called by the sweep"

-- Calls fn(...) under pcall; records the outcome. `name` is what the progress file shows;
-- when `named` is true, fn is the function called `name` itself, so its error must name it.
local function try_named(named, name, fn, n, ...)
  -- A metamethod (bar:__newindex) speaks for the operation (`b.x = 1`), not for its name.
  named = named and not name:find(":__", 1, true)
  calls = calls + 1
  local shown = {}
  for i = 1, n do shown[i] = show((select(i, ...))) end
  local desc = name .. "(" .. table.concat(shown, ", ") .. ")"
  progress:write(desc, "\n")
  progress:flush()
  local ok, err = pcall(fn, ...)
  if ok then
    returned = returned + 1
  else
    raised = raised + 1
    if type(err) ~= "string" then
      bad[#bad + 1] = desc .. " raised a " .. type(err)
    elseif named and not err:find(name:match("[%w_.:]+$"), 1, true) and not err:find(EXIT_STUB, 1, true) then
      bad[#bad + 1] = desc .. " raised an error that does not name the function: " .. err:sub(1, 200)
    end
  end
end

local function try(name, fn, n, ...) return try_named(false, name, fn, n, ...) end

-- The hostile values. nil stands for "missing" too (trailing nils are not passed).
local huge = string.rep("A", 100000)
local values = {
  false, true, 0, 1, -1, 2, 3, 4, 7, 8, 15, 16, 255, 256, -256, 0xffff, 0x10000,
  0x7fffffff, 0xffffffff, 0x100000000, 4095, 4096, 65535, 65536, 65537,
  math.maxinteger, math.mininteger, math.maxinteger - 7, math.mininteger + 1,
  0.5, -0.0, 1.0, 4.0, 2^53, 2^63, -2^63, 1e308, math.huge, -math.huge, 0 / 0,
  "", "x", "0", "-1", "0x10", "4096", "\0", "a\0b", "/dev/null\0junk", "ffff:ff:1f.7",
  "ffff:ff:1f.7\0junk", "vfio-pci", huge,
  {}, { 1, 2 }, { 0, 4096 }, { 1.5, 2 }, { offset = -1 }, { size = 0 }, { size = 4096 },
  { since = -1 }, { since = math.mininteger }, { range = { 1.5, 2 } }, { wc = true },
  { addr = "ffff:ff:1f.7" }, { driver = false }, { vendor = -1 }, { class = 0x1000000 },
  function() end, coroutine.create(function() end), io.stdout,
}
-- A few for the second and third argument together (their product is swept).
local pair_values = {
  false, 0, 1, -1, 4, 255, 256, 4096, 65535, 65536, math.maxinteger, math.mininteger,
  0.5, 0 / 0, math.huge, "", "a\0b", huge, {},
}

local function map_scratch() return mmio.map(scratch) end

-- Every value at every argument position (others nil), then nothing at all.
local function sweep_function(name, fn, nargs)
  try_named(true, name, fn, 0)
  for pos = 1, nargs do
    for _, v in ipairs(values) do
      local args = {}
      args[pos] = v
      try_named(true, name, fn, pos, table.unpack(args, 1, pos))
    end
  end
end

-- A method: a fresh valid self (so unmap or close in one call cannot hide the rest) with
-- every value and every pair of values after it; then every value as a wrong self.
local function sweep_method(name, fn, make_self, release, extra_selves)
  local function with_self(n, ...)
    local self = make_self()
    try_named(true, name, fn, n + 1, self, ...)
    if release then release(self) end
  end
  with_self(0)
  for _, v in ipairs(values) do with_self(1, v) end
  for _, a in ipairs(pair_values) do
    for _, b in ipairs(pair_values) do with_self(2, a, b) end
  end
  for _, a in ipairs(pair_values) do
    with_self(3, 0, a, 4)
    with_self(3, 0, 4, a)
  end
  for _, v in ipairs(values) do try_named(true, name, fn, 1, v) end
  for _, s in ipairs(extra_selves or {}) do
    try_named(true, name, fn, 2, s, 0)
    try_named(true, name, fn, 1, s)
  end
end

local function functions_of(t)
  local names = {}
  for k, v in pairs(t) do
    if type(v) == "function" then names[#names + 1] = k end
  end
  table.sort(names)
  return names
end

local function sweep_module(prefix, t, nargs, skip)
  for _, k in ipairs(functions_of(t)) do
    if not (skip and skip[k]) then sweep_function(prefix .. "." .. k, t[k], nargs) end
  end
end

local targets = {}

function targets.bar()
  local b = map_scratch()
  local methods = debug.getmetatable(b).__index
  local unmapped = map_scratch()
  unmapped:unmap()
  local other = { __sweep_name = "a table posing as a bar", size = 4096 }
  for _, k in ipairs(functions_of(methods)) do
    sweep_method("bar:" .. k, methods[k], map_scratch, function(s) pcall(s.unmap, s) end,
      { unmapped, other, io.stdout })
  end
  b:unmap()
  -- Field assignment is refused, never a crash.
  for _, f in ipairs { "size", "index", "base", "method", "read32", "nonexistent" } do
    for _, v in ipairs(pair_values) do
      try("bar." .. f .. " = v", function(x) local c <close> = map_scratch() c[f] = x end, 1, v)
    end
  end
end

-- The same on memory that vanished under the bar (the file truncated after mapping, as a
-- device removed or a BAR disabled): every access is a bus error, which must be an error.
function targets.vanished()
  local path = tmpname()
  local function vanishing()
    local f = assert(io.open(path, "wb"))
    f:write(string.rep("\xa5", 8192))
    f:close()
    local b = mmio.map(path)
    assert(io.open(path, "wb")):close()
    return b
  end
  local methods = debug.getmetatable(vanishing()).__index
  for _, k in ipairs(functions_of(methods)) do
    sweep_method("vanished bar:" .. k, methods[k], vanishing, function(s) pcall(s.unmap, s) end)
  end
  os.remove(path)
end

function targets.mmio()
  sweep_module("mmio", mmio, 3)
  -- Valid path, every option value.
  for _, v in ipairs(values) do
    for _, key in ipairs { "offset", "size" } do
      try("mmio.map(scratch, {" .. key .. " = v})", function(x)
        local b = mmio.map(scratch, { [key] = x })
        b:unmap()
      end, 1, v)
    end
  end
end

function targets.pci()
  -- pci.rescan() with no argument rescans the whole bus, and pci.wait waits 10 s by default:
  -- both are swept below with arguments that touch nothing and return at once.
  sweep_module("pci", pci, 3, { rescan = true, wait = true })
  for _, v in ipairs(values) do
    if v ~= nil then try_named(true, "pci.rescan", pci.rescan, 1, v) end
    try_named(true, "pci.wait", pci.wait, 2, v, { timeout = 0 })
    if not (type(v) == "number" and v > 0.001) then
      try("pci.wait(absent, {timeout = v})", function(x) return pci.wait("ffff:ff:1f.7", { timeout = x }) end, 1, v)
    end
    try("pci.bind(absent, v)", function(x) return pci.bind("ffff:ff:1f.7", x) end, 1, v)
    try("pci.bind(absent, nil, v)", function(x) return pci.bind("ffff:ff:1f.7", nil, x) end, 1, v)
  end
  for _, v in ipairs(values) do
    for _, key in ipairs { "addr", "vendor", "device", "subvendor", "subdevice", "class", "driver" } do
      try("pci.devices{" .. key .. " = v}", function(x) return pci.devices { [key] = x } end, 1, v)
    end
  end
end

-- The config object and barlua.pcie on a captured config space: BARLUA_SYSFS_PCI names a
-- scratch copy of a sysfs tree with 0000:03:00.0 (ArgumentSweepTests makes it), so writes
-- change only that copy.
function targets.config()
  assert(os.getenv("BARLUA_SYSFS_PCI"), "the config target needs BARLUA_SYSFS_PCI (a scratch tree)")
  local addr = "0000:03:00.0"
  local function open() return pci.config(addr, {write = true}) end
  local c = open()
  local _, methods = debug.getupvalue(debug.getmetatable(c).__index, 1)  -- the methods table (object.c)
  local closed = open()
  closed:close()
  local other = { __sweep_name = "a table posing as a config", size = 4096 }
  for _, k in ipairs(functions_of(methods)) do
    sweep_method("config:" .. k, methods[k], open, function(x) pcall(x.close, x) end, { closed, other, io.stdout })
  end
  c:close()
  local pcie = require "barlua.pcie"
  for _, v in ipairs(values) do try_named(true, "pcie.bind", pcie.bind, 1, v) end
  -- The module functions on a device that exists, every option value.
  for _, v in ipairs(values) do
    for _, call in ipairs {
      { "pci.aer_mask", function(x) return pci.aer_mask(addr, { uncorrectable = x }) end },
      { "pci.aer_mask", function(x) return pci.aer_mask(addr, { correctable = x }) end },
      { "pci.retrain", function(x) return pci.retrain(addr, { speed = x, timeout = 0.01 }) end },
      { "pci.retrain", function(x) return pci.retrain(addr, { timeout = x }) end },
      { "pci.link_disable", function(x) return pci.link_disable(addr, x) end },
    } do
      try(call[1] .. "(addr, v)", call[2], 1, v)
    end
  end
end

function targets.pat()
  sweep_module("pat", pat, 2)
  for _, v in ipairs(values) do
    try("pat.events{since = v}", function(x) return pat.events { since = x } end, 1, v)
    try("pat.events{range = v}", function(x) return pat.events { range = x } end, 1, v)
    try("pat.events{range = {v, 1}}", function(x) return pat.events { range = { x, 1 } } end, 1, v)
  end
end

function targets.time()
  -- Positive intervals above 1 ms are left out: time.sleep(4096) would take an hour.
  local sleep = time.sleep
  local guarded = {
    ns = time.ns,
    sleep = function(s, ...)
      local n = tonumber(s)
      if n and n > 0.001 then return end
      return sleep(s, ...)
    end,
  }
  sweep_module("time", guarded, 2)
end

function targets.regs()
  local regs = require "barlua.regs"
  sweep_module("regs", regs, 3)
  local spec = function()
    return {
      name = "sweep", size = 65536,
      registers = {
        { name = "id", offset = 0, width = 32, access = "ro" },
        { name = "ctrl", offset = 4, width = 32, access = "rw",
          fields = { en = { bit = 0 }, mode = { lsb = 4, msb = 7 } } },
        { name = "wide", offset = 8, width = 64, access = "rw" },
        { name = "cmd", offset = 16, width = 32, access = "wo", fields = { go = { bit = 0 } } },
      },
    }
  end
  local map = regs.define(spec())
  -- Definitions with one hostile value in each place.
  for _, v in ipairs(values) do
    for _, key in ipairs { "name", "offset", "width", "access", "fields", "reset" } do
      try("regs.define{register " .. key .. " = v}", function(x)
        local s = spec()
        s.registers[2][key] = x
        return regs.define(s)
      end, 1, v)
    end
    for _, key in ipairs { "bit", "lsb", "msb", "width", "access" } do
      try("regs.define{field " .. key .. " = v}", function(x)
        local s = spec()
        s.registers[2].fields.en[key] = x
        return regs.define(s)
      end, 1, v)
    end
    try("regs.define{size = v}", function(x)
      local s = spec()
      s.size = x
      return regs.define(s)
    end, 1, v)
  end
  -- A binding: read and write every register and field with every value.
  for _, v in ipairs(values) do
    local paths = { { "id" }, { "ctrl" }, { "wide" }, { "cmd" }, { "ctrl", "en" }, { "ctrl", "mode" }, { "cmd", "go" },
      { "nope" }, { "ctrl", "value" } }
    for _, path in ipairs(paths) do
      local pname = table.concat(path, ".")
      try("binding." .. pname .. " = v", function(x)
        local b <close> = map_scratch()
        local r = regs.bind(b, map)
        if #path == 1 then r[path[1]] = x else r[path[1]][path[2]] = x end
      end, 1, v)
      try("binding." .. pname .. ":set(v) / get", function(x)
        local b <close> = map_scratch()
        local r = regs.bind(b, map)
        local view = r[path[1]]
        if type(view) == "table" then
          view:set(x)
          return view:get(), view.value
        end
      end, 1, v)
    end
    try("regs.bind(bar, v)", function(x)
      local b <close> = map_scratch()
      return regs.bind(b, x)
    end, 1, v)
  end
end

function targets.test()
  -- Each call gets a fresh barlua.test with its output sent to /dev/null, and os.exit
  -- (done, skip) raises instead of ending the sweep.
  local null = assert(io.open("/dev/null", "w"))
  local real = { exit = os.exit, stdout = io.stdout, stderr = io.stderr }
  local function fresh()
    package.loaded["barlua.test"] = nil
    os.exit = function(code) error(EXIT_STUB .. " (" .. tostring(code) .. ")", 0) end
    io.stdout, io.stderr = null, null
    local t = require "barlua.test"
    io.stdout, io.stderr = real.stdout, real.stderr
    return t
  end
  local names = functions_of(fresh())
  for _, k in ipairs(names) do
    local function call(...) return fresh()[k](...) end
    sweep_function("test." .. k, call, 3)
    for _, a in ipairs(pair_values) do
      for _, b in ipairs(pair_values) do try("test." .. k, call, 2, a, b) end
    end
    -- After a plan, after a failure, after done.
    for _, v in ipairs(pair_values) do
      try("test." .. k .. " after plan(2)", function(x) local t = fresh() t.plan(2) return t[k](x) end, 1, v)
      try("test." .. k .. " after a failure", function(x) local t = fresh() t.ok(false) return t[k](x) end, 1, v)
      try("test." .. k .. " after done", function(x) local t = fresh() pcall(t.done) return t[k](x) end, 1, v)
    end
  end
  package.loaded["barlua.test"] = nil
  os.exit = real.exit
end

local run = targets[target]
if not run then
  local known = {}
  for k in pairs(targets) do known[#known + 1] = k end
  table.sort(known)
  error("unknown target '" .. target .. "' (" .. table.concat(known, ", ") .. ")")
end
run()
collectgarbage()
os.remove(scratch)
progress:write("done\n")
progress:close()
print(string.format("swept %d calls: %d returned, %d raised", calls, returned, raised))
if #bad > 0 then
  io.stderr:write("bad error values:\n", table.concat(bad, "\n"), "\n")
  os.exit(1)
end
