#!/usr/bin/env bash
# shellcheck disable=SC1091
# Boot 1 of the ivshmem persistence smoke (scripts/testbed/suite): write into BAR2 through
# barlua's mmio.map (offset 0) and through python's mmap (offset 0x1000). The host then finds
# the values in the backing file and boot 2 (read.sh) reads them back.
. "$(dirname "$0")/../guest/lib/tap.bash"

is "barlua mmio.map writes 0xC0FFEE11 at BAR2 offset 0" \
  "$(barlua -e '
local b = mmio.map("/sys/bus/pci/devices/" .. os.getenv("BARLUA_IVSHMEM") .. "/resource2")
b:write32(0, 0xC0FFEE11)
print(string.format("%08x", b:read32(0)))' 2>&1)" c0ffee11
is "python mmap writes 0x5EED1234 at BAR2 offset 0x1000" "$(ivshmem_word 0x1000 0x5EED1234 2>&1)" 5eed1234
done_testing
