#!/usr/bin/env bash
# shellcheck disable=SC1091
# barlua itself in the guest: `barlua -e` runs, reads sysfs, and maps ivshmem BAR2 through its
# sysfs resource2 file with mmio.map. These checks fail (not skip) while barlua cannot do it.
. "$(dirname "$0")/lib/tap.bash"

check "barlua is on the PATH" command -v barlua
is "barlua -e runs Lua" "$(barlua -e 'print(1 + 1)' 2>&1)" 2
is "barlua reads the edu vendor from /sys/bus/pci/devices" \
  "$(barlua -e 'io.write(io.open("/sys/bus/pci/devices/" .. os.getenv("BARLUA_EDU") .. "/vendor"):read("a"))' 2>&1)" \
  0x1234
is "barlua sees every device directory of /sys/bus/pci/devices" \
  "$(barlua -e 'print(#io.open("/sys/bus/pci/devices/" .. os.getenv("BARLUA_IVSHMEM") .. "/device"):read("a"))' 2>&1)" \
  7
is "barlua mmio.map writes and reads ivshmem BAR2 at 0x2000" \
  "$(barlua -e '
local b = mmio.map("/sys/bus/pci/devices/" .. os.getenv("BARLUA_IVSHMEM") .. "/resource2")
b:write32(0x2000, 0xC0FFEE11)
print(string.format("%08x", b:read32(0x2000)))' 2>&1)" c0ffee11
is "the value barlua wrote is in the BAR (read by python mmap)" "$(ivshmem_word 0x2000 2>&1)" c0ffee11
done_testing
