# shellcheck shell=bash
# A few TAP helpers for the guest tests (Tests/guest/*.sh, run by `prove --exec '' --ext .sh`).
# Every check prints one `ok`/`not ok` line; a failure prints what was seen as `#` comments.
# `done_testing` prints the plan and exits non-zero when anything failed.

TAP_N=0
TAP_FAILED=0

tap_result() { # STATUS(0=ok) NAME [DIAGNOSTIC...]
  local status=$1 name=$2
  shift 2
  TAP_N=$((TAP_N + 1))
  if [[ $status -eq 0 ]]; then
    echo "ok $TAP_N - $name"
  else
    TAP_FAILED=$((TAP_FAILED + 1))
    echo "not ok $TAP_N - $name"
    local line
    for line in "$@"; do
      printf '%s\n' "$line" | sed 's/^/#   /'
    done
  fi
}

# check NAME COMMAND [ARGS...]: ok when COMMAND exits 0; on failure shows its output.
check() {
  local name=$1 out rc
  shift
  out=$("$@" 2>&1)
  rc=$?
  tap_result "$rc" "$name" "command: $*" "exit status: $rc" "output: $out"
}

# is NAME GOT WANT
is() {
  local status=1
  [[ $2 == "$3" ]] && status=0
  tap_result "$status" "$1" "got:  '$2'" "want: '$3'"
}

# like NAME GOT REGEX
like() {
  local status=1
  [[ $2 =~ $3 ]] && status=0
  tap_result "$status" "$1" "got:  '$2'" "want to match: '$3'"
}

done_testing() {
  echo "1..$TAP_N"
  [[ $TAP_FAILED -eq 0 ]] || {
    echo "# $TAP_FAILED of $TAP_N failed"
    exit 1
  }
  exit 0
}

# Helpers about PCI devices in sysfs.
pci_dir() { echo "/sys/bus/pci/devices/$1"; }
pci_driver() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
pci_group() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group" 2>/dev/null)" 2>/dev/null; }
pci_id() { echo "$(cat "/sys/bus/pci/devices/$1/vendor"):$(cat "/sys/bus/pci/devices/$1/device")"; }

# ivshmem_word OFFSET [VALUE]: read (or write, then read) one little-endian 32-bit word of the
# ivshmem BAR2 through an mmap of its sysfs resource2 file (python3 of the host root), print it
# as 8 hex digits. The bed's own way to reach the BAR, independent of barlua.
ivshmem_word() {
  /usr/bin/python3 - "/sys/bus/pci/devices/$BARLUA_IVSHMEM/resource2" "$@" <<'PY'
import mmap, os, struct, sys
path, off = sys.argv[1], int(sys.argv[2], 0)
fd = os.open(path, os.O_RDWR | os.O_SYNC)
m = mmap.mmap(fd, 4 << 20, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
if len(sys.argv) > 3:
    m[off:off + 4] = struct.pack("<I", int(sys.argv[3], 0))
print("%08x" % struct.unpack("<I", m[off:off + 4])[0])
PY
}
