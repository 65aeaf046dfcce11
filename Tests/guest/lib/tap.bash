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
