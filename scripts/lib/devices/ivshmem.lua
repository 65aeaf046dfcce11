-- QEMU's inter-VM shared memory device (-device ivshmem-plain / ivshmem-doorbell, 1af4:1110):
-- BAR0 holds 256 bytes of registers, BAR2 the shared memory. From QEMU
-- docs/specs/ivshmem-spec.rst and hw/misc/ivshmem.c.
local regs = require "barlua.regs"

return regs.define{
  name = "ivshmem", vendor = 0x1af4, device = 0x1110, bar = 0, size = 0x100,
  registers = {
    {name = "intr_mask", offset = 0x00, width = 32, access = "rw",
     doc = "bit 0: peer interrupt (revision 0); reserved in revision 1"},
    {name = "intr_status", offset = 0x04, width = 32, access = "rw", side_effects = true,
     doc = "reading returns the status and clears it"},
    {name = "iv_position", offset = 0x08, width = 32, access = "ro",
     doc = "this peer's ID when configured for interrupts (doorbell), else 0"},
    {name = "doorbell", offset = 0x0c, width = 32, access = "wo",
     doc = "interrupt peer `peer` on `vector`; ignored without interrupts (ivshmem-plain)",
     fields = {vector = {lsb = 0, msb = 15}, peer = {lsb = 16, msb = 31}}},
  },
}
