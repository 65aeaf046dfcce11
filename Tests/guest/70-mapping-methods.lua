#!/usr/bin/env barlua
-- Mapping methods: ivshmem BAR2 through VFIO, sysfs resource2 and resource2_wc, the
-- PAT memory type each one really gets, the refusals (resource2_wc while VFIO holds the BAR;
-- edu BAR0 has no _wc; VFIO write-combining on kernels without the DMABUF memory attribute),
-- and bar_timing.lua end to end with every write verified.
local t = require "barlua.test"
local cjson = require "cjson"

local ivshmem, edu = os.getenv("BARLUA_IVSHMEM"), os.getenv("BARLUA_EDU")
local kernel = os.getenv("BARLUA_GUEST_KERNEL") or "?"
if not ivshmem or not edu then t.skip("not in the test bed (BARLUA_IVSHMEM/BARLUA_EDU unset)") end

-- pat_memtype_list lives in debugfs; the guest's chroot may not have it mounted.
if not io.open("/sys/kernel/debug/x86/pat_memtype_list") then
  os.execute("mount -t debugfs none /sys/kernel/debug 2>/dev/null")
end

local NOT_OFFERED = "write-combining through VFIO is not offered: no released kernel defines"

local function errmsg(f, ...)
  local ok, e = pcall(f, ...)
  if ok then return nil end
  return tostring(e)
end

local function has(text, piece) return text ~= nil and text:find(piece, 1, true) ~= nil end

-- The memory type of the last PAT reserve since `mark` overlapping the bar.
local function reserved_type(mark, b)
  local ret
  for _, e in ipairs(pat.events({ since = mark, range = b })) do
    if e.kind == "reserve" then ret = e.ret end
  end
  return ret
end

-- The types pat_memtype_list gives for ranges overlapping the bar.
local function listed_types(b)
  local found = {}
  local last = b.base + b.size - 1
  for _, m in ipairs(pat.memtype_list()) do
    if math.ult(m.first, last + 1) and math.ult(b.base, m.last + 1) then found[m.type] = true end
  end
  return found
end

t.ok(pat.enabled(), "the guest kernel runs with debugpat")
local list_ok = pcall(pat.memtype_list)
t.ok(list_ok, "pat_memtype_list is readable (debugfs mounted)")

-- 1. VFIO: uncached-minus, and no write-combining through VFIO on these kernels.
-- Kernels of "the 7.2 pattern" reserve the BAR when the device is opened, the others at mmap
-- (50-pat.lua steps through it): the mark is taken before the open, and where the reserve came
-- is checked too.
local mark = pat.mark()
local dev = vfio.open(ivshmem)
local opened = pat.mark()
local vb = dev:map(2)
t.is(vb.method, "vfio", "VFIO maps ivshmem BAR2 with method vfio")
t.is(vb.prefetchable, true, "ivshmem BAR2 is prefetchable")
vb:write32(0, 0x70c0ffee)
t.is(reserved_type(mark, vb), "uncached-minus", "PAT reserve for the VFIO mapping: uncached-minus")
local reserves_at_open = require("kernels").pattern(kernel) == "the 7.2 pattern"
t.is(reserved_type(opened, vb), (not reserves_at_open) and "uncached-minus" or nil,
  "kernel " .. kernel .. ": the reserve comes at " .. (reserves_at_open and "open" or "mmap"))
t.ok(listed_types(vb)["uncached-minus"], "pat_memtype_list lists the VFIO BAR uncached-minus")

