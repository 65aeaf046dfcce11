#!/usr/bin/env barlua
-- vfio.open reads the device's sysfs files once (one pass: the checks take what it read) and
-- does not load libpci: device.info's vendor_name and device_name are looked up when first
-- read. Reads (opens and readlinks; a stat that checks a link is not a read) are counted with
-- strace in a child barlua; libpci with /proc/self/maps here.
local t = require "barlua.test"

local EDU = os.getenv("BARLUA_EDU")
if os.getenv("BARLUA_GUEST") ~= "1" or not EDU then t.skip("needs the test bed guest (scripts/testbed/guest)") end

local function run(command)
  local p = io.popen(command .. " 2>&1")
  local out = p:read("a")
  local ok, _, status = p:close()
  return out, ok and 0 or status
end

local function libpci_loaded()
  local f = assert(io.open("/proc/self/maps"))
  local maps = f:read("a")
  f:close()
  return maps:find("libpci", 1, true) ~= nil
end

-- Every read (open, readlink) of a child barlua that opens and closes `addr`, by path in the
-- device's sysfs directory: path -> times.
local barlua = run("command -v barlua"):gsub("\n$", "")
local function sysfs_touches(addr)
  local log = os.tmpname()
  local out, status = run(string.format(
    "strace -f -qq -e trace=open,openat,readlink,readlinkat -o %s %s -e 'vfio.open(%q):close()'", log, barlua, addr))
  t.is(status, 0, "strace runs barlua opening " .. addr .. " (strace comes from scripts/setup): " .. out)
  local touched = {}
  local dir = "/sys/bus/pci/devices/" .. addr
  for line in io.lines(log) do
    local path = line:match('"(' .. dir:gsub("%p", "%%%0") .. '[^"]*)"')
    if path then touched[path] = (touched[path] or 0) + 1 end
  end
  os.remove(log)
  return touched, dir
end

-- edu on the root bus; the resettable ivshmem behind a PCIe root port.
for _, addr in ipairs({ EDU, os.getenv("BARLUA_IVSHMEM_RESET") }) do
  local touched, dir = sysfs_touches(addr)
  local twice = {}
  for path, n in pairs(touched) do
    if n > 1 then twice[#twice + 1] = string.format("%s (%d times)", path, n) end
  end
  table.sort(twice)
  t.is(touched[dir .. "/vendor"], 1, addr .. ": the device's sysfs is read (vendor once)")
  t.is(table.concat(twice, ", "), "", addr .. ": vfio.open reads no sysfs file of the device twice")
  t.is(touched[dir .. "/driver"], 1, addr .. ": the driver link is read once (the check uses the one read)")
end

t.is(libpci_loaded(), false, "a fresh barlua has not loaded libpci")
local dev = vfio.open(EDU)
t.is(libpci_loaded(), false, "vfio.open does not load libpci")
t.is(dev.info.vendor, 0x1234, "device.info is read (vendor)")
t.is(dev.info.driver, "vfio-pci", "device.info.driver")
local bar = dev:map(0)
t.is(bar.base, dev.info.bars[0].base, "device:map takes the BAR address from the one read")
t.is(libpci_loaded(), false, "nor does device:map or reading device.info's ids")

local want = pci.device(EDU)
t.ok(libpci_loaded(), "pci.device, which names the device, loads libpci")
t.is(dev.info.device_name, want.device_name, "device.info.device_name is looked up on first use")
t.is(dev.info.vendor_name, want.vendor_name, "device.info.vendor_name too")
t.is(rawget(dev.info, "vendor_name"), want.vendor_name, "and kept in the table")
t.is(dev.info.no_such_field, nil, "other absent fields stay nil")
dev:close()
t.done()
