#!/usr/bin/env barlua
-- persistence.lua --reset HOW, --reload CMD and --matrix on the bed (issue #23 item 7): the
-- hot-pluggable ivshmem (memory is a file: every reset keeps it, a fresh reload zeroes it) and
-- the PCIe virtio device with FLR (moved to vfio-pci for the run and put back).
local t = require "barlua.test"

local HOTPLUG, FLR = os.getenv("BARLUA_IVSHMEM_HOTPLUG"), os.getenv("BARLUA_FLR")
if os.getenv("BARLUA_GUEST") ~= "1" or not HOTPLUG then
  t.skip("needs the test bed guest (scripts/testbed/guest) with BARLUA_IVSHMEM_HOTPLUG")
end

local bed = require "bed"
local function run(args) return bed.persistence(args, "persistence.out") end
local row = bed.matrix_row

local code, text = run("--device " .. HOTPLUG .. " --matrix --reload 'testbed-hotplug reload --keep'")
t.is(code, 0, "ivshmem matrix with a keeping reload: exit 0")
t.contains(text, "condition  BAR0", "the table has a header")
t.is(row(text, "rerun"), "not memory kept", "rerun: BAR0 registers are not memory, BAR2 kept")
t.is(row(text, "vfio"), "not memory kept", "VFIO_DEVICE_RESET keeps BAR2")
t.is(row(text, "bus"), "not memory kept", "the sysfs bus reset keeps BAR2")
t.is(row(text, "hot"), "not memory kept", "the VFIO hot reset keeps BAR2")
t.is(row(text, "reload"), "not memory kept", "a reload onto the same memory keeps BAR2")
if code ~= 0 then t.diag(text) end
t.is(pci.device(HOTPLUG).driver, "vfio-pci", "the ivshmem is on vfio-pci after the matrix")

code, text = run("--device " .. HOTPLUG .. " --bar 2 --matrix --reload 'testbed-hotplug reload --fresh'")
t.is(code, 0, "matrix of BAR2 with a fresh reload: exit 0")
t.is(row(text, "reload"), "zeroed", "a reload onto new memory: zeroed")
t.is(row(text, "bus"), "kept", "the bus reset keeps it")
if code ~= 0 then t.diag(text) end

-- The FLR device: bound to vfio-pci for the run, put back after.
local prev, prev_override = pci.bind(FLR, "vfio-pci")
code, text = run("--device " .. FLR .. " --matrix")
t.ok(code == 0 or code == 1, "the FLR device's matrix ran (1: a condition failed, see below): " .. tostring(code))
t.ok(row(text, "flr"), "the FLR device's matrix has an flr row: " .. tostring(row(text, "flr")))
t.ok(row(text, "pm"), "and a pm row")
t.ok(row(text, "vfio"), "and a vfio row")
t.diag(text:match("condition[^\n]*\n.*") or text)
pci.bind(FLR, prev, { override = prev_override or false })
t.is(pci.device(FLR).driver, prev, "the FLR device is back on " .. tostring(prev))

-- --reset HOW and --reload on an ordinary run: a second run finds the first run's record.
run("--device " .. HOTPLUG .. " --bar 2")
code, text = run("--device " .. HOTPLUG .. " --bar 2 --reset bus")
t.is(code, 0, "--reset bus: exit 0")
t.contains(text, "device reset before the test: sysfs reset, method bus", "the bus reset is named")
t.contains(text, "already initialised", "the record survived the bus reset")
code, text = run("--device " .. HOTPLUG .. " --bar 2 --reset hot")
t.is(code, 0, "--reset hot: exit 0")
t.contains(text, "VFIO_DEVICE_PCI_HOT_RESET", "--reset hot")
t.contains(text, "already initialised", "the record survived the hot reset")
code, text = run("--device " .. HOTPLUG .. " --bar 2 --reload 'testbed-hotplug reload --fresh'")
t.is(code, 0, "--reload: exit 0")
t.contains(text, "reloaded by: testbed-hotplug reload --fresh", "the reload is named")
t.ok(not text:find("already initialised", 1, true), "a fresh reload loses the record")
code, text = run("--device " .. HOTPLUG .. " --reset flr")
t.is(code, 1, "--reset flr on a device without FLR fails")
t.contains(text, "offers no 'flr' reset (the kernel offers: bus)", "and says which it offers")
code = run("--device " .. HOTPLUG .. " --matrix --reset")
t.is(code, 2, "--matrix with --reset is a usage error")
t.is(pci.device(HOTPLUG).driver, "vfio-pci", "the ivshmem ends on vfio-pci")
t.done()