local f = dev:features()
t.is(f.wc, false, "kernel " .. kernel .. ": VFIO offers no write-combining")
t.is(f.dma_buf_memattr, nil, "features() reports no unreleased feature (no dma_buf_memattr)")
-- VFIO_DEVICE_FEATURE_DMA_BUF (11) exists from 6.19: offered on 7.x, not on 6.1/6.12.
local major, minor = kernel:match("^(%d+)%.(%d+)")
local has_dma_buf = major ~= nil and (tonumber(major) > 6 or (tonumber(major) == 6 and tonumber(minor) >= 19))
t.is(f.dma_buf, has_dma_buf, "kernel " .. kernel .. ": VFIO_DEVICE_FEATURE_DMA_BUF "
  .. (has_dma_buf and "offered (6.19+)" or "not offered (6.19+ only)"))
t.ok(has(f.wc_reason, NOT_OFFERED), "features() says why: " .. tostring(f.wc_reason))
local e = errmsg(dev.map, dev, 2, { wc = true })
t.ok(has(e, NOT_OFFERED) and has(e, "pci.map(\"" .. ivshmem .. "\", 2, {wc=true})"),
  "device:map(2, {wc=true}) refuses and names the sysfs alternative: " .. tostring(e))

-- 2. resource2_wc while the VFIO device holds the BAR: EINVAL, explained.
e = errmsg(pci.map, ivshmem, 2, { wc = true })
t.ok(has(e, "mmap") and has(e, "resource2_wc") and has(e, "Invalid argument")
  and has(e, "close it or unbind"), "resource2_wc while VFIO holds the BAR: EINVAL explained: "
  .. tostring(e))
dev:close()

-- 3. sysfs uncached: the same memory, uncached-minus.
mark = pat.mark()
local sb = pci.map(ivshmem, 2)
t.is(sb.method, "sysfs", "pci.map gives method sysfs")
t.is(sb:read32(0), 0x70c0ffee, "sysfs resource2 sees what VFIO wrote")
t.is(reserved_type(mark, sb), "uncached-minus", "PAT reserve for resource2: uncached-minus")
t.ok(listed_types(sb)["uncached-minus"], "pat_memtype_list lists resource2 uncached-minus")
sb:unmap()

-- 4. sysfs write-combining.
mark = pat.mark()
local wb = pci.map(ivshmem, 2, { wc = true })
t.is(wb.method, "sysfs-wc", "pci.map {wc=true} gives method sysfs-wc")
t.is(wb:read32(0), 0x70c0ffee, "resource2_wc sees the same memory")
t.is(reserved_type(mark, wb), "write-combining", "PAT reserve for resource2_wc: write-combining")
t.ok(listed_types(wb)["write-combining"], "pat_memtype_list lists resource2_wc write-combining")
wb:unmap()

-- 5. edu BAR0 is not prefetchable: no _wc file, and the error says why.
e = errmsg(pci.map, edu, 0, { wc = true })
t.ok(has(e, "resource0_wc does not exist") and has(e, "not prefetchable"),
  "edu BAR0 has no resource0_wc and the error says it is not prefetchable: " .. tostring(e))
local edev = vfio.open(edu)
e = errmsg(edev.map, edev, 0, { wc = true })
t.ok(has(e, NOT_OFFERED), "edu through VFIO: write-combining not offered: " .. tostring(e))
edev:close()

-- 6. bar_timing.lua end to end on ivshmem BAR2, writes verified, JSON and SVG.
local out = os.getenv("BARLUA_OUT") or "/tmp"
local svg = out .. "/70-bar_timing.svg"
local cmd = string.format("barlua scripts/bar_timing.lua --device %s --bar 2 --count 2"
  .. " --size 8K --write --json --svg %s", ivshmem, svg)
local p = io.popen(cmd)
local text = p:read("a")
local ok, _, status = p:close()
t.ok(ok, "bar_timing exits 0 (status " .. tostring(status) .. ")")
local decoded, report = pcall(cjson.decode, text)
t.ok(decoded, "bar_timing --json prints JSON")
report = decoded and report or { methods = {} }
local by = {}
for _, m in ipairs(report.methods) do by[m.name] = m end
for _, name in ipairs({ "vfio", "sysfs", "sysfs-wc", "sysfs-wc-flush" }) do
  local m = by[name] or { results = {} }
  t.is(m.status, "measured", "bar_timing measured " .. name)
  local good = #m.results > 0
  for _, r in ipairs(m.results) do
    good = good and r.min_mbps > 0 and (r.integrity == "ok" or r.integrity == "n/a")
  end
  t.ok(good, name .. ": every result has a rate and verified writes")
