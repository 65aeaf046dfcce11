#!/usr/bin/env barlua
-- PAT observation: which kernel-log events each step of a BAR mapping causes, as
-- scripts/lib/pattrace.lua (pat_trace's core) collects them, asserted on the events.
-- The pattern each guest kernel must show is its row's in scripts/testbed/kernels.tsv; the
-- events each pattern has, step by step, are written out below (independently of pattrace):
--   "the 4.18/6.1 pattern": VFIO reserves at mmap, Overlap + a second reserve at the first
--        access, frees at munmap and at close (the seed's pattern);
--   "the 6.12 pattern": reserve at mmap, free at close;
--   "the 7.2 pattern": reserve at open (vfio.open), free at close: mmap and the accesses log
--        nothing.
--   sysfs (resourceN / resourceN_wc): reserve at mmap, free at munmap on every kernel.
-- Noise written to /dev/kmsg around every step (in-range lines before the mark, other
-- addresses and plain text inside the step) must stay out of the step's events.
local t = require "barlua.test"
local pattrace = require "pattrace"

local kernel = os.getenv("BARLUA_GUEST_KERNEL")
local edu, ivshmem = os.getenv("BARLUA_EDU"), os.getenv("BARLUA_IVSHMEM")
if not (edu and ivshmem and kernel) then t.skip("not in the test bed guest (BARLUA_EDU unset)") end

t.ok(pat.enabled(), "the bed boots with debugpat")

-- debugfs: the bed's /init mounts it; mount it here when it is not (the test runs as root).
local function memtype_readable() return (pcall(pat.memtype_list)) end
if not memtype_readable() then
  os.execute("mount -t debugfs none /sys/kernel/debug")
end
t.ok(memtype_readable(), "pat.memtype_list() reads /sys/kernel/debug/x86/pat_memtype_list")

local function kmsg(line)
  local f = assert(io.open("/dev/kmsg", "w"))
  f:write(line, "\n")
  f:close()
end

-- Write-through is never what a BAR mapping asks for: it marks the noise.
local NOISE_TYPE = "write-through"
local function noise_reserve(first, last)
  kmsg(string.format("x86/PAT: memtype_reserve added [mem 0x%08x-0x%08x], track %s, req %s, ret %s",
    first, last, NOISE_TYPE, NOISE_TYPE, NOISE_TYPE))
end
local OTHER = { 0x7ff00000, 0x7ff00fff } -- an address no device of the bed decodes
local noise = {
  before = function(_, r) noise_reserve(r.first, r.last) end,
  after = function(step)
    noise_reserve(OTHER[1], OTHER[2])
    kmsg(string.format("x86/PAT: memtype_free request [mem 0x%08x-0x%08x]", OTHER[1], OTHER[2]))
    kmsg("pattrace test: plain text during step " .. step)
  end,
}

local function kinds(events)
  local list = {}
  for _, e in ipairs(events) do list[#list + 1] = e.kind end
  return table.concat(list, ",")
end

local function step_kinds(r)
  local map = {}
  for _, s in ipairs(r.steps) do map[s.name] = kinds(s.events) end
  return map
end

local EXPECTED = {
  vfio = {
    ["the 4.18/6.1 pattern"] = { open = "", mmap = "reserve", ["first access"] = "overlap,reserve",
      ["second access"] = "", munmap = "free", close = "free" },
    ["the 6.12 pattern"] = { open = "", mmap = "reserve", ["first access"] = "", ["second access"] = "",
      munmap = "", close = "free" },
    ["the 7.2 pattern"] = { open = "reserve", mmap = "", ["first access"] = "", ["second access"] = "",
      munmap = "", close = "free" },
  },
  sysfs = { open = "", mmap = "reserve", ["first access"] = "", ["second access"] = "",
    munmap = "free", close = "" },
}

-- Every event of every step covers the BAR (page-rounded) and none is noise.
local function check_events(r, label)
  local bad = {}
  for _, s in ipairs(r.steps) do
    for _, e in ipairs(s.events) do
      local covers = math.ult(e.first, r.first + 1) and not math.ult(e.last, r.last)
      if not covers or e.track == NOISE_TYPE or e.kind == "other" then
        bad[#bad + 1] = s.name .. ": " .. e.text
      end
    end
  end
  t.is(table.concat(bad, "\n"), "", label .. ": every step event covers the BAR, no noise")
end

-- The noise was really logged, parseable and in range: only `since` kept it out.
local function check_noise_logged(start, r, label)
  local in_range, other = 0, 0
  for _, e in ipairs(pat.events { since = start, range = { r.first, r.last } }) do
    if e.track == NOISE_TYPE then in_range = in_range + 1 end
  end
  for _, e in ipairs(pat.events { since = start }) do
    if e.first == OTHER[1] then other = other + 1 end
  end
  t.is(in_range, #pattrace.STEPS, label .. ": one in-range noise reserve per step was logged")
  t.is(other, 2 * #pattrace.STEPS, label .. ": two other-address noise events per step were logged")
end

local function memtype_types(step)
  local list = {}
  for _, m in ipairs(step.memtype or {}) do list[#list + 1] = m.type end
  return table.concat(list, ",")
end

local function trace(addr, bar, method, want, want_type, label)
  local start = pat.mark()
  local r = pattrace.trace(addr, bar, method, { hooks = noise })
  t.is(r.unavailable, nil, label .. ": traced")
  local got = step_kinds(r)
  for _, name in ipairs(pattrace.STEPS) do
    t.is(got[name], want[name], string.format("%s: %s gives [%s]", label, name, want[name]))
  end
  check_events(r, label)
  check_noise_logged(start, r, label)
  local steps = {}
  for _, s in ipairs(r.steps) do steps[s.name] = s end
  local reserve = steps.mmap and steps.mmap.events[1]
  -- The first reserve: at mmap, or at open where the kernel reserves then ("the 7.2 pattern").
  if not reserve and steps.open then reserve = steps.open.events[1] end
  t.is(reserve and reserve.ret, want_type, label .. ": reserve ret " .. want_type)
  t.is(reserve and reserve.req, want_type, label .. ": reserve req " .. want_type)
  t.is(memtype_types(steps.mmap), want_type,
    label .. ": PAT table lists the mapped BAR " .. want_type)
  t.is(memtype_types(steps.close), "", label .. ": PAT table has no entry after close")
  t.is(r.memtype_error, nil, label .. ": PAT table was readable at every step")
  return r
end

-- The pattern each kernel showed, as pat_trace's verdict names it.
local PATTERN = require("kernels").pattern(kernel) -- the kernel's row in scripts/testbed/kernels.tsv
local vfio_want = PATTERN and EXPECTED.vfio[PATTERN]
t.ok(vfio_want, "kernel " .. kernel .. " has a row in scripts/testbed/kernels.tsv naming a pattern with "
  .. "measured VFIO expectations: " .. tostring(PATTERN))
for _, case in ipairs { { edu, 0, "edu BAR0" }, { ivshmem, 2, "ivshmem BAR2" } } do
  local addr, bar, name = table.unpack(case)
  local r = trace(addr, bar, "vfio", vfio_want or {}, "uncached-minus", name .. " vfio")
  local verdict = pattrace.verdict(r, true)
  local want = "This is " .. tostring(PATTERN) .. "."
  t.ok(verdict:sub(-#want) == want, name .. ": verdict ends '" .. want .. "': " .. verdict)
end

-- sysfs after VFIO closed; write-combining where the BAR is prefetchable.
trace(edu, 0, "sysfs", EXPECTED.sysfs, "uncached-minus", "edu BAR0 sysfs")
trace(ivshmem, 2, "sysfs", EXPECTED.sysfs, "uncached-minus", "ivshmem BAR2 sysfs")
trace(ivshmem, 2, "sysfs-wc", EXPECTED.sysfs, "write-combining", "ivshmem BAR2 sysfs-wc")

-- Unavailable methods are reported with their reason, not raised.
local r = pattrace.trace(edu, 0, "sysfs-wc")
t.ok(r.unavailable and r.unavailable:find("not prefetchable and has no resource0_wc", 1, true),
  "edu BAR0 sysfs-wc is unavailable: " .. tostring(r.unavailable))
t.is(#r.steps, 0, "an unavailable method runs no step")

-- Why the sysfs methods run after VFIO closed: once VFIO has mapped the BAR it owns the range
-- (vfio-pci requests it at the first mmap and releases it at close), and the sysfs mmap fails
-- with EINVAL until the device is closed.
local function einval(err)
  local text = tostring(err)
  return text:find("EINVAL", 1, true) ~= nil or text:find("Invalid argument", 1, true) ~= nil
end
do
  local dev <close> = vfio.open(ivshmem)
  local vbar = dev:map(2)
  vbar:read32(0)
  local ok, err = pcall(pci.map, ivshmem, 2, { wc = true })
  t.ok(not ok and einval(err),
    "resource2_wc while VFIO maps BAR2 fails with EINVAL: " .. tostring(err))
  vbar:unmap()
  ok, err = pcall(pci.map, ivshmem, 2, { wc = true })
  t.ok(not ok and einval(err),
    "resource2_wc after VFIO's munmap, device still open, fails with EINVAL: " .. tostring(err))
end
local ok, bar = pcall(pci.map, ivshmem, 2, { wc = true })
t.ok(ok, "resource2_wc maps once the VFIO device is closed: " .. tostring(bar))
if ok then bar:unmap() end

t.done()
