#!/usr/bin/env barlua
-- QEMU's edu device through VFIO: identification, liveness, factorial, status bits, interrupt
-- status, DMA register readback. Device: --device ADDR or $BARLUA_EDU (skipped without).
local t = require "barlua.test"
local time = require "barlua.time"
local dev, edu = require("testdevice").open(t, {env = "BARLUA_EDU", map = require "devices.edu"}, ...)

t.diag("edu at " .. dev.addr .. " (" .. dev.iommu .. ")")
t.is(edu.id.value, 0x010000ed, "id reads 0x010000ed")
t.is(edu.id.magic, 0xed, "id magic byte through its field")

t.test("liveness returns the inverse of what was written", function()
  for _, v in ipairs{0, 5, 0x12345678, 0xffffffff, 0xa5a5a5a5} do
    edu.liveness = v
    t.is(edu.liveness, ~v & 0xffffffff, string.format("liveness ~0x%x", v))
  end
end)

-- Writes n to the factorial register, waits for status.computing to clear, reads n!.
local function factorial(n)
  edu.factorial = n
  local deadline = time.ns() + 2e9
  while edu.status.computing == 1 do
    if time.ns() > deadline then error("status.computing still 1 after 2 s", 2) end
  end
  return edu.factorial
end

t.is(factorial(5), 120, "5! = 120")
t.is(factorial(12), 479001600, "12! = 479001600")
t.is(factorial(0), 1, "0! = 1")

t.test("status.irq_on_factorial: set and cleared by read-modify-write", function()
  edu.status.irq_on_factorial = 1
  t.is(edu.status.value, 0x80, "status reads 0x80 with the bit set")
  edu.status.irq_on_factorial = 0
  t.is(edu.status.value, 0, "status reads 0 with the bit cleared")
end)

-- irq_raise and irq_ack are write-only; irq_status shows what was raised and not yet acked.
-- (With no interrupt handler set up through VFIO the raised line reaches nobody.)
t.test("irq_raise sets irq_status bits, irq_ack clears them", function()
  t.is(edu.irq_status, 0, "no interrupt pending at start")
  edu.irq_raise = 0x1234
  t.is(edu.irq_status, 0x1234, "raised bits pending")
  edu.irq_ack = 0x0030
  t.is(edu.irq_status, 0x1204, "acked bits cleared, others still pending")
  edu.irq_ack = 0x1204
  t.is(edu.irq_status, 0, "all acked")
end)

-- The DMA registers hold what they are given while no transfer runs (nothing writes dma_cmd,
-- so no DMA starts).
t.test("DMA address and count registers read back 64-bit values", function()
  edu.dma_src = 0x123456789a
  edu.dma_dst = 0x40000
  edu.dma_count = 100
  t.is(edu.dma_src, 0x123456789a, "dma_src")
  t.is(edu.dma_dst, 0x40000, "dma_dst")
  t.is(edu.dma_count, 100, "dma_count")
  t.is(edu.dma_cmd.start, 0, "no transfer running")
end)

dev:close()
t.done()