end
t.is(#(by["vfio"] or { results = {} }).results, 10, "vfio: 5 paths x 2 directions")
t.is(#(by["sysfs-wc-flush"] or { results = {} }).results, 5, "flush: the 5 write paths only")
t.is(by["vfio-wc"] and by["vfio-wc"].status, "skipped", "vfio-wc is skipped on " .. kernel)
t.ok(has(by["vfio-wc"] and by["vfio-wc"].reason, NOT_OFFERED), "vfio-wc says why")
t.is(by["vfio"] and by["vfio"].pat.event, "uncached-minus", "bar_timing: VFIO got uncached-minus")
t.is(by["sysfs"] and by["sysfs"].pat.event, "uncached-minus", "bar_timing: sysfs got uncached-minus")
t.is(by["sysfs-wc"] and by["sysfs-wc"].pat.event, "write-combining",
  "bar_timing: sysfs-wc got write-combining")
t.is(by["sysfs-wc"] and by["sysfs-wc"].pat.list, "write-combining",
  "bar_timing: pat_memtype_list agrees for sysfs-wc")
local s = io.open(svg)
local body = s and s:read("a") or ""
if s then s:close() end
local bars = select(2, body:gsub('<rect class="bar"', ""))
t.is(bars, 35, "the SVG draws one bar per measurement (10 + 10 + 10 + 5)")

-- The BAR's contents were written back after the write passes.
local check = pci.map(ivshmem, 2)
t.is(check:read32(0), 0x70c0ffee, "bar_timing restored the BAR contents")
check:unmap()

-- 7. Read-only mappings ({write=false}, issue 11 item 15): pci.map reads and refuses every
-- store; bar_timing without --write and persistence --read-only map read-only and leave the
-- BAR as it was.
local ro = pci.map(ivshmem, 2, { write = false })
t.is(ro.writable, false, "pci.map {write=false}: bar.writable is false")
t.is(ro:read32(0), 0x70c0ffee, "a read-only sysfs mapping reads")
t.ok(has(errmsg(ro.write32, ro, 0, 1), "bar:write32: bar is mapped read-only"),
  "a read-only sysfs mapping refuses write32")
t.ok(has(errmsg(ro.fill, ro, 0), "bar:fill: bar is mapped read-only"), "and fill")
ro:unmap()
local rp = io.popen(string.format("barlua scripts/bar_timing.lua --device %s --bar 2 --count 1"
  .. " --size 8K --methods sysfs,sysfs-wc --json", ivshmem))
local rtext = rp:read("a")
local rok = rp:close()
t.ok(rok, "bar_timing without --write on read-only sysfs mappings exits 0")
local rdec, rreport = pcall(cjson.decode, rtext)
local rstat = {}
for _, m in ipairs(rdec and rreport.methods or {}) do rstat[#rstat + 1] = m.name .. "=" .. m.status end
t.is(table.concat(rstat, ","), "sysfs=measured,sysfs-wc=measured", "both read-only methods measured")
local pp = io.popen(string.format("barlua scripts/persistence.lua --device %s --bar 2 --method sysfs"
  .. " --read-only", ivshmem))
local ptext = pp:read("a")
local pok = pp:close()
t.ok(pok, "persistence --method sysfs --read-only exits 0")
t.ok(has(ptext, "  read-only: nothing written\n"), "persistence --read-only wrote nothing")
check = pci.map(ivshmem, 2)
t.is(check:read32(0), 0x70c0ffee, "the BAR is unchanged after the read-only runs")
check:unmap()

t.done()
