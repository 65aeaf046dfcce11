#!/usr/bin/env barlua
-- What vfio.open and a device say when something is wrong, on the real kernel:
-- wrong driver, a non-viable group, no such device, no /dev/vfio, no permission, a device
-- busy in another process, regions that cannot be mapped, bad arguments, use after close.
local t = require "barlua.test"

local EDU, TESTDEV = os.getenv("BARLUA_EDU"), os.getenv("BARLUA_TESTDEV")
local VIRTIO, BRIDGED = os.getenv("BARLUA_NONVIABLE_VIRTIO"), os.getenv("BARLUA_NONVIABLE_EDU")
local MODE = os.getenv("BARLUA_GUEST_MODE")
if os.getenv("BARLUA_GUEST") ~= "1" or not (EDU and TESTDEV and VIRTIO and BRIDGED) then
  t.skip("needs the test bed guest (scripts/testbed/guest)")
end

local error_of = t.error_of

local like = t.contains

-- Runs a shell command; its output (stdout and stderr) and exit status.
local function sh(command)
  local p = io.popen(command .. " 2>&1")
  local out = p:read("a")
  local ok, _, status = p:close()
  return out, ok and 0 or status
end
local barlua = sh("command -v barlua"):gsub("\n$", "")

-- ---------------------------------------------------------------- not vfio-pci
local err = error_of(vfio.open, VIRTIO)
like(err, "vfio.open: " .. VIRTIO .. " is bound to virtio-pci, not vfio-pci", "a virtio-pci device: names its driver")
like(err, "echo vfio-pci > /sys/bus/pci/devices/" .. VIRTIO .. "/driver_override", "and says how to bind it")

-- ---------------------------------------------------------------- the group behind the bridge
if MODE == "type1" then
  err = error_of(vfio.open, BRIDGED)
  local group = pci.device(BRIDGED).iommu_group
  like(err, "IOMMU group " .. group .. " is not viable", "the group behind the bridge is not viable")
  like(err, VIRTIO .. " is bound to virtio-pci", "the message names the virtio device and its driver")
  t.is(pci.device(VIRTIO).iommu_group, group, "the virtio device is in that group")
else
  -- No IOMMU, no shared groups: vfio gives every device a group of its own, so the edu
  -- behind the bridge opens although a virtio device sits next to it.
  local d = vfio.open(BRIDGED)
  t.is(d.iommu, "noiommu", "noiommu: the edu behind the bridge opens")
  t.is(d.group_path, "/dev/vfio/noiommu-" .. d.group, "in a noiommu group of its own")
  t.ok(pci.device(VIRTIO).iommu_group ~= d.group, "the virtio device has another group")
  d:close()
end

-- ---------------------------------------------------------------- no such device, bad text
like(error_of(vfio.open, "0000:00:1e.7"), "vfio.open: no PCI device 0000:00:1e.7 in /sys/bus/pci/devices",
  "a nonexistent address")
like(error_of(vfio.open, "15:00"), "bad PCI address '15:00'", "text that is not an address")
like(error_of(vfio.open, { vendor = 0x1234 }), "the filter matches", "a filter matching several edus")
like(error_of(vfio.open, { vendor = 0x1234 }), EDU, "lists the matches")
like(error_of(vfio.open, { vendor = 0xdead }), "the filter matches no device", "a filter matching none")
local d = vfio.open({ vendor = 0x1b36, device = 0x0005 })
t.is(d.addr, TESTDEV, "a filter matching one device opens it")
d:close()

-- ---------------------------------------------------------------- no /dev/vfio
local out, status = sh(string.format(
  "unshare -m sh -c 'mount -t tmpfs none /dev/vfio && exec %s -e \"vfio.open(\\\"%s\\\")\"'", barlua, EDU))
like(out, "vfio.open: open /dev/vfio/", "/dev/vfio hidden: the open that failed and its path")
like(out, "No such file or directory", "with the errno text")
t.ok(status ~= 0, "and a non-zero exit status")

-- ---------------------------------------------------------------- not root
out, status = sh(string.format("setpriv --reuid=65534 --regid=65534 --clear-groups %s -e 'vfio.open(%q)'",
  barlua, EDU))
like(out, "run as root or give your user", "an unprivileged user is told what to change")
-- Both modes: the group file is root's, mode 0600 (noiommu's CAP_SYS_RAWIO check comes later).
like(out, "open /dev/vfio/" .. (MODE == "noiommu" and "noiommu-" or ""), "the message names the group file")
like(out, "Permission denied (errno 13)", "EACCES with its errno text")
t.ok(status ~= 0, "and a non-zero exit status")

-- ---------------------------------------------------------------- busy in another process
-- The holder opens the device, then says so by creating a file, and waits for a line on stdin.
local ready = os.tmpname()
os.remove(ready)
local holder = io.popen(string.format(
  "%s -e 'local d = vfio.open(%q) io.open(%q, \"w\"):close() io.read()' >/dev/null 2>&1", barlua, TESTDEV,
  ready), "w")
