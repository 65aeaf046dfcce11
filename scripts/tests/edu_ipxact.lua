#!/usr/bin/env barlua
-- QEMU's edu device through its IP-XACT description (scripts/lib/devices/edu.xml, loaded with
-- regs.load): the description agrees with the hand-written devices.edu, and the device answers
-- by the names it gives. Device: --device ADDR or $BARLUA_EDU (skipped without).
local t = require "barlua.test"
local regs = require "barlua.regs"
local time = require "barlua.time"

local dir = (arg and arg[0] or ""):match("^(.*)/") or "."
local spec = regs.load(dir .. "/../lib/devices/edu.xml")
spec.vendor, spec.device, spec.bar = 0x1234, 0x11e8, 0
local map = regs.define(spec)
local dev, edu = require("testdevice").open(t, {env = "BARLUA_EDU", map = map}, ...)
t.diag("edu at " .. dev.addr .. " (" .. dev.iommu .. ") through IP-XACT")

-- Every register of the description is in devices.edu at the same offset, width and access
-- (the DMA address registers are an array there: dma[0..2] for dma_src, dma_dst, dma_count).
t.test("edu.xml agrees with devices.edu", function()
  local hand = require "devices.edu"
  local alias = {["dma[0]"] = "dma_src", ["dma[1]"] = "dma_dst", ["dma[2]"] = "dma_count"}
  for _, r in ipairs(map.registers) do
    local h = hand.by_name[alias[r.name] or r.name]
    t.ok(h ~= nil, r.name .. " is in devices.edu")
    if h then
      t.is(string.format("0x%x %d %s", r.offset, r.width, r.access),
        string.format("0x%x %d %s", h.offset, h.width, h.access), r.name .. " offset, width, access")
    end
  end
  t.is(map.size, 0x100000, "the memory map is 1 MiB, BAR0's size")
end)

t.is(edu.id.value, 0x010000ed, "id reads 0x010000ed (its reset value in edu.xml: " ..
  string.format("0x%x", map.by_name.id.reset) .. ")")
t.is(edu.id.magic, 0xed, "id.magic")

t.test("liveness returns the inverse of what was written", function()
  for _, v in ipairs{0, 5, 0xa5a5a5a5} do
    edu.liveness = v
    t.is(edu.liveness, ~v & 0xffffffff, string.format("liveness ~0x%x", v))
  end
end)

t.test("factorial through status.computing", function()
  edu.factorial = 10
  local deadline = time.ns() + 2e9
  while edu.status.computing == 1 do
    if time.ns() > deadline then error("status.computing still 1 after 2 s", 2) end
  end
  t.is(edu.factorial, 3628800, "10! = 3628800")
end)

t.test("write-only irq_raise / irq_ack against read-only irq_status", function()
  edu.irq_raise = 0x40
  t.is(edu.irq_status & 0x40, 0x40, "raised")
  edu.irq_ack = 0x40
  t.is(edu.irq_status & 0x40, 0, "acknowledged")
  t.contains(t.error_of(function() return edu.irq_raise end), "edu.irq_raise (0x60) is write-only",
    "reading a write-only register is refused by name")
end)

t.test("64-bit registers of the array", function()
  edu["dma[1]"] = 0x1122334455
  t.is(edu["dma[1]"], 0x1122334455, "dma[1] (dma_dst) holds a 64-bit value")
  t.is(edu.dma_cmd.start, 0, "no transfer running")
end)

dev:close()
t.done()
