-- QEMU's educational device (-device edu, 1234:11e8): BAR0, 1 MiB of registers.
-- From QEMU docs/specs/edu.rst and hw/misc/edu.c. Below 0x80 only 4-byte accesses work (others
-- read all ones and are ignored on write); the DMA registers from 0x80 are 64-bit.
local regs = require "barlua.regs"

return regs.define{
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
     fields = {computing = {bit = 0, access = "ro"}, irq_on_factorial = {bit = 7}}},
    {name = "irq_status", offset = 0x24, width = 32, access = "ro",
     doc = "the values that raised the interrupt (bits of irq_raise, 0x1 factorial, 0x100 DMA)"},
    {name = "irq_raise", offset = 0x60, width = 32, access = "wo",
     doc = "raise an interrupt: the value is ORed into irq_status"},
    {name = "irq_ack", offset = 0x64, width = 32, access = "wo",
     doc = "acknowledge: the value is cleared from irq_status"},
    {name = "dma_src", offset = 0x80, width = 64, access = "rw"},
    {name = "dma_dst", offset = 0x88, width = 64, access = "rw"},
    {name = "dma_count", offset = 0x90, width = 64, access = "rw"},
    {name = "dma_cmd", offset = 0x98, width = 64, access = "rw",
     doc = "start: 1 while running; to_ram: 0 RAM->edu, 1 edu->RAM; irq: raise 0x100 when done",
     fields = {start = {bit = 0}, to_ram = {bit = 1}, irq = {bit = 2}}},
  },
}
