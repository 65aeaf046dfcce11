#!/usr/bin/env barlua
-- bar_timing: how fast can the CPU move data to and from one PCI BAR, per mapping method?
--
-- For the BAR you name, each mapping method (VFIO uncached, VFIO write-combining where the
-- kernel offers it, sysfs resourceN uncached, sysfs resourceN_wc write-combining, and
-- write-combining plus a flushing read) is timed over the whole BAR (or its first --size
-- bytes), --count times, with Lua loops of 8/16/32/64-bit accesses and with the bulk
-- bar:read/bar:write. It reports Min/Mean/Max MB/s and the PAT memory type each mapping got.
--
-- Safe by default: only card-to-host (reads). --write adds host-to-card passes, which
-- OVERWRITE the BAR; each write pass writes a known pattern and reads it back with
-- bar:compare, and the original contents are written back at the end of each method.
-- A method that corrupts data is a failure (exit status 1), however fast it is.
local argparse = require "argparse"
local chart = require "svg_bar_chart"

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

local function die(msg)
  io.stderr:write("bar_timing: ", msg, "\n")
  os.exit(2)
end

local function warn(msg) io.stderr:write("bar_timing: ", msg, "\n") end

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
back at the end of each method; registers with side effects are not protected).
The VFIO methods need the device bound to vfio-pci; the sysfs methods need root and the
resourceN files; sysfs-wc needs a prefetchable BAR (resourceN_wc).
Examples:
  bar_timing --device 0000:15:00.0 --bar 0 --count 10 --write --svg bar0.svg
  bar_timing --file /dev/shm/buf --size 1M --csv]])
  p:option("--device", "PCI address of the device to test (DDDD:BB:DD.F)")
  p:option("--bar", "BAR number (0-5)"):convert(math.tointeger)
  p:option("--file", "time a file mapping (mmio.map) instead of a device")
  p:option("--count", "repetitions per measurement", "10"):convert(math.tointeger)
  p:option("--size", "bytes to transfer from the start of the BAR (default: all)")
  p:option("--methods", "comma-separated methods to run (default: all that apply)")
  p:flag("--write", "also time host-to-card writes (OVERWRITES the BAR)")
  p:flag("--csv", "print CSV instead of the text report")
  p:flag("--json", "print JSON instead of the text report")
  p:option("--svg", "also draw the comparison as an SVG bar chart into FILE")
  p:option("--scale", "SVG axis: auto, log or linear", "auto")
    :choices({ "auto", "log", "linear" })
  local a = p:parse()
  if a.file and (a.device or a.bar) then die("give either --file or --device/--bar, not both") end
  if not a.file and not a.device then
    die("name what to time: --device ADDR --bar N, or --file PATH (see --help)")
  end
  if a.device and not a.bar then die("--device needs --bar N (0-5)") end
  if a.bar and (a.bar < 0 or a.bar > 5) then die("--bar must be 0..5, got " .. a.bar) end
  if not a.count or a.count < 1 then die("--count must be a positive integer") end
  if a.csv and a.json then die("choose one of --csv and --json") end
  if a.size then
    local v, err = parse_size(a.size)
    if not v then die("--size " .. a.size .. ": " .. err) end
    if v <= 0 or v % 8 ~= 0 then
      die("--size must be a positive multiple of 8 bytes (the widest access), got " .. v)
    end
    a.size = v
  end
  return a
end

-- MARK: patterns and passes

-- The value written at byte offset o in a pass with this seed, for a width: it varies with
-- the offset (so misplaced or dropped writes show) and with the pass (so a stale pass shows).
local function value_at(o, seed, w)
  local v = (o * 0x9E3779B1) ~ seed
  if w == 64 then return v * 0x100000001 ~ seed end
  return v & ((1 << w) - 1)
end

