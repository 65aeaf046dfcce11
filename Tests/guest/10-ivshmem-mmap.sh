#!/usr/bin/env bash
# shellcheck disable=SC1091
# The bed's mechanism without barlua: a value written into ivshmem BAR2 through an mmap of its
# sysfs resource2 file is read back through a second, independent mapping.
. "$(dirname "$0")/lib/tap.bash"

is "python mmap writes ivshmem BAR2 at 0x3000" "$(ivshmem_word 0x3000 0xA5A55A5A 2>&1)" a5a55a5a
is "a second mapping reads it back" "$(ivshmem_word 0x3000 2>&1)" a5a55a5a
is "python mmap writes another value there" "$(ivshmem_word 0x3000 0x01234567 2>&1)" 01234567
is "and reads that back" "$(ivshmem_word 0x3000 2>&1)" 01234567
done_testing
