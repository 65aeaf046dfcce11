#!/usr/bin/env bash
# The shareable device tests: `prove -e barlua scripts/tests/` in the guest, where
# BARLUA_EDU, BARLUA_IVSHMEM and BARLUA_TESTDEV name real devices on vfio-pci, must run every
# script (no skip) and pass. The inner prove's report is shown as TAP comments.
. "$(dirname "$0")/lib/tap.bash"

scripts=(scripts/tests/*.lua)
check "scripts/tests has the edu, ivshmem and pci-testdev tests" \
  test -f scripts/tests/edu.lua -a -f scripts/tests/ivshmem.lua -a -f scripts/tests/pci_testdev.lua

report=$(prove -v -e barlua scripts/tests/ 2>&1)
rc=$?
printf '%s\n' "$report" | sed 's/^/# /'
is "prove -e barlua scripts/tests/ exits 0" "$rc" 0
like "prove's verdict is PASS" "$report" $'\nResult: PASS'
is "no script was skipped" "$(printf '%s\n' "$report" | grep -c ' skipped: ')" 0
for s in "${scripts[@]}"; do
  like "$s ran (its TAP stream started)" "$report" "$s \.+ "$'\n'"TAP version 13"
  is "$s: no failed test" "$(printf '%s\n' "$report" | sed -n "\|^$s \.|,/^ok$\|^Failed\|^Dubious/p" | grep -c '^not ok')" 0
done
# The device each script used is the one the bed named.
like "edu test used \$BARLUA_EDU" "$report" "# edu at ${BARLUA_EDU:-none} "
like "ivshmem test used \$BARLUA_IVSHMEM" "$report" "# ivshmem at ${BARLUA_IVSHMEM:-none} "
like "pci-testdev test used \$BARLUA_TESTDEV" "$report" "# pci-testdev at ${BARLUA_TESTDEV:-none} "
like "the mode's IOMMU driver was used" "$report" \
  "\\(($([[ ${BARLUA_GUEST_MODE:-} == noiommu ]] && echo noiommu || echo 'type1v2|type1'))\\)"

# --device names the device and wins over the environment; a device of another kind is refused
# before any access (the ivshmem is not written as if it were an edu).
out=$(env -u BARLUA_IVSHMEM barlua scripts/tests/ivshmem.lua --device "${BARLUA_IVSHMEM:-none}" 2>&1)
is "ivshmem.lua --device ADDR without the variable passes" "$?" 0
like "... and used that device" "$out" "# ivshmem at ${BARLUA_IVSHMEM:-none} "
err=$(BARLUA_EDU=$BARLUA_IVSHMEM barlua scripts/tests/edu.lua 2>&1 >/dev/null)
is "edu.lua on the ivshmem fails" "$?" 1
like "... saying what the device is" "$err" \
  "${BARLUA_IVSHMEM:-none} is 1af4:1110, not edu \\(1234:11e8\\): check --device or BARLUA_EDU"
is "... before any test ran" "$(BARLUA_EDU=$BARLUA_IVSHMEM barlua scripts/tests/edu.lua 2>/dev/null)" \
  $'TAP version 13\nnot ok 1 - script died\n1..1'
done_testing
