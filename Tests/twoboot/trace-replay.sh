#!/usr/bin/env bash
# A trace saved in one boot replays in the next: boot 1 runs Tests/guest/61-regs-trace.lua,
# which records a known sequence on edu and saves it as $BARLUA_OUT/edu-replay.lua; boot 2 (a
# new guest, same out folder) runs that script with its default target (the edu it was
# recorded on) and its checks must pass.
#   Tests/twoboot/trace-replay.sh [--mode type1|noiommu]... [--kernel SERIES]
# Default: both IOMMU modes, the bed's default kernel (scripts/testbed/kernels.tsv). Prints TAP-like lines, ends with "N passed, M failed",
# exits non-zero when anything failed. Needs `swift build` first.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

# shellcheck source=scripts/testbed/kernels.sh
. scripts/testbed/kernels.sh
modes=() kernel=$(kernel_default)
while [[ $# -gt 0 ]]; do
  case $1 in
  --mode) modes+=("$2"); shift 2 ;;
  --kernel) kernel=$2; shift 2 ;;
  *) echo "usage: $0 [--mode type1|noiommu]... [--kernel $(kernel_choices | paste -sd'|')]" >&2; exit 2 ;;
  esac
done
[[ ${#modes[@]} -gt 0 ]] || modes=(type1 noiommu)

PASSED=0 FAILED=0
result() { # STATUS NAME [DIAGNOSTIC...]
  local status=$1 name=$2
  shift 2
  if [[ $status -eq 0 ]]; then
    PASSED=$((PASSED + 1))
    echo "ok - $name"
  else
    FAILED=$((FAILED + 1))
    echo "not ok - $name"
    printf '%s\n' "$@" | sed 's/^/#   /'
  fi
}

for mode in "${modes[@]}"; do
  dir=$(mktemp -d "${TMPDIR:-/tmp}/barlua-trace-replay.XXXXXX")
  scripts/testbed/guest --quiet --mode "$mode" --kernel "$kernel" --out "$dir" --timeout 300 -- \
    bash -c 'barlua Tests/guest/61-regs-trace.lua >"$BARLUA_OUT/record.tap" 2>&1' >/dev/null 2>"$dir/bed1.err"
  result $? "$mode: boot 1 recorded the trace" "$(tail -5 "$dir/record.tap" "$dir/bed1.err" 2>&1)"
  [[ -s $dir/edu-replay.lua ]]
  result $? "$mode: boot 1 saved edu-replay.lua"
  grep -q '^not ok' "$dir/record.tap"
  result $((!$?)) "$mode: boot 1's checks passed" "$(grep -A3 '^not ok' "$dir/record.tap")"
  scripts/testbed/guest --quiet --mode "$mode" --kernel "$kernel" --out "$dir" --timeout 300 -- \
    bash -c '[[ $(cat "$BARLUA_OUT/edu-replay.addr") == "$BARLUA_EDU" ]] || echo "edu moved" >"$BARLUA_OUT/replay.out"
      barlua "$BARLUA_OUT/edu-replay.lua" >>"$BARLUA_OUT/replay.out" 2>&1; echo $? >"$BARLUA_OUT/replay.rc"' \
    >/dev/null 2>"$dir/bed2.err"
  result $? "$mode: boot 2 ran" "$(tail -5 "$dir/bed2.err")"
  out=$(cat "$dir/replay.out" 2>&1) rc=$(cat "$dir/replay.rc" 2>/dev/null || echo none)
  [[ $rc == 0 && $out == "replayed 7 accesses: 5 checks, 0 failed" ]]
  result $? "$mode: the saved script replays in a new boot and its checks pass" "status: $rc" "output: $out"
done
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