-- The bytes a write pass of width w leaves in [0, size): what bar:compare checks against.
local function expected(w, seed, size)
  local n, fmt, parts = w // 8, w == 64 and "<i8" or "<I" .. (w // 8), {}
  local chunk = {}
  for o = 0, size - n, n do
    chunk[#chunk + 1] = string.pack(fmt, value_at(o, seed, w))
    if #chunk == 4096 then parts[#parts + 1] = table.concat(chunk); chunk = {} end
  end
  parts[#parts + 1] = table.concat(chunk)
  return table.concat(parts)
end

local function read_loop(b, w, size)
  local rd, n = b["read" .. w], w // 8
  for o = 0, size - n, n do rd(b, o) end
end

local function write_loop(b, w, size, seed)
  local wr, n = b["write" .. w], w // 8
  for o = 0, size - n, n do wr(b, o, value_at(o, seed, w)) end
end

-- A read from the device makes the CPU drain its write-combining buffers first (and PCIe
-- ordering makes the read complete after the posted writes): the "flushing read".
local function flush(b, size) b:read32(size - 4) end

local function stats(samples)
  local mn, mx, sum = math.huge, 0, 0
  for _, v in ipairs(samples) do
    mn, mx, sum = math.min(mn, v), math.max(mx, v), sum + v
  end
  return mn, sum / #samples, mx
end

-- Times one (path, direction) --count times. Returns a result row.
local function measure(b, method, path, dir, opts)
  local size, samples, corrupt = opts.size, {}, nil
  local w = math.tointeger(path:match("^(%d+)-bit$"))
  for pass = 1, opts.count do
    local seed = (pass * 0x3C6EF372 + (w or 0) * 0x1000193) & 0xffffffff
    local want
    if dir == "host-to-card" then want = expected(w or 32, seed, size) end
    local t0 = time.ns()
    if dir == "card-to-host" then
      if w then read_loop(b, w, size) else b:read(0, size) end
    else
      if w then write_loop(b, w, size, seed) else b:write(0, want) end
      if method.flush then flush(b, size) end
    end
    local dt = time.ns() - t0
    samples[#samples + 1] = size / (dt / 1e9) / 1e6
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
    local ok, b = pcall(mmio.map, a.file)
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
    local ok, b = pcall(pci.map, a.device, a.bar, m.wc and { wc = true } or nil)
    if not ok then return nil, tostring(b) end
    return b, function() b:unmap() end
  end
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
  b:read8(0) -- the first touch: some kernels reserve the memory type at the fault
  entry.pat = pat_types(b, mark)
  entry.mapping = tostring(b)
  local size = a.size or b.size
  if size > b.size then
    close()
    entry.status = "skipped"
    entry.reason = string.format("--size %d exceeds the BAR size %d", size, b.size)
    return
  end
  local opts = { size = size, count = a.count }
  report.size = size
  local saved = a.write and b:read(0, size) or nil
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
  if saved then b:write(0, saved) end
  close()
  entry.status = "measured"
end

-- MARK: output

local function target_line(report)
  local t = report.target
  if t.file then return string.format("file %s", t.file) end
  return string.format("%s BAR%d", t.device, t.bar)
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
  local f, err = io.open(path, "w")
  if not f then die("--svg: cannot write " .. path .. ": " .. tostring(err)) end
  f:write(svg)
  f:close()
end

-- MARK: main

local function main()
  local a = parse_args()
  local wanted = {}
  if a.methods then
    for name in a.methods:gmatch("[^,%s]+") do
      local known = false
      for _, m in ipairs(METHODS) do known = known or m.name == name end
      if not known then die("--methods: unknown method " .. name .. " (see --help)") end
      wanted[name] = true
    end
  end
  local report = { target = a.file and { file = a.file } or { device = a.device, bar = a.bar },
    count = a.count, write = a.write, methods = {}, state = {} }
  if a.device then
    local ok, info = pcall(pci.device, a.device)
    if not ok then die(tostring(info)) end
    local bar = info.bars[a.bar]
    if not bar then die(string.format("%s has no BAR%d", a.device, a.bar)) end
    if bar.io then die(string.format("%s BAR%d is an I/O port BAR: nothing to map", a.device, a.bar)) end
    report.target.device = info.addr
    report.target.prefetchable = bar.prefetchable
    report.target.bar_size = bar.size
    report.size = a.size or bar.size
    if a.write then
      warn(string.format("--write: OVERWRITING %s BAR%d (%d bytes); contents are saved and"
        .. " written back afterwards", info.addr, a.bar, a.size or bar.size))
    end
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
  local measured = 0
  for _, e in ipairs(report.methods) do
    if e.status == "measured" then measured = measured + 1 end
  end
  if a.csv then print_csv(report) elseif a.json then print_json(report) else print_text(report) end
  if a.svg then write_svg(report, a.svg, a.scale) end
  if report.corrupt then os.exit(1) end
  if measured == 0 then
    warn("no method could map the BAR (see the reasons above)")
    os.exit(1)
  end
  if report.unavailable then
    warn("a method named in --methods could not run (see its reason)")
    os.exit(1)
  end
end

main()