local deadline = time.ns() + 5000000000
while not io.open(ready) and time.ns() < deadline do time.sleep(0.02) end
t.ok(io.open(ready) ~= nil, "a second barlua holds the testdev open")
local busy = error_of(vfio.open, TESTDEV)
like(busy, "Device or resource busy", "a device held by another process: EBUSY")
like(busy, "already in use by another process", "the message says another process holds it")
holder:write("\n")
holder:close()
os.remove(ready)

-- ---------------------------------------------------------------- regions that cannot be mapped
local edu = vfio.open(EDU)
like(error_of(edu.map, edu, 1), "BAR1 is not implemented", "an absent BAR")
local testdev = vfio.open(TESTDEV)
like(error_of(testdev.map, testdev, 1), "BAR1 cannot be mmap'ed", "an I/O BAR cannot be mapped")
like(error_of(edu.map, edu, 0, { offset = 0xff000, size = 0x2000 }), "exceeds BAR0 size 0x100000",
  "a sub-range past the end")
like(error_of(edu.map, edu, 0, { offset = 0x100000 }), "is outside BAR0", "an offset past the end")

-- ---------------------------------------------------------------- bad arguments
local cases = {
  { edu.map, { edu, 6 }, "device:map: bar 6 is out of range (0..5)" },
  { edu.map, { edu, -1 }, "device:map: bar -1 is out of range (0..5)" },
  { edu.map, { edu, "zero" }, "device:map: bar must be an integer, got string" },
  { edu.map, { edu, 0.5 }, "device:map: bar must be an integer, got 0.5" },
  { edu.map, { edu, 0, 5 }, "device:map: options must be a table, got number" },
  { edu.map, { edu, 0, { bogus = 1 } }, "device:map: unknown option 'bogus' (expected offset, size, wc)" },
  { edu.map, { edu, 0, { size = 0 } }, "device:map: option size must be greater than 0" },
  { edu.map, { edu, 0, { offset = -4 } }, "device:map: option offset -4 is negative" },
  { edu.map, { edu, 0, {}, 1 }, "device:map: takes at most 3 arguments" },
  { edu.config_read8, { edu }, "device:config_read8: offset must be an integer, got no value" },
  { edu.config_read16, { edu, -2 }, "device:config_read16: offset -2 is negative" },
  { edu.config_read32, { edu, 0, 1 }, "device:config_read32: takes at most 2 arguments" },
  { edu.config_write8, { edu, 0x3c }, "device:config_write8: value must be an integer, got no value" },
  { edu.config_write16, { edu, 0x3c, 0x10000 }, "device:config_write16: value 65536 does not fit in 16 bits" },
  { edu.config_write32, { edu, 0x3c, 1, 2 }, "device:config_write32: takes at most 3 arguments" },
  { edu.regions, { edu, 1 }, "device:regions: takes at most 1 argument" },
  { edu.irqs, { edu, 1 }, "device:irqs: takes at most 1 argument" },
  { edu.reset, { edu, 1 }, "device:reset: takes at most 1 argument" },
  { edu.features, { edu, 1 }, "device:features: takes at most 1 argument" },
  { edu.map, { 5, 0 }, "device:map: expected a device as self (call it as device:map(...)), got number" },
  { edu.regions, {}, "device:regions: expected a device as self" },
  { vfio.open, {}, "vfio.open: address must be a string, got no value" },
  { vfio.open, { 5 }, "vfio.open: address must be a string, got number" },
  { vfio.open, { EDU, 1 }, "vfio.open: takes at most 1 argument" },
  { vfio.open, { { vendr = 1 } }, "vfio.open: unknown option 'vendr'" },
  { vfio.devices, { 1 }, "vfio.devices: takes at most 0 arguments" },
}
for _, c in ipairs(cases) do
  like(error_of(c[1], table.unpack(c[2])), c[3], c[3])
end

-- ---------------------------------------------------------------- use after close
local bar = edu:map(0)
edu:close()
like(error_of(bar.read32, bar, 0), "bar is unmapped", "a bar after its device closed")
for _, m in ipairs({ "regions", "irqs", "reset", "features" }) do
  like(error_of(edu[m], edu), "device:" .. m .. ": device " .. EDU .. " is closed", "device:" .. m .. " after close")
end
like(error_of(edu.map, edu, 0), "device:map: device " .. EDU .. " is closed", "device:map after close")
like(error_of(edu.config_read32, edu, 0), "device " .. EDU .. " is closed", "device:config_read32 after close")
like(error_of(edu.config_write8, edu, 0x3c, 0), "device " .. EDU .. " is closed", "device:config_write8 after close")
testdev:close()

t.done()
