#!/usr/bin/env bash
# shellcheck disable=SC1091
# Boot 2, inside the guest (a step of persistence.sh): the words boot 1 wrote beside the record
# (bar2_write.sh) are still in BAR2.
. "$(dirname "$0")/../guest/lib/tap.bash"

is "barlua mmio.map reads back 0xC0FFEE11 at BAR2 offset 0x200000" \
  "$(barlua -e '
local b = mmio.map("/sys/bus/pci/devices/" .. os.getenv("BARLUA_IVSHMEM") .. "/resource2")
print(string.format("%08x", b:read32(0x200000)))' 2>&1)" c0ffee11
is "python mmap reads back 0x5EED1234 at BAR2 offset 0x201000" "$(ivshmem_word 0x201000 2>&1)" 5eed1234
done_testing
