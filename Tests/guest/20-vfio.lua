#!/usr/bin/env barlua
-- The VFIO mapping core on the real vfio-pci driver: opening, regions against
-- sysfs, config space, BAR access of every width, two devices at once, the same device twice,
-- EBUSY from another process, reset. Ported from the vfio-probe developer tool (removed).
local t = require "barlua.test"

local EDU, IVSHMEM, TESTDEV = os.getenv("BARLUA_EDU"), os.getenv("BARLUA_IVSHMEM"), os.getenv("BARLUA_TESTDEV")
local MODE = os.getenv("BARLUA_GUEST_MODE")
if os.getenv("BARLUA_GUEST") ~= "1" or not (EDU and IVSHMEM and TESTDEV) then
  t.skip("needs the test bed guest (scripts/testbed/guest)")
end

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- The sysfs resource file: one {start, last, flags} per line (BARs 0-5, then the ROM).
local function resources(addr)
  local list = {}
  for line in read_file("/sys/bus/pci/devices/" .. addr .. "/resource"):gmatch("[^\n]+") do
    local a, b, f = line:match("^0x(%x+) 0x(%x+) 0x(%x+)")
    list[#list + 1] = { start = tonumber(a, 16), last = tonumber(b, 16), flags = tonumber(f, 16) }
  end
  return list
end

local function resource_size(r) return (r.start == 0 and r.last == 0) and 0 or r.last - r.start + 1 end

local error_of = t.error_of

local like = t.contains

-- ---------------------------------------------------------------- the edu device
local edu = vfio.open(EDU)
t.is(edu.addr, EDU, "vfio.open(BARLUA_EDU) opens it")
t.is(edu.iommu, MODE == "noiommu" and "noiommu" or "type1v2", "IOMMU type of the mode")
t.is(edu.group_path, (MODE == "noiommu" and "/dev/vfio/noiommu-" or "/dev/vfio/") .. edu.group,
  "group file of the mode")
t.is(edu.group, pci.device(EDU).iommu_group, "group equals the sysfs iommu_group")
t.is(edu.info.vendor, 0x1234, "device.info is its pci device-info (vendor)")
t.is(edu.info.device, 0x11e8, "device.info device id")
t.ok(edu.num_regions >= 9 and edu.num_irqs >= 1, "num_regions (BARs, ROM, CONFIG, VGA) and num_irqs")
like(tostring(edu), "vfio device " .. EDU .. " group " .. edu.group, "tostring(device)")

local bar0 = edu:map(0)
t.is(bar0:read32(0), 0x010000ed, "edu BAR0 identification register")
bar0:write32(4, 0x12345678)
t.is(bar0:read32(4), 0xedcba987, "edu liveness register inverts what is written")
t.is(bar0.method, "vfio", "bar.method")
t.is(bar0.index, 0, "bar.index")
t.is(bar0.size, 0x100000, "bar.size is the BAR's")
t.is(bar0.base, resources(EDU)[1].start, "bar.base is the sysfs resource start")
t.is(bar0.prefetchable, false, "edu BAR0 is not prefetchable")
t.is(bar0.addr, EDU, "bar.addr")

t.test("edu computes factorials", function()
  for _, case in ipairs({ { 5, 120 }, { 10, 3628800 }, { 12, 479001600 } }) do
    bar0:write32(0x08, case[1])
    local deadline = time.ns() + 1000000000
    while bar0:read32(0x20) & 1 ~= 0 do
      assert(time.ns() < deadline, "factorial still busy after 1 s")
    end
    assert(bar0:read32(0x08) == case[2], string.format("%d! read 0x%x", case[1], bar0:read32(0x08)))
  end
end)

t.test("a sub-range mapping sees the same registers", function()
  local sub <close> = edu:map(0, { offset = 0, size = 0x1000 })
  assert(sub.size == 0x1000 and sub:read32(0) == 0x010000ed)
  local high <close> = edu:map(0, { offset = 0x1000, size = 0x1000 })
  assert(high.base == bar0.base + 0x1000, "sub-range base")
end)

-- ---------------------------------------------------------------- regions against sysfs
local function check_regions(addr)
  local d <close> = vfio.open(addr)
  local regions = d:regions()
  local res = resources(addr)
  local info = pci.device(addr)
  t.is(#regions, d.num_regions, addr .. " regions() has num_regions entries")
  for i = 0, 5 do
    local r, bar = regions[i + 1], info.bars[i]
    local size = bar and bar.size or 0
    t.is(r.name, "BAR" .. i, addr .. " region " .. i .. " name")
    t.is(r.size, size, addr .. " BAR" .. i .. " size equals sysfs")
    t.is(r.size, resource_size(res[i + 1]), addr .. " BAR" .. i .. " size equals the resource line")
    t.is(r.offset, i << 40, addr .. " BAR" .. i .. " offset is vfio-pci's index << 40")
    t.is(r.read and r.write, size > 0, addr .. " BAR" .. i .. " read/write exactly when implemented")
    t.is(r.mmap, size > 0 and not bar.io, addr .. " BAR" .. i .. " mmap exactly for memory BARs")
  end
  t.is(regions[7].name, "ROM", addr .. " region 6 is the ROM")
  t.is(regions[7].size, resource_size(res[7]), addr .. " ROM size equals the resource line")
  t.is(regions[8].name, "CONFIG", addr .. " region 7 is CONFIG")
  t.is(regions[8].size, #read_file("/sys/bus/pci/devices/" .. addr .. "/config"),
    addr .. " CONFIG size equals the sysfs config file's")
  t.ok(regions[8].read and regions[8].write and not regions[8].mmap, addr .. " CONFIG is read/write, not mmap")
  t.is(regions[9] and regions[9].name, "VGA", addr .. " region 8 is VGA")
  local irqs = d:irqs()
  t.is(#irqs, d.num_irqs, addr .. " irqs() has num_irqs entries")
  t.is(irqs[1].name, "INTx", addr .. " irq 0 is INTx")
end
check_regions(EDU)
check_regions(IVSHMEM)
check_regions(TESTDEV)

-- ---------------------------------------------------------------- config space
local function check_config(d)
  local info = pci.device(d.addr)
  t.is(d:config_read16(0), info.vendor, d.addr .. " config vendor equals sysfs")
  t.is(d:config_read16(2), info.device, d.addr .. " config device equals sysfs")
  t.is(d:config_read32(0), info.device << 16 | info.vendor, d.addr .. " config_read32(0) is device<<16|vendor")
  t.is(d:config_read8(8), info.revision, d.addr .. " config_read8(8) is the revision")
  -- The interrupt line (0x3c) is virtualised and writable: write, read back, restore.
  local old = d:config_read8(0x3c)
  d:config_write8(0x3c, 0x5a)
  t.is(d:config_read8(0x3c), 0x5a, d.addr .. " config_write8/read8 at 0x3c")
  d:config_write8(0x3c, old)
  t.is(d:config_read8(0x3c), old, d.addr .. " config 0x3c restored")
  like(error_of(d.config_read32, d, 2), "device:config_read32: offset 0x2 is not 4-byte aligned",
    "misaligned config read")
  like(error_of(d.config_read32, d, 0x1000), "exceeds config space size", "config read past the end")
  like(error_of(d.config_write8, d, 0x3c, 0x1ff), "device:config_write8: value 511 does not fit in 8 bits",
    "config value too wide")
end
check_config(edu)

-- ---------------------------------------------------------------- ivshmem BAR2, every access
local ivshmem = vfio.open(IVSHMEM)
check_config(ivshmem)
local bar2 = ivshmem:map(2)
t.is(bar2.size, pci.device(IVSHMEM).bars[2].size, "ivshmem BAR2 maps whole")
t.is(bar2.prefetchable, true, "ivshmem BAR2 is prefetchable")
t.is(tostring(bar2), "bar " .. IVSHMEM .. " BAR2 vfio " .. (bar2.size >> 20) .. " MiB", "tostring(bar)")

t.test("fill, count, compare over the whole BAR", function()
  bar2:fill(0xa5)
  assert(bar2:count(0xa5) == bar2.size, "count after fill")
  bar2:fill(0x00, 0x1000, 0x100)
  assert(bar2:count(0x00) == 0x100 and bar2:count(0xa5) == bar2.size - 0x100, "partial fill")
  assert(bar2:count(0x00, 0x1000, 0x100) == 0x100, "count of a range")
  assert(bar2:compare(0x1000, string.rep("\0", 0x100)) == nil, "compare equal gives nil")
  assert(bar2:compare(0x1000, string.rep("\0", 0x80) .. "x") == 0x1080, "compare gives the first difference")
end)

t.test("8/16/32/64-bit accesses and their byte order", function()
  bar2:write8(0x10, 0xfe)
  assert(bar2:read8(0x10) == 0xfe)
  bar2:write16(0x20, 0xbeef)
  assert(bar2:read16(0x20) == 0xbeef and bar2:read8(0x20) == 0xef, "little-endian 16")
  bar2:write32(0x30, 0xcafef00d)
  assert(bar2:read32(0x30) == 0xcafef00d and bar2:read16(0x32) == 0xcafe, "32")
  bar2:write64(0x40, 0x0123456789abcdef)
  assert(bar2:read64(0x40) == 0x0123456789abcdef and bar2:read32(0x44) == 0x01234567, "64")
  bar2:write64(0x48, -2)
  assert(bar2:read64(0x48) == -2 and bar2:read32(0x4c) == 0xffffffff, "64-bit two's complement")
  bar2:write64(0x50, math.mininteger)
  assert(bar2:read64(0x50) == math.mininteger, "2^63")
  local last = bar2.size - 8
  bar2:write64(last, 0x5eed1234abcd0001)
  assert(bar2:read64(last) == 0x5eed1234abcd0001, "64 at the last offset")
end)

t.test("split 64-bit forms: high/low word order", function()
  bar2:write64hl(0x60, 0x1111222233334444)
  assert(bar2:read32(0x60) == 0x33334444 and bar2:read32(0x64) == 0x11112222, "write64hl")
  bar2:write64lh(0x68, 0x5555666677778888)
  assert(bar2:read64(0x68) == 0x5555666677778888, "write64lh")
  assert(bar2:read64hl(0x60) == 0x1111222233334444 and bar2:read64lh(0x60) == 0x1111222233334444, "read64hl/lh")
end)

t.test("read, write, dump", function()
  bar2:write(0x100, "barlua\0\1\2")
  assert(bar2:read(0x100, 9) == "barlua\0\1\2", "read what was written")
  local dump = bar2:dump(0x100, 16)
  assert(dump:find("^00000100  62 61 72 6c 75 61 00 01  02 ") and dump:find("|barlua...", 1, true), dump)
end)

t.test("a sub-range of BAR2 aliases the same memory, at any offset", function()
  bar2:write32(0x1000, 0x0badbeef)
  local sub <close> = ivshmem:map(2, { offset = 0x1000, size = 0x1000 })
  assert(sub:read32(0) == 0x0badbeef and sub.base == bar2.base + 0x1000, "page-aligned sub-range")
  local odd <close> = ivshmem:map(2, { offset = 0x1004, size = 8 })
  bar2:write32(0x1004, 0x13579bdf)
  assert(odd:read32(0) == 0x13579bdf and odd.size == 8, "unaligned sub-range")
end)

-- ---------------------------------------------------------------- several devices
t.ok(edu.group ~= ivshmem.group, "two devices of two groups are open at once")
t.is(bar0:read32(0), 0x010000ed, "the edu still answers with ivshmem open")

t.test("the same device twice in one process shares its group", function()
  local again <close> = vfio.open(EDU)
  local b <close> = again:map(0)
  assert(b:read32(0) == 0x010000ed, "second handle reads the id")
  again:close()
  assert(edu:config_read16(0) == 0x1234, "first handle still works after the second closed")
end)

-- Another process cannot have a group this process holds: EBUSY, and the hint says why.
local barlua = io.popen("command -v barlua"):read("l")
local function in_other_process(code)
  local p = io.popen(string.format("%s -e %q 2>&1", barlua, code))
  local out = p:read("a")
  local ok, _, status = p:close()
  return out, ok and 0 or status
end
local out, status = in_other_process(string.format("vfio.open(%q)", EDU))
like(out, "Device or resource busy", "another process opening the open edu gets EBUSY")
like(out, "already in use by another process", "the EBUSY message says what holds it")
t.ok(status ~= 0, "and exits non-zero")
t.is(select(2, in_other_process(string.format("vfio.open(%q):close()", TESTDEV))), 0,
  "another process can open a device this one does not hold")

-- ---------------------------------------------------------------- reset
local testdev <close> = vfio.open(TESTDEV)
for _, d in ipairs({ edu, ivshmem, testdev }) do
  if d.can_reset then
    t.ok(pcall(d.reset, d), d.addr .. " resets (can_reset)")
  else
    like(error_of(d.reset, d), "does not support reset", d.addr .. " without reset: a clear error")
  end
end

-- close(): unmaps the device's bars, idempotent; everything opens again afterwards.
edu:close()
like(error_of(bar0.read32, bar0, 0), "bar is unmapped", "close() unmapped the device's bars")
edu:close()
like(tostring(edu), "(closed)", "close twice is harmless")
ivshmem:close()
local re <close> = vfio.open(EDU)
local rb <close> = re:map(0)
t.is(rb:read32(0), 0x010000ed, "the edu opens again after close")
rb:unmap()
re:close()
-- Everything released: the group files are closed, so another process gets both devices.
t.is(select(2, in_other_process(string.format("vfio.open(%q):close() vfio.open(%q):close()", EDU, IVSHMEM))), 0,
  "after close, another process opens the edu and the ivshmem")

t.done()
