#!/usr/bin/env barlua
-- The device life cycle on the real kernel (issue #23 items 1-3): pci.bind round trips on
-- every bed device, every refusal (ports, bridges, an up interface, a mounted or swapped disk,
-- a VFIO group this process holds), remove / rescan / wait, each reset method each device
-- offers (with what BAR memory does), and the hot-reset list. Every device is put back as it
-- was: bound to its driver, present, reset_method as the kernel had it.
local t = require "barlua.test"

local function env(name) return os.getenv(name) end
if env("BARLUA_GUEST") ~= "1" or not env("BARLUA_IVSHMEM_HOTPLUG") then
  t.skip("needs the test bed guest (scripts/testbed/guest) with BARLUA_IVSHMEM_HOTPLUG")
end
local HOTPLUG, HPORT = env("BARLUA_IVSHMEM_HOTPLUG"), env("BARLUA_HOTPLUG_PORT")
local FLR, FPORT = env("BARLUA_FLR"), env("BARLUA_FLR_PORT")
local NET, BLK = env("BARLUA_VIRTIO_NET"), env("BARLUA_VIRTIO_BLK")
local RESET = env("BARLUA_IVSHMEM_RESET")
local error_of = t.error_of

-- A fixed command of this test (names come from sysfs and are checked first).
local function sh(cmd)
  local ok = os.execute(cmd .. " >/dev/null 2>&1")
  return ok == true
end

local function driver(addr) return pci.device(addr).driver end

-- Every device the bed binds at boot, with its driver: each must be on it again at the end.
local boot = {}
for _, name in ipairs { "BARLUA_EDU", "BARLUA_IVSHMEM", "BARLUA_IVSHMEM_RESET", "BARLUA_TESTDEV",
  "BARLUA_IVSHMEM_HOTPLUG", "BARLUA_FLR", "BARLUA_VIRTIO_NET", "BARLUA_VIRTIO_BLK" } do
  local addr = env(name)
  boot[#boot + 1] = { name = name, addr = addr, driver = driver(addr) }
end

-- 1. Round trips: unbind and rebind each vfio-pci device; move the virtio device to vfio-pci
-- and back; the return values are what was there.
for _, d in ipairs(boot) do
  if d.driver == "vfio-pci" then
    t.test("round trip " .. d.name .. " " .. d.addr, function()
      local prev, prev_override = pci.bind(d.addr, nil)
      assert(prev == "vfio-pci", "previous driver: " .. tostring(prev))
      assert(prev_override == "vfio-pci", "previous override: " .. tostring(prev_override))
      assert(driver(d.addr) == nil, "unbound")
      local f = assert(io.open("/sys/bus/pci/devices/" .. d.addr .. "/driver_override"))
      local ov = f:read("l")
      f:close()
      assert(ov == "(null)", "override cleared: " .. tostring(ov))
      local p2, o2 = pci.bind(d.addr, prev, { override = prev_override or false })
      assert(p2 == nil and o2 == nil, "nothing was bound in between")
      assert(driver(d.addr) == "vfio-pci", "bound again")
    end)
  end
end

t.test("virtio-pci -> vfio-pci -> virtio-pci (the FLR device)", function()
  local prev, prev_override = pci.bind(FLR, "vfio-pci")
  assert(prev == "virtio-pci" and prev_override == nil,
    "previous: " .. tostring(prev) .. " " .. tostring(prev_override))
  assert(driver(FLR) == "vfio-pci")
  do
    local d <close> = vfio.open(FLR)
    assert(d.can_reset, "the FLR device can reset through VFIO")
  end
  pci.bind(FLR, prev, { override = prev_override or false })
  assert(driver(FLR) == "virtio-pci", "back on virtio-pci")
end)

-- 2. Refusals, each naming its evidence.
local err = error_of(pci.bind, HPORT, nil)
t.contains(err, "is a bridge or PCIe port", "unbinding a root port is refused")
t.contains(error_of(pci.bind, HPORT, nil, { force = true }), "is a bridge or PCIe port",
  "force does not override the refusal of a port")
t.contains(error_of(pci.remove, FPORT, { force = true }), "is a bridge or PCIe port", "removing a port is refused")
local bridge = pci.device(env("BARLUA_NONVIABLE_EDU")) and
  io.popen("basename $(dirname $(readlink -f /sys/bus/pci/devices/" .. env("BARLUA_NONVIABLE_EDU") .. "))"):read("l")
t.contains(error_of(pci.bind, bridge, "vfio-pci"), "class 0x060400",
  "binding the PCI-PCI bridge is refused, with its class")
t.contains(error_of(pci.bind, "0000:00:00.0", nil), "class 0x060000", "the host bridge too")
t.contains(error_of(pci.bind, HOTPLUG), "driver missing", "pci.bind without a driver argument is an error")
t.contains(error_of(pci.bind, HOTPLUG, "no-such-driver"), "no driver 'no-such-driver'", "an unknown driver")
t.contains(error_of(pci.bind, HOTPLUG, "../x"), "is not a driver name", "a driver name with a slash")

-- The network interface: up is in use; force overrides; down again it is not.
local netdir = io.popen("ls -d /sys/bus/pci/devices/" .. NET .. "/virtio*/net/* 2>/dev/null"):read("l")
local ifname = netdir and netdir:match("([%w_.-]+)$")
t.ok(ifname, "the virtio-net device has an interface: " .. tostring(ifname))
t.ok(sh("ip link set " .. ifname .. " up"), "ip link set " .. tostring(ifname) .. " up")
err = error_of(pci.bind, NET, "vfio-pci")
t.contains(err, "network interface " .. ifname .. " is up", "an up interface is in use")
t.contains(err, "{force=true}", "the refusal says how to override it")
t.contains(error_of(pci.remove, NET), "network interface " .. ifname .. " is up", "and cannot be removed either")
t.test("force unbinds a device in use, and it is restored", function()
  local prev, prev_override = pci.bind(NET, nil, { force = true })
  assert(prev == "virtio-pci" and driver(NET) == nil)
  pci.bind(NET, prev, { override = prev_override or false })
  assert(driver(NET) == "virtio-pci")
end)

-- The disk: mounted, then swap.
local disk = io.popen("ls /sys/bus/pci/devices/" .. BLK .. "/virtio*/block/ 2>/dev/null"):read("l")
t.ok(disk and disk:match("^vd[a-z]+$"), "the virtio-blk device has a disk: " .. tostring(disk))
local mnt = "/tmp/lifecycle-mnt"
t.ok(sh("mkdir -p " .. mnt .. " && mkfs.minix /dev/" .. disk .. " && mount -t minix /dev/" .. disk .. " " .. mnt),
  "mkfs.minix and mount /dev/" .. tostring(disk))
err = error_of(pci.bind, BLK, "vfio-pci")
t.contains(err, "/dev/" .. disk .. " is mounted on " .. mnt, "a mounted disk is in use")
t.ok(sh("umount " .. mnt), "umount")
t.ok(sh("mkswap /dev/" .. disk .. " && swapon /dev/" .. disk), "swapon /dev/" .. tostring(disk))
t.contains(error_of(pci.bind, BLK, nil), "/dev/" .. disk .. " is in use as swap", "a swap disk is in use")
t.ok(sh("swapoff /dev/" .. disk), "swapoff")

-- This process holds the device's VFIO group: refused even with force (the kernel's unbind
-- would wait for this very process).
do
  local d <close> = vfio.open(HOTPLUG)
  err = error_of(pci.bind, HOTPLUG, nil, { force = true })
  t.contains(err, "this process holds its VFIO group",
    "unbinding a device this process holds open is refused, forced or not")
  t.ok(d.info or true, "device still open")
end

-- A probe that fails: the edu is not a virtio device.
local EDU = env("BARLUA_EDU")
err = error_of(pci.bind, EDU, "virtio-pci", { timeout = 1 })
t.contains(err, "is not bound to virtio-pci", "a driver that does not take the device: the error says so")
t.contains(err, EDU .. " is bound to vfio-pci again, as before", "and that the device was put back")
t.diag(err)
t.is(driver(EDU), "vfio-pci", "the edu is back on vfio-pci")
t.is(io.open("/sys/bus/pci/devices/" .. EDU .. "/driver_override"):read("l"), "vfio-pci", "with its override")

-- 3. Remove, rescan, wait.
t.test("remove, wait times out, rescan below the port, wait finds it", function()
  pci.remove(HOTPLUG)
  assert(not io.open("/sys/bus/pci/devices/" .. HOTPLUG .. "/vendor"), "gone from sysfs")
  local info, why = pci.wait(HOTPLUG, { timeout = 0.3 })
  assert(info == nil and why == "timeout", "pci.wait times out: " .. tostring(why))
  pci.rescan(HPORT)
  info = assert(pci.wait(HOTPLUG, { timeout = 10 }))
  assert(info.vendor == 0x1af4 and info.device == 0x1110, "the ivshmem is back")
  assert(info.driver == nil, "no driver: its driver_override went with the removed device")
  pci.bind(HOTPLUG, "vfio-pci")
  assert(pci.wait({ vendor = 0x1af4, device = 0x1110, driver = "vfio-pci" }, { timeout = 1 }))
end)
t.contains(error_of(pci.rescan, HOTPLUG), "is not a bridge", "rescan below a device that is not a bridge")
t.contains(error_of(pci.wait, HOTPLUG, { timeout = -1 }), "out of range", "a negative timeout")

-- 4. Reset methods, each method with what BAR memory does.
local function methods(addr) return pci.reset_methods(addr) end
local hp_methods = methods(HOTPLUG)
t.is(table.concat(hp_methods or {}, " "), "bus", "the ivshmem alone behind its port resets by bus only")
local flr_methods = methods(FLR)
t.is(table.concat(flr_methods or {}, " "), "flr pm bus", "the PCIe virtio device offers flr, pm, bus")
local none, why = methods(EDU)
t.ok(none == nil and why:find("no reset", 1, true), "the edu on the root bus has none: " .. tostring(why))

local function method_file(addr)
  local f = assert(io.open("/sys/bus/pci/devices/" .. addr .. "/reset_method"))
  local s = f:read("l")
  f:close()
  return s
end

-- The ivshmem's memory is a file: every reset keeps it.
t.test("hotplug ivshmem: bus reset keeps BAR2", function()
  local bar <close> = pci.map(HOTPLUG, 2)
  bar:write32(0x100, 0x5ca1ab1e)
  assert(pci.reset(HOTPLUG, { method = "bus" }) == "bus")
  assert(bar:read32(0x100) == 0x5ca1ab1e, "kept")
  assert(method_file(HOTPLUG) == "bus", "reset_method put back")
end)
-- flr and pm work on every kernel of the bed; QEMU 7.2's root port does not bring Data Link
-- Layer Link Active back after a secondary bus reset of a PCIe device, so the kernel refuses
-- "bus" there (ENOTTY, "Data Link Layer Link Active not set in 1000 msec"): the error must say
-- so and reset_method must be put back all the same.
for _, m in ipairs(flr_methods or {}) do
  t.test("FLR device: reset by " .. m .. " (virtio-pci bound), reset_method put back", function()
    local ok, e = pcall(pci.reset, FLR, { method = m })
    if ok then
      assert(e == m, "returns the method")
    else
      assert(m == "bus", "only bus may fail: " .. tostring(e))
      assert(e:find("the bus reset of " .. FLR .. " failed", 1, true), e)
      t.diag("bus reset of the FLR device: " .. e)
    end
    assert(method_file(FLR) == "flr pm bus", "reset_method is the kernel's list again: " .. method_file(FLR))
    assert(pci.device(FLR).driver == "virtio-pci", "still on its driver")
  end)
end
t.contains(error_of(pci.reset, FLR, { method = "acpi" }), "offers: flr, pm, bus", "a method the device lacks")
t.is(method_file(FLR), "flr pm bus", "reset_method unchanged after the refusal")
t.contains(error_of(pci.reset, HPORT, { force = true }), "is a bridge", "resetting a port through sysfs is refused")

-- 5. Hot reset: the device alone behind its port is the only one hit.
t.test("hot_reset_info lists exactly the devices on the bus, and hot_reset works", function()
  local d <close> = vfio.open(RESET)
  local list = d:hot_reset_info()
  local port = io.popen("basename $(dirname $(readlink -f /sys/bus/pci/devices/" .. RESET .. "))"):read("l")
  local onbus = {}
  for line in io.popen("ls -d /sys/bus/pci/devices/" .. port .. "/0000:??:??.?"):lines() do
    onbus[#onbus + 1] = line:match("([^/]+)$")
  end
  assert(#list == #onbus, #list .. " devices listed, " .. #onbus .. " on the bus")
  for i, h in ipairs(list) do
    assert(h.addr == onbus[i], "listed " .. h.addr)
    assert(h.held == true and h.group == d.group, "held, in the device's group")
  end
  local bar <close> = d:map(2)
  bar:write32(0x40, 0xfeedf00d)
  d:hot_reset()
  assert(bar:read32(0x40) == 0xfeedf00d, "ivshmem memory kept by the hot reset")
end)

-- Two devices on one bus (behind the conventional bridge), the virtio one moved to vfio-pci:
-- the hot reset hits both; with only the edu open it is refused where the virtio device has a
-- group of its own (no-IOMMU), and works once both are held.
t.test("hot reset of a bus of two: listed, refused until every group is held", function()
  local VIRTIO, BEDU = env("BARLUA_NONVIABLE_VIRTIO"), env("BARLUA_NONVIABLE_EDU")
  local prev, prev_override = pci.bind(VIRTIO, "vfio-pci")
  local ok, failure = pcall(function()
    local a <close> = vfio.open(BEDU)
    local list = a:hot_reset_info()
    local addrs = {}
    for _, h in ipairs(list) do addrs[#addrs + 1] = h.addr end
    table.sort(addrs)
    local want = { BEDU, VIRTIO }
    table.sort(want)
    assert(table.concat(addrs, " ") == table.concat(want, " "), "lists both: " .. table.concat(addrs, " "))
    local b <close> = vfio.open(VIRTIO)
    if a.group ~= b.group then
      b:close()
      local e = t.error_of(a.hot_reset, a)
      assert(e and e:find("would also reset " .. VIRTIO, 1, true), tostring(e))
      assert(e:find("vfio.open each", 1, true), "says what to do: " .. e)
      local _b2 <close> = vfio.open(VIRTIO)
      a:hot_reset()
    else
      a:hot_reset()
    end
    local bar <close> = a:map(0)
    assert(bar:read32(0) == 0x010000ed, "the edu answers after the hot reset")
  end)
  pci.bind(VIRTIO, prev, { override = prev_override or false })
  assert(pci.device(VIRTIO).driver == prev, "the virtio device is back on " .. tostring(prev))
  assert(ok, failure)
end)

-- Everything back as the bed booted it.
for _, d in ipairs(boot) do
  t.is(driver(d.addr), d.driver, d.name .. " is on " .. tostring(d.driver) .. " again")
end
sh("ip link set " .. tostring(ifname) .. " down")
t.done()
