#!/usr/bin/env barlua
-- scripts/pat_trace.lua as a user runs it in the guest: its --json facts (per-step events,
-- the PAT table, unavailable methods with their reason), its text output and its errors.
local t = require "barlua.test"
local cjson = require "cjson"

local kernel, mode = os.getenv("BARLUA_GUEST_KERNEL"), os.getenv("BARLUA_GUEST_MODE")
local edu, ivshmem = os.getenv("BARLUA_EDU"), os.getenv("BARLUA_IVSHMEM")
local nonviable = os.getenv("BARLUA_NONVIABLE_EDU")
if not (edu and ivshmem and kernel) then t.skip("not in the test bed guest (BARLUA_EDU unset)") end

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Runs pat_trace; returns stdout, stderr and the exit status.
local function pat_trace(args)
  local errfile = os.tmpname()
  local p = assert(io.popen("barlua scripts/pat_trace.lua " .. args .. " 2>" .. q(errfile)))
  local out = p:read("a")
  local _, _, status = p:close()
  local f = assert(io.open(errfile))
  local err = f:read("a")
  f:close()
  os.remove(errfile)
  return out, err, status
end

local function json_run(args)
  local out, err, status = pat_trace(args .. " --json")
  local why = status ~= 0 and (": " .. err) or ""
  t.is(status, 0, "pat_trace " .. args .. " --json exits 0" .. why)
  local ok, facts = pcall(cjson.decode, out)
  t.ok(ok, "its output is JSON")
  return ok and facts or { methods = {} }
end

