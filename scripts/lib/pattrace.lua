-- pattrace: step one BAR mapping through open, mmap, two accesses, munmap and close, and
-- collect the x86 PAT events each step caused (the debugger session of the seed's
-- bar_memory_mapping_notes.txt, as a program). scripts/pat_trace.lua is its command line;
-- Tests/guest/5x-pat*.lua assert on the events it returns.
--
--   local pattrace = require "pattrace"
--   local r = pattrace.trace("0000:00:03.0", 0, "vfio")
--   for _, s in ipairs(r.steps) do print(s.name, #s.events) end
--   print(pattrace.verdict(r))
--
-- Only reads: the two accesses are 32-bit reads at offset 0; nothing is written to the device.
local script = require "barlua.script"

local M = {}

M.STEPS = { "open", "mmap", "first access", "second access", "munmap", "close" }
M.METHODS = { "vfio", "sysfs", "sysfs-wc" }

-- The patterns each method's steps were measured to log (Tests/BarluaCoreTests/Fixtures/pat:
-- the seed note's 4.18, and qemu-6.1-*, qemu-6.12-*, qemu-7.2-* captured in the test bed).
-- Each step lists its event kinds in order. A verdict names the pattern whose events match,
-- whatever kernel it runs on: the events decide, the version in a name only says where the
-- pattern was first seen.
local function pattern(name, seen, steps)
  for _, step in ipairs(M.STEPS) do steps[step] = steps[step] or {} end
  return { name = name, seen = seen, steps = steps }
end
M.PATTERNS = {
  vfio = {
    pattern("the 4.18/6.1 pattern", "4.18 (the seed's FPGA), 6.1", {
      ["mmap"] = { "reserve" }, ["first access"] = { "overlap", "reserve" },
      ["munmap"] = { "free" }, ["close"] = { "free" },
    }),
    pattern("the 6.12 pattern", "6.12", { ["mmap"] = { "reserve" }, ["close"] = { "free" } }),
    pattern("the 7.2 pattern", "7.2", { ["open"] = { "reserve" }, ["close"] = { "free" } }),
  },
  sysfs = {
    pattern("the sysfs pattern of 6.1, 6.12 and 7.2", "6.1, 6.12, 7.2",
      { ["mmap"] = { "reserve" }, ["munmap"] = { "free" } }),
  },
}
M.PATTERNS["sysfs-wc"] = M.PATTERNS.sysfs

local function hex(v) return string.format("0x%x", v) end
M.hex = hex


-- Unsigned comparison: BARs above 2^63 are negative Lua integers.
local function ule(a, b) return math.ult(a, b) or a == b end

local function overlaps(first, last, lo, hi) return ule(first, hi) and ule(lo, last) end

local message = script.message

-- The memory BARs of a device-info table, in index order.
function M.memory_bars(info)
  local list = {}
  for i = 0, 5 do
    local b = info.bars[i]
    if b and not b.io then list[#list + 1] = b end
  end
  return list
end

-- The BARs to trace by default: every BAR VFIO says it can mmap when the device is bound to
-- vfio-pci, else every memory BAR (sysfs resource files map any memory BAR).
function M.default_bars(info, deps)
  deps = deps or {}
  local vfio_mod = deps.vfio or vfio
  local bars = M.memory_bars(info)
  if info.driver ~= "vfio-pci" then return bars end
  local ok, regions = pcall(function()
    local dev <close> = vfio_mod.open(info.addr)
    return dev:regions()
  end)
  if not ok then return bars end
  local mmap = {}
  for _, r in ipairs(regions) do
    local n = r.name:match("^BAR(%d)$")
    if n and r.mmap and r.size > 0 then mmap[tonumber(n)] = true end
  end
  local list = {}
  for _, b in ipairs(bars) do
    if mmap[b.index] then list[#list + 1] = b end
  end
  return list
end

-- Why `method` cannot map BAR `b` of `info`, or nil when it may be tried.
function M.unavailable(info, b, method)
  if method == "vfio" and info.driver ~= "vfio-pci" then
    -- vfio.open refuses such a device before touching it, in the core's words (with the bind
    -- and unbind steps); the rule is not retyped here.
    local ok, dev = pcall(vfio.open, info.addr)
    if ok then
      dev:close()
      return nil
    end
    return (message(dev):gsub("^vfio%.open: ", ""))
  end
  -- b.wc: sysfs has resourceN_wc, the file the kernel creates only where it allows
  -- write-combining (pci.device reads it; the rule is not retyped here).
  if method == "sysfs-wc" and not b.wc then
    return string.format("BAR%d %shas no resource%d_wc: the kernel offers no write-combining "
      .. "mapping of it", b.index, b.prefetchable and "" or "is not prefetchable and ", b.index)
  end
  return nil
end

-- One step: mark the log, act, then keep the PAT events that followed and overlap the BAR.
-- hooks.before(step) runs before the mark and hooks.after(step) after the action (tests write
-- unrelated kernel-log lines there to show `since` and `range` keep them out).
local function run_step(ctx, name, action, fn)
  local step = { name = name, action = action, events = {} }
  if ctx.hooks.before then ctx.hooks.before(name, ctx.result) end
  local mark = ctx.pat.mark()
  local ok, err = pcall(fn, step)
  if not ok then step.error = message(err) end
  if ctx.hooks.after then ctx.hooks.after(name, ctx.result) end
  step.events = ctx.pat.events { since = mark, range = { ctx.result.first, ctx.result.last } }
  if ctx.memtype then
    local lok, list = pcall(ctx.pat.memtype_list)
    if lok then
      step.memtype = {}
      for _, e in ipairs(list) do
        if overlaps(e.first, e.last, ctx.result.first, ctx.result.last) then
          step.memtype[#step.memtype + 1] = { first = e.first, last = e.last, type = e.type }
        end
      end
    else
      ctx.result.memtype_error = message(list)
      ctx.memtype = false
    end
  end
  ctx.result.steps[#ctx.result.steps + 1] = step
  return ok
end

local function new_result(info, b, method)
  return {
    addr = info.addr, bar = b.index, method = method, first = b.base,
    last = b.base + b.size - 1, size = b.size, prefetchable = b.prefetchable, steps = {},
  }
end

-- The VFIO steps: vfio.open, device:map, two reads, bar:unmap, device:close.
local function trace_vfio(ctx, n)
  local addr = ctx.result.addr
  local dev, bar
  if not run_step(ctx, "open", string.format("vfio.open(%q)", addr), function()
    dev = ctx.vfio.open(addr)
  end) then
    ctx.result.unavailable = ctx.result.steps[1].error
    return
  end
  run_step(ctx, "mmap", string.format("device:map(%d)", n), function() bar = dev:map(n) end)
  if bar then
    for _, name in ipairs { "first access", "second access" } do
      run_step(ctx, name, "bar:read32(0)", function(step) step.value = bar:read32(0) end)
    end
    run_step(ctx, "munmap", "bar:unmap()", function() bar:unmap() end)
  else
    ctx.result.failed = ctx.result.steps[#ctx.result.steps].error
  end
  run_step(ctx, "close", "device:close()", function() dev:close() end)
end

-- The sysfs steps: pci.map opens resourceN[_wc], mmaps it and closes the file itself, so
-- "open" and "close" do nothing (their empty event lists are measured all the same).
local function trace_sysfs(ctx, n, wc)
  local addr = ctx.result.addr
  local bar
  run_step(ctx, "open", "nothing: pci.map opens the resource file itself", function() end)
  local call = string.format("pci.map(%q, %d%s)", addr, n, wc and ", {wc=true}" or "")
  if not run_step(ctx, "mmap", call, function()
    bar = ctx.pci.map(addr, n, wc and { wc = true } or nil)
  end) then
    ctx.result.unavailable = ctx.result.steps[2].error
    ctx.result.steps = {}
    ctx.result.memtype_error = nil
    return
  end
  for _, name in ipairs { "first access", "second access" } do
    run_step(ctx, name, "bar:read32(0)", function(step) step.value = bar:read32(0) end)
  end
  run_step(ctx, "munmap", "bar:unmap()", function() bar:unmap() end)
  run_step(ctx, "close", "nothing: the resource file was closed after mmap", function() end)
end

-- Steps BAR `n` of the device at `addr` through `method` ("vfio", "sysfs", "sysfs-wc").
-- opts.hooks = {before=, after=}; opts.memtype = false skips pat.memtype_list();
-- opts.pat/vfio/pci replace the modules (default: the global ones).
-- Returns {addr, bar, method, first, last, size, prefetchable, steps = {{name, action, events,
-- memtype, value, error}...}, unavailable = reason, failed = reason, memtype_error = reason}.
-- pat.mark()/pat.events() errors (e.g. /dev/kmsg unreadable) are raised.
function M.trace(addr, n, method, opts)
  opts = opts or {}
  local pci_mod = opts.pci or pci
  local info = pci_mod.device(addr)
  local b = info.bars[n]
  if not b or b.io then
    error(string.format("%s has no memory BAR%d", info.addr, n), 2)
  end
  local result = new_result(info, b, method)
  local reason = M.unavailable(info, b, method)
  if reason then
    result.unavailable = reason
    return result
  end
  local ctx = {
    result = result, hooks = opts.hooks or {}, pat = opts.pat or pat, vfio = opts.vfio or vfio,
    pci = pci_mod, memtype = opts.memtype ~= false,
  }
  if method == "vfio" then
    trace_vfio(ctx, n)
  elseif method == "sysfs" or method == "sysfs-wc" then
    trace_sysfs(ctx, n, method == "sysfs-wc")
  else
    error("unknown method " .. tostring(method) .. " (known: vfio, sysfs, sysfs-wc)", 2)
  end
  return result
end

-- The step lists of a result by name ({} for a step that did not run).
local function by_name(result)
  local map = {}
  for _, s in ipairs(result.steps) do map[s.name] = s end
  return map
end

local function kinds(events)
  local list = {}
  for _, e in ipairs(events) do list[#list + 1] = e.kind end
  return list
end

local function same(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do
    if a[i] ~= b[i] then return false end
  end
  return true
end

local function kinds_text(list)
  if #list == 0 then return "no event" end
  local words = {}
  for _, k in ipairs(list) do words[#words + 1] = k == "overlap" and "Overlap" or k end
  return table.concat(words, " + ")
end

-- The span of an event as words: "the whole BAR" or its addresses.
-- A BAR smaller than a page is reserved page-rounded: still the whole BAR.
local function span(result, e)
  if e.first == result.first and e.last == result.last then return "the whole BAR" end
  local range = string.format("%s-%s", hex(e.first), hex(e.last))
  if ule(e.first, result.first) and ule(result.last, e.last) then
    return "the whole BAR (" .. range .. ", page-rounded)"
  end
  return range
end

-- What one step's events did, in words ("reserved the whole BAR uncached-minus").
local function describe_step(result, step, reserved_before)
  local events = step.events
  if #events == 0 then return "caused no PAT event" end
  local parts, i = {}, 1
  local access = step.name:match("access$")
  while i <= #events do
    local e, nxt = events[i], events[i + 1]
    if e.kind == "overlap" and nxt and nxt.kind == "reserve" then
      local what = access and "faulted %s in (Overlap + second reserve%s)"
        or "reserved %s again over an existing reservation (Overlap + reserve%s)"
      local typ = nxt.ret and (", " .. nxt.ret) or ""
      parts[#parts + 1] = string.format(what, span(result, nxt), typ)
      i = i + 2
    else
      if e.kind == "reserve" then
        local text = string.format(
          "%s %s %s", access and "faulted in and reserved" or "reserved", span(result, e),
          e.ret or "?")
        if e.req and e.ret and e.req ~= e.ret then
          text = text .. string.format(" (asked %s)", e.req)
        end
        if reserved_before then text = text .. " a second time" end
        parts[#parts + 1] = text
        reserved_before = true
      elseif e.kind == "free" then
        local where = span(result, e)
        parts[#parts + 1] = where:match("^the whole BAR") and "freed it" or ("freed " .. where)
      elseif e.kind == "conflict" then
        parts[#parts + 1] = string.format(
          "hit a conflict (asked %s, held %s)", e.req or "?", e.track or "?")
      elseif e.kind == "overlap" then
        parts[#parts + 1] = "found an overlapping reservation"
      else
        parts[#parts + 1] = string.format("logged %s (%s)", e.kind, e.text or "")
      end
      i = i + 1
    end
  end
  return table.concat(parts, ", then ")
end

local LABEL = { vfio = "VFIO", sysfs = "sysfs resource%d", ["sysfs-wc"] = "sysfs resource%d_wc" }

-- The memory type of the mapping: the first reservation's answer (ret).
local function mapped_type(result)
  for _, s in ipairs(result.steps) do
    for _, e in ipairs(s.events) do
      if e.kind == "reserve" and e.ret then return e.ret end
    end
  end
  return nil
end

-- The types the PAT table listed for the BAR while it was mapped (after mmap/accesses).
local function table_types(result)
  local seen, list = {}, {}
  for _, s in ipairs(result.steps) do
    if s.memtype and (s.name == "mmap" or s.name:match("access$")) then
      for _, m in ipairs(s.memtype) do
        if not seen[m.type] then
          seen[m.type] = true
          list[#list + 1] = m.type
        end
      end
    end
  end
  return list
end

-- A verdict in plain words, from the events alone: what each step did, whether reservations
-- and frees balance, and whether this matches the reference pattern of the method.
-- `debugpat` (optional) is pat.enabled(): when false and nothing was logged, says why.
function M.verdict(result, debugpat)
  local who = string.format(LABEL[result.method] or result.method, result.bar)
  if result.unavailable then
    return string.format("%s: not traced: %s", who, result.unavailable)
  end
  local steps = by_name(result)
  local sentences = {}
  local typ = mapped_type(result)
  local head
  if typ then
    head = string.format("%s mapped BAR%d %s", who, result.bar, typ)
  else
    head = string.format("%s mapped BAR%d, but the kernel logged no PAT reservation for it", who,
      result.bar)
    if debugpat == false then
      head = head .. " (debugpat is off, so it logs none)"
    end
  end
  local listed = table_types(result)
  if #listed > 0 then
    head = head .. string.format(" (the PAT table listed it %s)", table.concat(listed, ", "))
  end
  local parts = { head }
  local reserved = false
  local reserves, frees = 0, 0
  for _, name in ipairs(M.STEPS) do
    local s = steps[name]
    if s then
      local quiet = #s.events == 0 and (name == "open" or name == "second access"
        or (name == "close" and result.method ~= "vfio"))
      if not quiet then
        parts[#parts + 1] = string.format("%s %s", name == "open" and "open"
          or name:match("access$") and ("the " .. name) or name, describe_step(result, s, reserved))
      end
      if s.error then parts[#parts + 1] = string.format("%s failed: %s", name, s.error) end
      for _, e in ipairs(s.events) do
        if e.kind == "reserve" then
          reserved = true
          reserves = reserves + 1
        elseif e.kind == "free" then
          frees = frees + 1
        end
      end
    end
  end
  sentences[1] = table.concat(parts, "; ") .. "."
  if reserves + frees > 0 then
    sentences[#sentences + 1] = string.format("%d reserve%s, %d free%s: %s.", reserves,
      reserves == 1 and "" or "s", frees, frees == 1 and "" or "s",
      reserves == frees and "nothing left reserved"
        or (reserves > frees and (reserves - frees) .. " still reserved after close")
        or "more frees than reserves")
  end
  local known = M.PATTERNS[result.method]
  if known and typ then
    local function differences(ref)
      local diffs = {}
      for _, name in ipairs(M.STEPS) do
        local want = ref.steps[name]
        local got = steps[name] and kinds(steps[name].events) or {}
        if not same(got, want) then
          diffs[#diffs + 1] = string.format("%s gave %s instead of %s", name, kinds_text(got),
            kinds_text(want))
        end
      end
      return diffs
    end
    local closest, closest_diffs
    for _, ref in ipairs(known) do
      local diffs = differences(ref)
      if #diffs == 0 then
        closest, closest_diffs = ref, diffs
        break
      end
      if not closest or #diffs < #closest_diffs then closest, closest_diffs = ref, diffs end
    end
    if #closest_diffs == 0 then
      sentences[#sentences + 1] = string.format("This is %s.", closest.name)
    else
      local names = {}
      for _, ref in ipairs(known) do names[#names + 1] = ref.name end
      local shape = {}
      for _, name in ipairs(M.STEPS) do
        if #closest.steps[name] > 0 then
          shape[#shape + 1] = kinds_text(closest.steps[name]) .. " at " .. name
        end
      end
      sentences[#sentences + 1] = string.format(
        "This is none of the known patterns (%s); the closest, %s (%s), differs: %s.",
        table.concat(names, ", "), closest.name, table.concat(shape, ", "),
        table.concat(closest_diffs, "; "))
    end
  end
  return table.concat(sentences, " ")
end

-- Plain tables for JSON: addresses as hex strings (64-bit BARs above 2^63 stay readable).
function M.event_facts(e)
  return {
    kind = e.kind, first = hex(e.first), last = hex(e.last), track = e.track, req = e.req,
    ret = e.ret, expected = e.expected, got = e.got, seq = e.seq, time = e.time, text = e.text,
  }
end

function M.facts(result, debugpat)
  local steps = {}
  for i, s in ipairs(result.steps) do
    local events = {}
    for j, e in ipairs(s.events) do events[j] = M.event_facts(e) end
    local memtype
    if s.memtype then
      memtype = {}
      for j, m in ipairs(s.memtype) do
        memtype[j] = { first = hex(m.first), last = hex(m.last), type = m.type }
      end
    end
    steps[i] = {
      step = s.name, action = s.action, events = events, memtype = memtype,
      value = s.value and hex(s.value), error = s.error,
    }
  end
  return {
    method = result.method, bar = result.bar, first = hex(result.first),
    last = hex(result.last), size = result.size, available = result.unavailable == nil,
    unavailable = result.unavailable, failed = result.failed,
    memtype_error = result.memtype_error, steps = steps, verdict = M.verdict(result, debugpat),
  }
end

-- JSON text of `facts` through lua-cjson. cjson 2.1.0 (Debian 12) writes an empty table as
-- {}; every table in the facts is either non-empty or an empty list (no events), so empty
-- tables become a marker string first and `[]` in the text.
function M.json(cjson, facts)
  local marker = "\0pattrace-empty-list\0"
  local function lists(v)
    if type(v) ~= "table" then return v end
    if next(v) == nil then return marker end
    local copy = {}
    for k, x in pairs(v) do copy[k] = lists(x) end
    return copy
  end
  local text = cjson.encode(lists(facts))
  local quoted = cjson.encode(marker)
  return (text:gsub(quoted:gsub("%p", "%%%0"), "[]"))
end

return M
