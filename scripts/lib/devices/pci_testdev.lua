-- QEMU's PCI test device (-device pci-testdev, 1b36:0005), its memory BAR0 (4 KiB).
-- From QEMU docs/specs/pci-testdev.rst and hw/misc/pci-testdev.c: writing a test number to
-- `test` selects a test; the header then describes it; writes of the access it describes to
-- `offset` count in `count`. QEMU answers byte by byte (wider accesses are split, little
-- endian); with no test selected every byte reads 0.
local regs = require "barlua.regs"

local map = regs.define{
  name = "pci_testdev", vendor = 0x1b36, device = 0x0005, bar = 0, size = 0x1000,
  registers = {
    {name = "test", offset = 0x00, width = 8, access = "wo",
     doc = "select test N (0 no-eventfd, 1 wildcard-eventfd, 2 datamatch-eventfd); N >= 3 none"},
    {name = "width", offset = 0x01, width = 8, access = "ro",
     doc = "access width the test counts: 1, 2 or 4 bytes"},
    {name = "offset", offset = 0x04, width = 32, access = "ro",
     doc = "where in this BAR the test counts writes"},
    {name = "data", offset = 0x08, width = 8, access = "ro",
     doc = "the byte a data-matching test counts (QEMU's header holds one byte here)"},
    {name = "count", offset = 0x0c, width = 32, access = "ro",
     doc = "writes counted since the test was selected"},
  },
}
-- The selected test's name, a NUL-terminated ASCII string, starts at 0x10.
map.name_offset = 0x10
return map