local function kinds(step)
  local list = {}
  for _, e in ipairs(step.events) do list[#list + 1] = e.kind end
  return table.concat(list, ",")
end

local function by_method(facts)
  local map = {}
  for _, m in ipairs(facts.methods) do map[m.method] = m end
  return map
end

-- edu: every method by default; VFIO's events per kernel, sysfs, and sysfs-wc unavailable.
local facts = json_run("--device " .. edu)
t.is(facts.device, edu, "facts name the device")
t.is(facts.debugpat, true, "facts say debugpat is on")
t.ok(type(facts.kernel) == "string" and facts.kernel:find("^" .. kernel:gsub("%.", "%%.")),
  "facts name the kernel " .. tostring(facts.kernel))
local m = by_method(facts)
t.is(#facts.methods, 3, "three methods reported for edu BAR0")
-- The steps' events of each pattern; the kernel's pattern is its row's in scripts/testbed/kernels.tsv.
local PATTERN = require("kernels").pattern(kernel)
local WANT = { ["the 4.18/6.1 pattern"] = "|reserve|overlap,reserve||free|free",
  ["the 6.12 pattern"] = "|reserve||||free", ["the 7.2 pattern"] = "reserve|||||free" }
local want = WANT[PATTERN] or "(no measured expectation for kernel " .. kernel .. ")"
local vfio_steps = {}
for i, s in ipairs(m.vfio and m.vfio.steps or {}) do vfio_steps[i] = kinds(s) end
t.is(table.concat(vfio_steps, "|"), want, "vfio steps open..close give " .. want)
t.is(m.vfio and m.vfio.first, "0xfea00000", "BAR0 range first as hex")
t.is(m.vfio and m.vfio.steps[2].memtype[1].type, "uncached-minus", "PAT table after mmap")
-- The second access logs nothing on every kernel measured.
t.ok(m.vfio and type(m.vfio.steps[4].events) == "table" and next(m.vfio.steps[4].events) == nil,
  "an empty event list is a JSON list")
local sysfs_steps = {}
for i, s in ipairs(m.sysfs and m.sysfs.steps or {}) do sysfs_steps[i] = kinds(s) end
t.is(table.concat(sysfs_steps, "|"), "|reserve|||free|",
  "sysfs steps: reserve at mmap, free at munmap")
t.is(m["sysfs-wc"] and m["sysfs-wc"].available, false, "sysfs-wc is unavailable for edu BAR0")
t.ok(m["sysfs-wc"] and m["sysfs-wc"].unavailable:find("not prefetchable", 1, true),
  "with its reason")
t.ok(m["sysfs-wc"] and m["sysfs-wc"].unavailable:find("has no resource0_wc", 1, true),
  "the reason is the missing file: " .. tostring(m["sysfs-wc"] and m["sysfs-wc"].unavailable))

-- The wc fact pat_trace decides by is the kernel's own: resourceN_wc exists where it allows
-- write-combining (ivshmem's prefetchable BAR2), and not elsewhere.
local function wc_file(addr, n)
  return os.execute("test -e " .. q("/sys/bus/pci/devices/" .. addr .. "/resource" .. n .. "_wc")) == true
end
for _, c in ipairs { { ivshmem, 2, true }, { ivshmem, 0, false }, { edu, 0, false } } do
  local addr, n, wc = c[1], c[2], c[3]
  local b = pci.device(addr).bars[n]
  t.is(b and b.wc, wc, addr .. " BAR" .. n .. " wc")
  t.is(wc_file(addr, n), wc, addr .. " BAR" .. n .. ": resource" .. n .. "_wc exists: " .. tostring(wc))
end

-- ivshmem BAR2 through resource2_wc: write-combining in the events and in the PAT table.
facts = json_run("--device " .. ivshmem .. " --bar 2 --method sysfs-wc")
m = by_method(facts)
t.is(#facts.methods, 1, "only the method asked for")
local mmap = m["sysfs-wc"] and m["sysfs-wc"].steps[2] or { events = {} }
t.is(mmap.events[1] and mmap.events[1].req, "write-combining", "resource2_wc asks write-combining")
t.is(mmap.events[1] and mmap.events[1].ret, "write-combining", "and gets it")
t.is(mmap.memtype and mmap.memtype[1] and mmap.memtype[1].type, "write-combining",
  "the PAT table lists ivshmem BAR2 write-combining")
t.ok(m["sysfs-wc"] and m["sysfs-wc"].verdict:find("mapped BAR2 write%-combining"),
  "verdict: " .. tostring(m["sysfs-wc"] and m["sysfs-wc"].verdict))

-- The non-viable edu (behind a bridge with a virtio device): no VFIO under type1, but sysfs
-- works; under noiommu every group is viable.
facts = json_run("--device " .. nonviable .. " --method vfio --method sysfs")
m = by_method(facts)
if mode == "type1" then
  t.is(m.vfio and m.vfio.available, false, "vfio is unavailable for the non-viable edu")
  t.ok(m.vfio and m.vfio.unavailable:find("not viable", 1, true),
    "with the viability error: " .. tostring(m.vfio and m.vfio.unavailable))
else
  t.is(m.vfio and m.vfio.available, true, "vfio maps the edu behind the bridge under noiommu")
end
t.is(m.sysfs and m.sysfs.available, true, "sysfs maps the non-viable edu")

-- Text output: one verdict per traced method, the unavailable one with its reason.
local out, err, status = pat_trace("--device " .. edu)
t.is(status, 0, "text run exits 0")
local verdicts = select(2, out:gsub("\n  verdict: ", ""))
t.is(verdicts, 2, "two verdicts (vfio, sysfs)")
t.ok(out:find("== BAR0 via sysfs-wc: unavailable: BAR0 is not prefetchable", 1, true),
  "sysfs-wc reported unavailable with its reason")
t.ok(PATTERN and out:find("This is " .. PATTERN .. ".", 1, true),
  kernel .. ": the verdict names " .. tostring(PATTERN))
t.is(err, "", "nothing on stderr")

-- Errors: no --device lists vfio.devices(); a BAR the device lacks.
err, status = select(2, pat_trace(""))
t.ok(status ~= 0, "no --device: non-zero exit")
t.ok(err:find("--device is required", 1, true) and err:find(edu, 1, true)
  and err:find("vfio.devices()", 1, true), "no --device: names the vfio-pci devices: " .. err)
err, status = select(2, pat_trace("--device " .. edu .. " --bar 1"))
t.ok(status ~= 0, "--bar 1 on edu: non-zero exit")
t.ok(err:find("has no memory BAR1 (memory BARs: BAR0)", 1, true), "--bar 1 on edu: " .. err)

t.done()
