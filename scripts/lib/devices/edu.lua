-- QEMU's educational device (-device edu, 1234:11e8): BAR0, 1 MiB of registers.
-- From QEMU docs/specs/edu.rst and hw/misc/edu.c. Below 0x80 only 4-byte accesses work (others
-- read all ones and are ignored on write); the DMA registers from 0x80 are 64-bit.
--
-- DMA: the engine moves dma_count bytes between host memory (an address from device:dma, the
-- IOVA or, in no-IOMMU mode, the physical address) and its own 4 KiB buffer, which it sees at
-- device address 0x40000 (`dma_buffer` below). A transfer completes on a 100 ms timer; with
-- dma_cmd.irq set it then raises interrupt 0x100. Interrupts: one MSI vector when MSI is
-- enabled (device:irq("msi")), else INTx; no MSI-X. QEMU 7.2 stops the whole guest (hw_error)
-- on a transfer that ends exactly at the buffer's end (its check wants end < 0x41000): keep
-- transfers to `dma_max` bytes from 0x40000.
local regs = require "barlua.regs"

local map = regs.define{
  name = "edu", vendor = 0x1234, device = 0x11e8, bar = 0, size = 0x100000,
  registers = {
    {name = "id", offset = 0x00, width = 32, access = "ro",
     doc = "0xRRrr00ed: major, minor version, magic 0xed",
     fields = {magic = {lsb = 0, msb = 7}, minor = {lsb = 16, msb = 23}, major = {lsb = 24, msb = 31}}},
    {name = "liveness", offset = 0x04, width = 32, access = "rw",
     doc = "reads back the bitwise inverse of what was written"},
    {name = "factorial", offset = 0x08, width = 32, access = "rw",
     doc = "write n: the device computes n! (status.computing is 1 meanwhile), read it back"},
    {name = "status", offset = 0x20, width = 32, access = "rw",
     fields = {computing = {bit = 0, access = "ro"},
               irq_on_factorial = {bit = 7, doc = "raise interrupt 0x01 when n! is ready"}}},
    {name = "irq_status", offset = 0x24, width = 32, access = "ro",
     doc = "the values that raised the interrupt (bits of irq_raise, 0x1 factorial, 0x100 DMA);"
       .. " the line (INTx) or message (MSI) is asserted while it is not 0",
     fields = {factorial = {bit = 0}, dma = {bit = 8}}},
    {name = "irq_raise", offset = 0x60, width = 32, access = "wo",
     doc = "raise an interrupt: the value is ORed into irq_status"},
    {name = "irq_ack", offset = 0x64, width = 32, access = "wo",
     doc = "acknowledge: the value is cleared from irq_status (INTx drops at 0)"},
    {name = "dma_src", offset = 0x80, width = 64, access = "rw",
     doc = "source: a host DMA address (buf.iova + offset) or dma_buffer + offset"},
    {name = "dma_dst", offset = 0x88, width = 64, access = "rw",
     doc = "destination: dma_buffer + offset or a host DMA address"},
    {name = "dma_count", offset = 0x90, width = 64, access = "rw", doc = "bytes to move"},
    {name = "dma_cmd", offset = 0x98, width = 64, access = "rw",
     doc = "start: 1 while running; to_ram: 0 RAM->edu, 1 edu->RAM; irq: raise 0x100 when done",
     fields = {start = {bit = 0}, to_ram = {bit = 1}, irq = {bit = 2}}},
  },
}

map.dma_buffer = 0x40000 -- the device address of edu's own 4 KiB buffer
map.dma_max = 2048 -- the largest transfer used from dma_buffer (see above: QEMU 7.2's check)
map.irq_factorial, map.irq_dma = 0x01, 0x100 -- irq_status values of its own interrupts

return map
