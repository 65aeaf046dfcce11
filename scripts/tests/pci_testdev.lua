#!/usr/bin/env barlua
-- QEMU's pci-testdev through VFIO: its memory BAR0 describes three tests; the no-eventfd test
-- counts byte writes of its data byte at its offset. Device: --device ADDR or $BARLUA_TESTDEV.
local t = require "barlua.test"
local map = require "devices.pci_testdev"
local dev, td, bar = require("testdevice").open(t, {env = "BARLUA_TESTDEV", map = map}, ...)

t.diag("pci-testdev at " .. dev.addr .. " (" .. dev.iommu .. ")")

local function test_name()
  local s = bar:read(map.name_offset, 32)
  return s:match("^[^%z]*")
end

-- Per QEMU: test i counts accesses at 2048 + i (memory BAR); only test 0 (no-eventfd) reaches
-- the device model, the others are caught by an ioeventfd first.
local expect = {
  [0] = {name = "mmio-no-eventfd", data = 0xfa},
  [1] = {name = "mmio-wildcard-eventfd", data = 0xce},
  [2] = {name = "mmio-datamatch-eventfd", data = 0xfa},
}
for i = 0, 2 do
  td.test = i
  t.is(test_name(), expect[i].name, "test " .. i .. " name")
  t.is(td.width, 1, "test " .. i .. " counts byte writes")
  t.is(td.offset, 0x800 + i, "test " .. i .. " offset")
  t.is(td.data, expect[i].data, "test " .. i .. " data byte")
  t.is(td.count, 0, "test " .. i .. " count starts at 0")
end

t.test("no-eventfd counts writes of its data byte at its offset", function()
  td.test = 0
  for _ = 1, 3 do bar:write8(td.offset, 0xfa) end
  t.is(td.count, 3, "three matching writes counted")
  bar:write8(td.offset, 0x00)
  t.is(td.count, 3, "a write of another byte is not counted")
  td.test = 0
  t.is(td.count, 0, "selecting the test again resets the count")
end)

td.test = 3
t.is(td.offset, 0, "with no test selected (test 3 does not exist) the header reads 0")

dev:close()
t.done()
