#!/usr/bin/env barlua
-- bar_timing: how fast can the CPU move data to and from one PCI BAR, per mapping method?
--
-- For the BAR you name, each mapping method (VFIO uncached, VFIO write-combining where the
-- kernel offers it, sysfs resourceN uncached, sysfs resourceN_wc write-combining, and
-- write-combining plus a flushing read) is timed over the whole BAR (or its first --size
-- bytes), --count times, each pass one C transfer: exact-width 8/16/32/64-bit accesses
-- (bar:read/bar:write with a width) and the bulk bar:read/bar:write (memcpy). It reports
-- Min/Mean/Max MB/s, the PAT memory type each mapping got, and the instrument's ceiling: the
-- same transfers on RAM (/dev/shm), the most it can report on this machine.
--
-- Safe by default: only card-to-host (reads). --write adds host-to-card passes, which
-- OVERWRITE the BAR; each write pass writes a known pattern and reads it back with
-- bar:compare, and the original contents are written back at the end of each method.
-- A method that corrupts data is a failure (exit status 1), however fast it is.
local argparse = require "argparse"
local chart = require "svg_bar_chart"
local script = require "barlua.script"
local output = require "script_output"
output.guard("bar_timing")

local PATHS = { "8-bit", "16-bit", "32-bit", "64-bit", "bulk" }

-- Every method bar_timing knows, in the order they run (VFIO first: the VFIO device must be
-- closed before sysfs can map the same BAR, or mmap fails with EINVAL).
local METHODS = {
  { name = "vfio", label = "VFIO uncached", via = "vfio" },
  { name = "vfio-wc", label = "VFIO write-combining", via = "vfio", wc = true },
  { name = "sysfs", label = "sysfs resourceN uncached", via = "sysfs" },
  { name = "sysfs-wc", label = "sysfs resourceN_wc write-combining", via = "sysfs", wc = true },
  { name = "sysfs-wc-flush", label = "sysfs write-combining + flushing read", via = "sysfs",
    wc = true, flush = true },
  { name = "file", label = "file mapping", via = "file" },
  { name = "file-flush", label = "file mapping + flushing read", via = "file", flush = true },
}

-- Under barlua.test's report formats (BARLUA_TEST_FORMAT: tap, junit:PATH, lava) every
-- figure is also a measurement (mean MB/s per method, path and direction) and the usual report
-- goes to standard error, so that standard output stays TAP. Without the variable nothing
-- changes.
local measuring = (os.getenv("BARLUA_TEST_FORMAT") or "") ~= ""
local print = not measuring and print or function(...)
  local parts = table.pack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  io.stderr:write(table.concat(parts, "\t", 1, parts.n), "\n")
end

local function die(msg) script.fail("bar_timing", 2, msg) end

local function warn(msg) io.stderr:write("bar_timing: ", msg, "\n") end

-- What a numeric option accepts, for the message when it gets something else.
local NUMERIC_LIMITS = {
  ["--bar"] = "--bar must be 0..5",
  ["--count"] = "--count must be a positive integer",
  ["--size"] = "--size must be a positive multiple of 8 bytes (the widest access)",
}

-- An error's first line, without the "script.lua:123: " position Lua puts in front.
local message = script.first_line

-- "64K", "1M", "0x10000", "4096" -> integer bytes.
local function parse_size(text)
  local n, unit = text:match("^(0[xX]%x+)$"), ""
  if not n then n, unit = text:match("^(%d+)([KkMmGg]?)$") end
  local v = n and math.tointeger(tonumber(n))
  if not v then return nil, "not a size (use e.g. 65536, 0x10000, 64K, 1M)" end
  local mult = ({ [""] = 1, k = 1024, m = 1 << 20, g = 1 << 30 })[unit:lower()]
  return v * mult
end

