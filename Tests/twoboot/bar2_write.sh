#!/usr/bin/env bash
# shellcheck disable=SC1091
# Boot 1, inside the guest (a step of persistence.sh): raw words written into BAR2 beside the
# record, through barlua's mmio.map (offset 0x200000) and through python's mmap (0x201000).
# The host then finds them in the backing file and boot 2 (bar2_read.sh) reads them back.
. "$(dirname "$0")/../guest/lib/tap.bash"

is "barlua mmio.map writes 0xC0FFEE11 at BAR2 offset 0x200000" \
  "$(barlua -e '
local b = mmio.map("/sys/bus/pci/devices/" .. os.getenv("BARLUA_IVSHMEM") .. "/resource2")
b:write32(0x200000, 0xC0FFEE11)
print(string.format("%08x", b:read32(0x200000)))' 2>&1)" c0ffee11
is "python mmap writes 0x5EED1234 at BAR2 offset 0x201000" "$(ivshmem_word 0x201000 0x5EED1234 2>&1)" 5eed1234
done_testing
