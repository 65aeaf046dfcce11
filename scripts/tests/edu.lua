#!/usr/bin/env barlua
-- QEMU's edu device through VFIO: identification, liveness, factorial, status bits, interrupt
-- status, DMA register readback, then its DMA engine and interrupts the way a team tests its
-- own: round trips RAM -> edu -> RAM compared byte for byte, MSI on DMA completion, MSI and
-- INTx raised through irq_raise and acknowledged through irq_ack, factorial with its
-- completion interrupt. Device: --device ADDR or $BARLUA_EDU (skipped without).
local t = require "barlua.test"
local time = require "barlua.time"
local map = require "devices.edu"
local dev, edu = require("testdevice").open(t, {env = "BARLUA_EDU", map = map}, ...)

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
  t.is(edu.irq_status.value, 0, "no interrupt pending at start")
  edu.irq_raise = 0x1234
  t.is(edu.irq_status.value, 0x1234, "raised bits pending")
  edu.irq_ack = 0x0030
  t.is(edu.irq_status.value, 0x1204, "acked bits cleared, others still pending")
  edu.irq_ack = 0x1204
  t.is(edu.irq_status.value, 0, "all acked")
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

-- ---------------------------------------------------------------- DMA and interrupts
-- One transfer: program the engine, start it, and wait for it, by the completion interrupt
-- when `irq` is given, else by polling dma_cmd.start.
local function transfer(src, dst, count, to_ram, irq)
  edu.dma_src, edu.dma_dst, edu.dma_count = src, dst, count
  edu.dma_cmd = 1 | (to_ram and 2 or 0) | (irq and 4 or 0)
  if irq then
    local n = assert(irq:wait(5), "no DMA completion interrupt within 5 s")
    t.is(edu.irq_status.dma, 1, "irq_status.dma is set")
    edu.irq_ack = map.irq_dma
    return n
  end
  local deadline = time.ns() + 5e9
  while edu.dma_cmd.start == 1 do
    if time.ns() > deadline then error("DMA still running after 5 s", 2) end
    time.sleep(0.01)
  end
end

local function pattern(n, seed)
  local p = {}
  for i = 0, n - 1 do p[#p + 1] = string.char((i * 13 + seed) % 256) end
  return table.concat(p)
end

t.test("DMA round trip RAM -> edu -> RAM, compared", function()
  local src <close> = dev:dma(4096)
  local dst <close> = dev:dma(4096)
  t.diag(tostring(src) .. ", " .. tostring(dst))
  for seed, size in ipairs{1, 64, 1000, map.dma_max} do
    src:write(0, pattern(size, seed))
    dst:fill(0)
    transfer(src.iova, map.dma_buffer, size, false)
    transfer(map.dma_buffer, dst.iova + 8, size, true)
    t.is(dst:compare(8, pattern(size, seed)), nil, size .. " bytes came back unchanged")
    t.is(dst:count(0, 0, 8) + dst:count(0, 8 + size, 4096 - 8 - size), 4096 - size,
      size .. " bytes: nothing outside the destination range changed")
  end
end)

t.test("MSI on DMA completion", function()
  edu.irq_ack = 0xffffffff
  local buf <close> = dev:dma(4096)
  local irq <close> = dev:irq("msi")
  buf:write(0, pattern(512, 7))
  t.ok(transfer(buf.iova, map.dma_buffer, 512, false, irq) >= 1, "RAM -> edu raised MSI")
  t.ok(transfer(map.dma_buffer, buf.iova + 1024, 512, true, irq) >= 1, "edu -> RAM raised MSI")
  t.is(buf:compare(1024, pattern(512, 7)), nil, "the data made the round trip")
  t.is(irq:wait(0.2), nil, "no further interrupt")
end)

t.test("MSI raised through irq_raise, acknowledged through irq_ack", function()
  local irq <close> = dev:irq("msi")
  edu.irq_raise = 0x10
  t.ok((irq:wait(5) or 0) >= 1, "MSI arrives")
  t.is(edu.irq_status.value, 0x10, "irq_status holds the raised value")
  edu.irq_ack = 0x10
  t.is(edu.irq_status.value, 0, "acknowledged")
end)

t.test("factorial with its completion interrupt", function()
  local irq <close> = dev:irq("msi")
  edu.status.irq_on_factorial = 1
  edu.factorial = 8
  t.ok((irq:wait(5) or 0) >= 1, "completion interrupt")
  t.is(edu.factorial, 40320, "8! = 40320")
  t.is(edu.irq_status.factorial, 1, "irq_status.factorial")
  edu.irq_ack = map.irq_factorial
  edu.status.irq_on_factorial = 0
end)

t.test("INTx raised through irq_raise, acknowledged through irq_ack, three times", function()
  local irq <close> = dev:irq("intx")
  for i = 1, 3 do
    edu.irq_raise = 0x20
    t.ok((irq:wait(5) or 0) >= 1, "INTx " .. i .. " arrives")
    edu.irq_ack = 0x20 -- the line drops; the next wait unmasks it
  end
  t.is(irq:wait(0.2), nil, "acknowledged: nothing pending")
end)

dev:close()
t.done()