local function parse_args()
  local p = argparse("bar_timing",
    "Time host-to-card and card-to-host transfers of one PCI BAR per mapping method.")
  p:epilog([[
Methods: vfio, vfio-wc, sysfs, sysfs-wc, sysfs-wc-flush (device); file, file-flush (--file).
Reads only unless --write: write passes OVERWRITE the BAR (contents are saved and written
back at the end of each method, also on an error or Ctrl-C; registers with side effects are
not protected). Each pass is one C transfer (exact-width for 8/16/32/64-bit); the report ends
with the measurement ceiling: the same transfers on a RAM-backed /dev/shm mapping.
The VFIO methods need the device bound to vfio-pci; the sysfs methods need root and the
resourceN files; sysfs-wc needs a prefetchable BAR (resourceN_wc).
Examples:
  bar_timing --device 0000:15:00.0 --bar 0 --count 10 --write --svg bar0.svg
  bar_timing --file /dev/shm/buf --size 1M --csv]])
  -- overwrite(false): a repeated option is an error, not "the last one wins".
  p:option("--device", "PCI address of the device to test (DDDD:BB:DD.F)"):overwrite(false)
  p:option("--bar", "BAR number (0-5)"):overwrite(false)
  p:option("--file", "time a file mapping (mmio.map) instead of a device"):overwrite(false)
  p:option("--count", "repetitions per measurement", "10"):overwrite(false)
  p:option("--size", "bytes to transfer from the start of the BAR (default: all)")
    :overwrite(false)
  p:option("--methods", "comma-separated methods to run (default: all that apply)")
    :overwrite(false)
  p:flag("--write", "also time host-to-card writes (OVERWRITES the BAR)")
  p:flag("--csv", "print CSV instead of the text report")
  p:flag("--json", "print JSON instead of the text report")
  p:option("--svg", "also draw the comparison as an SVG bar chart into FILE")
  p:option("--scale", "SVG axis: auto, log or linear", "auto")
    :choices({ "auto", "log", "linear" })
  -- argparse reads "--count -1" as the option "-1": say what is wrong with the value instead.
  for i = 1, #arg - 1 do
    local limit = NUMERIC_LIMITS[arg[i]]
    if limit and arg[i + 1]:match("^%-[%d.]") then die(limit .. ", got " .. arg[i + 1]) end
  end
  local ok, a = p:pparse()
  if not ok then
    io.stderr:write(p:get_usage(), "\n\n")
    die(a)
  end
  if a.file and (a.device or a.bar) then die("give either --file or --device/--bar, not both") end
  if not a.file and not a.device then
    die("name what to time: --device ADDR --bar N, or --file PATH (see --help)")
  end
  if a.device and not a.bar then die("--device needs --bar N (0-5)") end
  if a.bar then
    local n = script.bar_number(a.bar)
    if not n then die(NUMERIC_LIMITS["--bar"] .. ", got " .. a.bar) end
    a.bar = n
  end
  local count = math.tointeger(tonumber(a.count))
  if not count or count < 1 then die(NUMERIC_LIMITS["--count"] .. ", got " .. a.count) end
  a.count = count
  if a.csv and a.json then die("choose one of --csv and --json") end
  if a.size then
    if a.size:match("^%-") then die(NUMERIC_LIMITS["--size"] .. ", got " .. a.size) end
    local v, err = parse_size(a.size)
    if not v then die("--size " .. a.size .. ": " .. err) end
    if v <= 0 or v % 8 ~= 0 then die(NUMERIC_LIMITS["--size"] .. ", got " .. v) end
    a.size = v
  end
  return a
end

-- MARK: patterns and passes

-- Every figure is one C transfer timed with time.ns() around it: bar:read/bar:write with a
-- width (exactly one volatile access of that width per element, ascending, api.md
-- "Exact-width bulk transfers"), or without one for the bulk path (memcpy). No Lua runs
-- between the two clock reads; building the pattern and checking it happen outside.

