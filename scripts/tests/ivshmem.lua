#!/usr/bin/env barlua
-- QEMU's ivshmem through VFIO: the BAR0 registers (mask, read-clearing status, position) and
-- the shared memory of BAR2 (restored afterwards). Device: --device ADDR or $BARLUA_IVSHMEM.
local t = require "barlua.test"
local map = require "devices.ivshmem"
local dev, ivs = require("testdevice").open(t, {env = "BARLUA_IVSHMEM", map = map}, ...)

t.diag("ivshmem at " .. dev.addr .. " (" .. dev.iommu .. ")")
t.is(dev:config_read8(0x08), 1, "PCI revision 1 (QEMU 2.6 and later)")
t.is(ivs.iv_position, 0, "iv_position is 0 without an interrupt server")

t.test("intr_mask holds what is written", function()
  for _, v in ipairs{0xffffffff, 0x12345678, 0} do
    ivs.intr_mask = v
    t.is(ivs.intr_mask, v, string.format("intr_mask 0x%x", v))
  end
end)

-- With intr_mask 0 no interrupt is asserted while the status is set.
t.test("intr_status is cleared by reading it", function()
  ivs.intr_mask = 0
  ivs.intr_status = 0x5
  t.is(ivs.intr_status, 0x5, "first read returns what was written")
  t.is(ivs.intr_status, 0, "second read returns 0")
end)

-- ivshmem-plain has no peers: the doorbell write is accepted and ignored.
ivs.doorbell:set{peer = 1, vector = 0}
t.is(ivs.intr_status, 0, "a doorbell to a missing peer changes nothing")

t.test("BAR2 shared memory keeps a pattern (original content restored)", function()
  local shm = dev:map(2)
  t.ok(shm.size >= 0x10000, string.format("BAR2 is %d bytes", shm.size))
  local len = 0x10000
  local saved = shm:read(0, len)
  local pattern = {}
  for i = 0, 255 do pattern[#pattern + 1] = string.char(i) end
  pattern = string.rep(table.concat(pattern), len // 256)
  shm:write(0, pattern)
  t.is(shm:compare(0, pattern), nil, "pattern reads back")
  shm:fill(0xa5, 0, len)
  t.is(shm:count(0xa5, 0, len), len, "fill 0xa5 everywhere")
  shm:write(0, saved)
  t.is(shm:compare(0, saved), nil, "original content restored")
  shm:unmap()
end)

dev:close()
t.done()
