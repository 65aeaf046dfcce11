#!/usr/bin/env barlua
-- regs.mmiotrace on a log the running kernel writes now: the recorder of the host fixture
-- (Tests/Fixtures/mmiotrace/record-virtio-probe.sh) traces virtio_pci probing the bed's
-- virtio-rng behind the bridge, and the log names through the virtio common-configuration map
-- as the 6.1 fixture does (TraceTests). Run on every kernel of the suite, so a change of the
-- kernel's mmiotrace format is found here.
local t = require "barlua.test"
local regs = require "barlua.regs"

local VIRTIO = os.getenv("BARLUA_NONVIABLE_VIRTIO")
if os.getenv("BARLUA_GUEST") ~= "1" or not VIRTIO then
  t.skip("needs the test bed guest (scripts/testbed/guest)")
end

local out = assert(os.getenv("BARLUA_OUT"), "the bed sets BARLUA_OUT")
local ok, how, code = os.execute("BARLUA_OUT='" .. out .. "' sh Tests/Fixtures/mmiotrace/record-virtio-probe.sh")
t.ok(ok, "the recorder ran (" .. tostring(how) .. " " .. tostring(code) .. ")")
local f = assert(io.open(out .. "/mmiotrace.txt"))
local text = f:read("a")
f:close()
t.is(text:match("^[^\n]*"), "VERSION 20070824", "the log starts with the format's version")
t.ok(text:match("\nMARK %d+%.%d+ barlua fixture mark"), "the recorder's mark is in the log")

-- The device's modern BAR (BAR4): its common configuration is at offset 0 in QEMU.
local r = assert(io.open("/sys/bus/pci/devices/" .. VIRTIO .. "/resource"))
local bar4
for i = 0, 4 do
  local line = r:read("l")
  if i == 4 then bar4 = tonumber(line:match("^(0x%x+)")) end
end
r:close()

local trace = regs.mmiotrace(text)
local records = select(2, text:gsub("\n[RW] ", "")) + (text:match("^[RW] ") and 1 or 0)
t.is(trace.base, bar4, "the default base is the first mapping: the common configuration at BAR4")
t.is(trace.unparsed, 0, "every line parsed")
t.is(#trace + trace.outside, records, "every R/W record is an entry or outside the base")
t.ok(#trace >= 40, "the probe's common-configuration accesses are there (" .. #trace .. ")")

local status = {}
for _, e in ipairs(trace:entries()) do
  if e.kind == "write8" and e.offset == 0x14 then status[#status + 1] = string.format("%x", e.value) end
end
t.is(table.concat(status, " "), "0 1 3 b f",
  "device_status writes are the virtio handshake: reset, ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK")

local common = dofile("Tests/Fixtures/mmiotrace/virtio_common.lua")
local named = trace:format(common)
t.contains(named, "common.num_queues", "named through the map: num_queues")
t.contains(named, "common.device_status{acknowledge=0x1 driver=0x1 driver_ok=0x1 features_ok=0x1}",
  "named through the map: DRIVER_OK with its fields")

-- The recorder put the device back on its driver and the tracer off.
local drv = io.open("/sys/bus/pci/devices/" .. VIRTIO .. "/uevent")
t.ok(drv and drv:read("a"):match("DRIVER=virtio%-pci"), "the device is bound to virtio-pci again")
if drv then drv:close() end
local tr = assert(io.open("/sys/kernel/tracing/current_tracer"))
t.is(tr:read("l"), "nop", "the tracer is off again")
tr:close()
t.done()