-- Pattern source: 64-bit words, the word at byte offset o being o * K (K odd, so every word
-- differs). A pass writes the slice starting `shift` words in, so what it leaves differs at
-- every word from any other shift: a misplaced, dropped or stale write shows. Built once
-- per size; each pass's pattern is then one string.sub (a memcpy), not a Lua loop.
local SHIFTS = 61
local source_cache = {}
local function pattern_source(size)
  if source_cache[size] then return source_cache[size] end
  local words, parts, chunk = size // 8 + SHIFTS, {}, {}
  for i = 0, words - 1 do
    chunk[#chunk + 1] = i * 8 * 0x9E3779B97F4A7C15
    if #chunk == 512 or i == words - 1 then
      parts[#parts + 1] = string.pack("<" .. string.rep("i8", #chunk), table.unpack(chunk))
      chunk = {}
    end
  end
  source_cache = { [size] = table.concat(parts) }
  return source_cache[size]
end

-- The bytes a write pass leaves in [0, size): what bar:compare checks against.
local function expected(shift, size)
  return pattern_source(size):sub(shift * 8 + 1, shift * 8 + size)
end

-- With method.flush, a write pass ends with a read of the device (read32 at size-4): the CPU
-- drains its write-combining buffers first, and PCIe ordering makes the read complete after
-- the posted writes. That "flushing read" is inside the timed region.

local function stats(samples)
  local mn, mx, sum = math.huge, 0, 0
  for _, v in ipairs(samples) do
    mn, mx, sum = math.min(mn, v), math.max(mx, v), sum + v
  end
  return mn, sum / #samples, mx
end

-- Times one (path, direction) --count times: each pass is one C transfer over [0, size).
-- `opts.pass0` numbers the passes across paths, so consecutive write passes never leave the
-- same pattern. Returns a result row.
local function measure(b, method, path, dir, opts)
  local size, samples, corrupt = opts.size, {}, nil
  local w = math.tointeger(path:match("^(%d+)-bit$"))
  local now, read, write = time.ns, b.read, b.write
  for pass = 1, opts.count do
    opts.pass0 = (opts.pass0 or 0) + 1
    local want = dir == "host-to-card" and expected(opts.pass0 % SHIFTS + 1, size) or nil
    -- Free the last pass's string so malloc hands its (already faulted-in) block to this
    -- pass's read, and keep the collector from running inside the timed transfer.
    collectgarbage()
    collectgarbage("stop")
    local t0, t1
    if dir == "card-to-host" then
      if w then
        t0 = now(); read(b, 0, size, w); t1 = now()
      else
        t0 = now(); read(b, 0, size); t1 = now()
      end
    elseif method.flush then
      if w then
        t0 = now(); write(b, 0, want, w); b:read32(size - 4); t1 = now()
      else
        t0 = now(); write(b, 0, want); b:read32(size - 4); t1 = now()
      end
    else
      if w then
        t0 = now(); write(b, 0, want, w); t1 = now()
      else
        t0 = now(); write(b, 0, want); t1 = now()
      end
    end
    collectgarbage("restart")
    samples[#samples + 1] = size / (math.max(t1 - t0, 1) / 1e9) / 1e6
    if want then
      local at = b:compare(0, want)
      if at and not corrupt then
        corrupt = string.format("pass %d: offset 0x%x differs (wrote 0x%02x, read 0x%02x)",
          pass, at, want:byte(at + 1), b:read8(at))
      end
    end
  end
  local mn, mean, mx = stats(samples)
  return {
    method = method.name, path = path, direction = dir, bytes = size, count = opts.count,
    min = mn, mean = mean, max = mx, samples = samples,
    integrity = dir == "card-to-host" and "n/a" or (corrupt and "CORRUPT" or "ok"),
    corruption = corrupt,
  }
end

-- MARK: the instrument's own ceiling

-- The same transfers on RAM (a /dev/shm mapping of the same size, at most CEILING_MAX): the
-- fastest figure this instrument can report on this machine, so a device figure can be read
-- against it. Returns { bytes=, count=, results = {row...} } or { error = text }.
local CEILING_MAX = 64 << 20
local function measure_ceiling(size, count)
  size = math.min(size, CEILING_MAX)
  local path = "/dev/shm/bar_timing-ceiling-" .. tostring(os.time()) .. "-"
    .. tostring(math.random(1 << 30))
  local _file <close> = setmetatable({}, { __close = function() os.remove(path) end })
  local f, err = io.open(path, "wb")
  if not f then return { error = "cannot create " .. path .. ": " .. tostring(err) } end
  local ok
  ok, err = f:seek("set", size - 1)
  ok = ok and f:write("\0")
  local closed, cerr = f:close()
  if ok and not closed then ok, err = nil, cerr end
  if not ok then return { error = "cannot size " .. path .. ": " .. tostring(err) } end
  local mok, b = pcall(mmio.map, path)
  if not mok then return { error = message(b) } end
  local _mapping <close> = b
  b:fill(0) -- fault every page in before the clock runs
  local out = { bytes = size, count = count, results = {} }
  local opts = { size = size, count = count }
  for _, p in ipairs(PATHS) do
    for _, dir in ipairs({ "host-to-card", "card-to-host" }) do
      out.results[#out.results + 1] = measure(b, { name = "ceiling" }, p, dir, opts)
    end
  end
  return out
end

-- MARK: PAT memory types

local function pat_types(b, mark)
  if not b.base then return { event = "n/a (not device memory)", list = "n/a" } end
  local r = { event = "unknown (debugpat off / debugfs unavailable)",
    list = "unknown (debugpat off / debugfs unavailable)" }
  if pat.enabled() then
    local ok, events = pcall(pat.events, { since = mark, range = b })
    if ok then
      local ret
      for _, e in ipairs(events) do
        if e.kind == "reserve" and e.ret then ret = e.ret end
      end
      r.event = ret or "no reserve logged since the mapping"
    else
      r.event = "unknown (" .. tostring(events):gsub("\n.*", "") .. ")"
    end
  end
  local ok, list = pcall(pat.memtype_list)
  if ok then
    local last, types, seen = b.base + b.size - 1, {}, {}
    for _, m in ipairs(list) do
      if math.ult(m.first, last + 1) and math.ult(b.base, m.last + 1) and not seen[m.type] then
        seen[m.type] = true
        types[#types + 1] = m.type
      end
    end
    r.list = #types > 0 and table.concat(types, ",") or "not listed"
  end
  return r
end

-- MARK: mapping each method

-- Opens the mapping for a method; returns bar, closer or nil, reason.
local function open_method(m, a, state)
  if m.via == "file" then
    local ok, b = pcall(mmio.map, a.file, { write = a.write == true })
    if not ok then return nil, tostring(b) end
    return b, function() b:unmap() end
  elseif m.via == "vfio" then
    if not state.device then
      local ok, d = pcall(vfio.open, a.device)
      if not ok then return nil, tostring(d) end
      state.device = d
    end
    if m.wc then
      local f = state.device:features()
      -- device:features() says why when it is not offered (the core's reason, not retyped).
      if not f.wc then return nil, f.wc_reason end
    end
    local ok, b = pcall(state.device.map, state.device, a.bar, m.wc and { wc = true } or nil)
    if not ok then return nil, tostring(b) end
    return b, function() b:unmap() end
  else
    if state.device then state.device:close(); state.device = nil end
    local ok, b = pcall(pci.map, a.device, a.bar, { wc = m.wc or false, write = a.write == true })
    if not ok then return nil, tostring(b) end
    return b, function() b:unmap() end
  end
end

-- Appends to `ranges` the {first, last} byte ranges (bar offsets, from `base`) where `now`
-- differs from `want` (strings of the same length), merging with a range that ends just before.
local function add_differences(ranges, base, want, now)
  local i, n = 1, #want
  local function add(first, last)
    local prev = ranges[#ranges]
    if prev and prev.kind == "differ" and prev.last + 1 == first then
      prev.last = last
    else
      ranges[#ranges + 1] = { kind = "differ", first = first, last = last }
    end
  end
  while i <= n do
    local j = math.min(i + 4095, n)
    if want:sub(i, j) == now:sub(i, j) then
      i = j + 1
    elseif want:byte(i) == now:byte(i) then
      i = i + 1
    else
      local e = i
      while e < n and want:byte(e + 1) ~= now:byte(e + 1) do e = e + 1 end
      add(base + i - 1, base + e - 1)
      i = e + 1
    end
  end
end

-- What the BAR holds now against `saved`, read back in 64 KiB pieces so that a part that
-- faults does not hide the parts that can be read: a text naming every byte range that
-- differs or cannot be read (at most 8 ranges spelled out), or nil when all is as saved.
local function left_changed(b, saved)
  local CHUNK, ranges, err = 65536, {}, nil
  for off = 0, #saved - 1, CHUNK do
    local n = math.min(CHUNK, #saved - off)
    local ok, now = pcall(b.read, b, off, n)
    if ok then
      add_differences(ranges, off, saved:sub(off + 1, off + n), now)
    else
      err = err or message(now)
      local prev = ranges[#ranges]
      if prev and prev.kind == "unreadable" and prev.last + 1 == off then
        prev.last = off + n - 1
      else
        ranges[#ranges + 1] = { kind = "unreadable", first = off, last = off + n - 1 }
      end
    end
  end
  if #ranges == 0 then return nil end
  local parts, differ, unreadable = {}, 0, 0
  for k, r in ipairs(ranges) do
    local len = r.last - r.first + 1
    if r.kind == "differ" then differ = differ + len else unreadable = unreadable + len end
    if k <= 8 then
      parts[#parts + 1] = string.format("0x%x-0x%x (%d bytes%s)", r.first, r.last, len,
        r.kind == "unreadable" and ", cannot be read back: may still hold the test pattern" or "")
    end
  end
  if #ranges > 8 then parts[#parts + 1] = string.format("and %d more ranges", #ranges - 8) end
  return string.format("%d bytes differ from the saved contents and %d cannot be read back%s: %s",
    differ, unreadable, err and " (" .. err .. ")" or "", table.concat(parts, ", "))
end

-- Writes `saved` back over [0, #saved) and checks it. Returns nil when the BAR holds the
-- saved contents again, else a message saying exactly which bytes are left changed and where
-- the saved contents were kept. Never raises: it runs while an error or Ctrl-C unwinds.
local function restore(b, saved)
  collectgarbage("restart") -- an error inside a timed transfer left the collector stopped
  local ok, err = pcall(b.write, b, 0, saved)
  if ok then
    local cok, at = pcall(b.compare, b, 0, saved)
    if cok and at == nil then return nil end
    err = cok and string.format("the read-back differs at offset 0x%x", at) or at
  end
  local left = left_changed(b, saved) or "the bytes now read back equal the saved contents"
  local path = os.tmpname()
  local kept, why = output.write_file(path, saved)
  return string.format("could not restore %s (%s): %s; %s", tostring(b), message(err), left,
    kept and string.format("the saved contents are in %s (%d bytes from offset 0)", path, #saved)
      or "the saved contents could not be written to a file either (" .. tostring(why) .. ")")
end

-- A to-be-closed guard: when the block holding it ends, however it ends (return, a Lua error,
-- Ctrl-C's "interrupted!", which unwinds like an error), it writes the saved contents back.
local function restorer(b, saved, entry, report)
  return setmetatable({}, { __close = function(_, err)
    local failure = restore(b, saved)
    if failure then
      report.restore_failed = true
      entry.restore = failure
      warn(entry.name .. ": " .. failure)
    elseif err then
      warn(string.format("%s: stopped (%s): the saved contents of bytes 0x0-0x%x were written"
        .. " back", entry.name, message(err), #saved - 1))
    end
  end })
end

local function run_method(m, a, report)
  local entry = { name = m.name, label = m.label, results = {} }
  report.methods[#report.methods + 1] = entry
  if m.flush and not a.write then
    entry.status, entry.reason = "skipped", "a flushing read only matters for writes (--write)"
    return
  end
  local mark = pat.enabled() and pcall(pat.mark) and pat.mark() or nil
  local b, close = open_method(m, a, report.state)
  if not b then
    entry.status, entry.reason = "skipped", close
    return
  end
  local _mapping <close> = setmetatable({}, { __close = close })
  b:read8(0) -- the first touch: some kernels reserve the memory type at the fault
  entry.pat = pat_types(b, mark)
  entry.mapping = tostring(b)
  local size = a.size or b.size
  if size > b.size or size % 8 ~= 0 then
    entry.status = "skipped"
    entry.reason = size > b.size and string.format("--size %d exceeds the BAR size %d", size, b.size)
      or string.format("the BAR size %d is not a multiple of 8 (the widest access): give --size",
        size)
    return
  end
  local opts = { size = size, count = a.count }
  report.size = size
  local saved = a.write and b:read(0, size) or nil
  local _guard <close> = saved and restorer(b, saved, entry, report) or nil
  local dirs = a.write and { "host-to-card", "card-to-host" } or { "card-to-host" }
  for _, path in ipairs(PATHS) do
    for _, dir in ipairs(dirs) do
      if not (m.flush and dir == "card-to-host") then
        local r = measure(b, m, path, dir, opts)
        entry.results[#entry.results + 1] = r
        if r.integrity == "CORRUPT" then report.corrupt = true end
      end
    end
  end
  entry.status = "measured"
end

-- MARK: output

local function target_line(report)
  local t = report.target
  if t.file then return string.format("file %s", t.file) end
  return string.format("%s BAR%d", t.device, t.bar)
end

-- "measurement ceiling (...): 8-bit 3401.2/2987.0, ..., bulk .../... MB/s host-to-card/card-to-host"
local function ceiling_line(c)
  if not c then return "measurement ceiling: not measured (nothing was measured)" end
  if c.error then return "measurement ceiling: not measured (" .. c.error .. ")" end
  local by, parts = {}, {}
  for _, r in ipairs(c.results) do by[r.path .. " " .. r.direction] = r.max end
  for _, p in ipairs(PATHS) do
    parts[#parts + 1] = string.format("%s %.1f/%.1f", p, by[p .. " host-to-card"],
      by[p .. " card-to-host"])
  end
  return string.format("measurement ceiling (the same C transfers on RAM, /dev/shm, %d bytes,"
    .. " best of %d): %s MB/s host-to-card/card-to-host", c.bytes, c.count,
    table.concat(parts, ", "))
end

local function print_text(report)
  print(string.format("bar_timing: %s, %s bytes per transfer, %d passes, %s",
    target_line(report), report.size or "?", report.count,
    report.write and "host-to-card (verified) and card-to-host" or "card-to-host only (no --write)"))
  for _, e in ipairs(report.methods) do
    print()
    if e.status ~= "measured" then
      print(string.format("%s (%s): skipped: %s", e.name, e.label, e.reason))
    else
      print(string.format("%s (%s): %s", e.name, e.label, e.mapping))
      print(string.format("  PAT memory type: %s (kernel log reserve), %s (pat_memtype_list)",
        e.pat.event, e.pat.list))
      print(string.format("  %-16s %-13s %12s %12s %12s  %s", "path", "direction",
        "Min MB/s", "Mean MB/s", "Max MB/s", "integrity"))
      for _, r in ipairs(e.results) do
        print(string.format("  %-16s %-13s %12.3f %12.3f %12.3f  %s", r.path, r.direction,
          r.min, r.mean, r.max, r.integrity .. (r.corruption and (": " .. r.corruption) or "")))
      end
    end
  end
  print()
  print(ceiling_line(report.ceiling))
  if report.corrupt then
    print()
    print("FAILED: a method corrupted data (see integrity); its speed does not count.")
  end
end

local function csv_field(v)
  v = tostring(v)
  if v:find('[,"\n]') then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

local function print_csv(report)
  print("method,path,direction,bytes,count,min_mbps,mean_mbps,max_mbps,integrity,"
    .. "pat_reserve,pat_memtype_list,status,reason")
  for _, e in ipairs(report.methods) do
    if e.status ~= "measured" then
      print(table.concat({ e.name, "", "", "", "", "", "", "", "", "", "", e.status,
        csv_field(e.reason) }, ","))
    end
    for _, r in ipairs(e.results) do
      print(table.concat({ e.name, r.path, r.direction, r.bytes, r.count,
        string.format("%.3f", r.min), string.format("%.3f", r.mean),
        string.format("%.3f", r.max), r.integrity, csv_field(e.pat.event),
        csv_field(e.pat.list), e.status, "" }, ","))
    end
  end
end

local function print_json(report)
  local cjson = require "cjson"
  local out = { target = report.target, bytes = report.size, count = report.count,
    write = report.write, corrupt = report.corrupt or false, methods = {} }
  local c = report.ceiling
  if c and c.error then
    out.ceiling = { error = c.error }
  elseif c then
    out.ceiling = { where = "/dev/shm", bytes = c.bytes, count = c.count, results = {} }
    for _, r in ipairs(c.results) do
      out.ceiling.results[#out.ceiling.results + 1] = { path = r.path, direction = r.direction,
        min_mbps = r.min, mean_mbps = r.mean, max_mbps = r.max, integrity = r.integrity }
    end
  end
  for _, e in ipairs(report.methods) do
    local m = { name = e.name, label = e.label, status = e.status, reason = e.reason,
      mapping = e.mapping, pat = e.pat, results = {} }
    for _, r in ipairs(e.results) do
      m.results[#m.results + 1] = { path = r.path, direction = r.direction, bytes = r.bytes,
        count = r.count, min_mbps = r.min, mean_mbps = r.mean, max_mbps = r.max,
        samples_mbps = r.samples, integrity = r.integrity, corruption = r.corruption }
    end
    setmetatable(m.results, cjson.array_mt)
    out.methods[#out.methods + 1] = m
  end
  print(cjson.encode(out))
end

local function write_svg(report, path, scale)
  local series, groups, index = {}, {}, {}
  local lo, hi = math.huge, 0
  for _, e in ipairs(report.methods) do
    if e.status == "measured" then
      series[#series + 1] = { name = e.name, label = e.label .. " [" .. e.pat.event .. "]" }
      for _, r in ipairs(e.results) do
        local key = r.path .. (r.direction == "host-to-card" and " write" or " read")
        if not index[key] then
          index[key] = { label = key, bars = {} }
          groups[#groups + 1] = index[key]
        end
        local g = index[key]
        g.bars[#g.bars + 1] = { series = e.name, value = r.mean, min = r.min, max = r.max,
          bad = r.integrity == "CORRUPT", note = r.integrity == "CORRUPT" and "CORRUPT" or nil }
        lo, hi = math.min(lo, r.min), math.max(hi, r.max)
      end
    end
  end
  if #groups == 0 then warn("--svg: nothing was measured, no chart written"); return end
  if scale == "auto" then scale = (hi / math.max(lo, 1e-9) > 20) and "log" or "linear" end
  local svg = chart.render({
    title = "BAR timing: " .. target_line(report),
    subtitle = string.format("%d bytes per transfer, %d passes; %s", report.size, report.count,
      report.write and "writes verified with bar:compare" or "reads only"),
    axis = "MB/s (bar: mean; whiskers: min to max)",
    scale = scale, series = series, groups = groups,
  })
  local ok, err = output.write_file(path, svg)
  if not ok then
    io.stderr:write("bar_timing: --svg: ", err, "\n")
    os.exit(1)
  end
end

-- MARK: main

-- The size every pass transfers, checked before anything is mapped for measuring or written:
-- all of the target (a file's or BAR's size) or --size, a multiple of 8 bytes (the widest
-- access) that fits. A target that cannot be probed is left to the methods to report.
local function check_size(a, target_size, what)
  if not target_size then return end
  if a.size and a.size > target_size then
    die(string.format("--size %d exceeds the size of %s (%d bytes)", a.size, what, target_size))
  end
  if not a.size and target_size % 8 ~= 0 then
    die(string.format("%s is %d bytes, not a multiple of 8 (the widest access): give --size, a"
      .. " multiple of 8 up to %d", what, target_size, target_size - target_size % 8))
  end
end

-- Outputs are checked before measuring, so a long run never ends in "cannot write".
local function check_writable(path, option)
  local existed = io.open(path, "rb")
  if existed then existed:close() end
  local f, err = io.open(path, "ab")
  if not f then die(option .. ": cannot write " .. path .. ": " .. tostring(err)) end
  f:close()
  if not existed then os.remove(path) end
end

-- Why no method ran, for stderr: one line per method that was tried.
local function reasons(report)
  local lines = {}
  for _, e in ipairs(report.methods) do
    if e.status ~= "measured" then
      lines[#lines + 1] = string.format("\n  %s: %s", e.name, e.reason or e.status)
    end
  end
  return table.concat(lines)
end

local function report_as_tests(report)
  local t = require "barlua.test"
  for _, e in ipairs(report.methods) do
    if e.status == "measured" then
      for _, r in ipairs(e.results) do
        local name = (e.name .. "." .. r.path .. "." .. r.direction):gsub("[^%w.-]", "_")
        t.measure(name, r.mean, "MB/s")
        if r.integrity == "CORRUPT" then t.ok(false, name .. " data intact") end
      end
    else
      t.diag(string.format("%s: %s", e.name, e.reason or e.status))
    end
  end
  if report.restore_failed then t.ok(false, "BAR restored") end
end

local function main()
  local a = parse_args()
  if measuring then require "barlua.test" end -- its "TAP version 13" comes first
  local wanted = {}
  if a.methods then
    for name in a.methods:gmatch("[^,%s]+") do
      local method
      for _, m in ipairs(METHODS) do if m.name == name then method = m end end
      if not method then die("--methods: unknown method " .. name .. " (see --help)") end
      if (method.via == "file") ~= (a.file ~= nil) then
        die(string.format("--methods: %s is a method for %s; with %s the methods are %s", name,
          method.via == "file" and "--file" or "devices (--device/--bar)",
          a.file and "--file" or "--device", a.file and "file, file-flush"
            or "vfio, vfio-wc, sysfs, sysfs-wc, sysfs-wc-flush"))
      end
      wanted[name] = true
    end
  end
  if a.svg then check_writable(a.svg, "--svg") end
  local report = { target = a.file and { file = a.file } or { device = a.device, bar = a.bar },
    count = a.count, write = a.write, methods = {}, state = {} }
  local _device <close> = setmetatable({}, { __close = function()
    if report.state.device then report.state.device:close() end
  end })
  if a.device then
    local ok, info = pcall(pci.device, a.device)
    if not ok then die(tostring(info)) end
    local bar = info.bars[a.bar]
    if not bar then die(string.format("%s has no BAR%d", a.device, a.bar)) end
    if bar.io then die(string.format("%s BAR%d is an I/O port BAR: nothing to map", a.device, a.bar)) end
    check_size(a, bar.size, string.format("%s BAR%d", info.addr, a.bar))
    report.target.device = info.addr
    report.target.prefetchable = bar.prefetchable
    report.target.bar_size = bar.size
    report.size = a.size or bar.size
    if a.write then
      warn(string.format("--write: OVERWRITING %s BAR%d (%d bytes); contents are saved and"
        .. " written back afterwards", info.addr, a.bar, a.size or bar.size))
    end
  else
    local ok, size = pcall(function()
      local probe <close> = mmio.map(a.file, { write = false })
      return probe.size
    end)
    check_size(a, ok and size or nil, a.file)
  end
  for _, m in ipairs(METHODS) do
    local applies = (m.via == "file") == (a.file ~= nil)
    if applies and (not a.methods or wanted[m.name]) then
      run_method(m, a, report)
      local e = report.methods[#report.methods]
      if a.methods and e.status ~= "measured" then report.unavailable = true end
    end
  end
  if report.state.device then report.state.device:close() end
  report.state.device = nil
  if report.size then report.ceiling = measure_ceiling(report.size, math.min(a.count, 10)) end
  local measured = 0
  for _, e in ipairs(report.methods) do
    if e.status == "measured" then measured = measured + 1 end
  end
  if a.csv then print_csv(report) elseif a.json then print_json(report) else print_text(report) end
  if a.svg then write_svg(report, a.svg, a.scale) end
  if measuring then report_as_tests(report) end
  if report.restore_failed then
    warn("FAILED: the BAR could not be restored (see above)")
    os.exit(1)
  end
  if report.corrupt then os.exit(1) end
  if measured == 0 then
    warn("no method could map the BAR:" .. reasons(report))
    os.exit(1)
  end
  if report.unavailable then
    warn("a method named in --methods could not run:" .. reasons(report))
    os.exit(1)
  end
end

-- An error, Ctrl-C or SIGTERM unwinds main (the guards write the BAR back on the way out);
-- then one line says why it stopped, with the traceback only for what is not the user's doing,
-- and the exit status is a shell's for the signal (130 Ctrl-C, 143 SIGTERM), else 1.
local STOPPED = { ["interrupted!"] = 130, ["terminated (SIGTERM)"] = 143 }
local ok, err = xpcall(main, function(e)
  local m = message(e)
  if STOPPED[m] or m:match("^bar:") then return m end
  return debug.traceback(tostring(e), 2)
end)
if not ok then
  io.stderr:write("bar_timing: ", err, "\n")
  os.exit(STOPPED[err] or 1)
end
output.done()
