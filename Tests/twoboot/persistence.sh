#!/usr/bin/env bash
# The persistence test across reboots, orchestrated from the host: several guests boot one
# after the other on ONE ivshmem backing file, and the file is checked from the host between
# boots with an independent reader of the C record layout (Python's struct). Besides the record
# of scripts/persistence.lua, boot 1 writes raw words into BAR2 (bar2_write.sh: barlua's
# mmio.map and python's mmap), the host finds them in the file and boot 2 reads them back.
#   Tests/twoboot/persistence.sh [--mode type1|noiommu]... [--kernel SERIES]
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
is() { [[ $2 == "$3" ]]; result $? "$1" "got:  '$2'" "want: '$3'" "${@:4}"; }
contains() { # NAME FILE TEXT: FILE has a line that is exactly TEXT
  grep -qxF -- "$3" "$2" 2>/dev/null
  result $? "$1" "want the line: '$3'" "in $2:" "$(cat "$2" 2>&1)"
}
has() { # NAME TEXT FILE: TEXT occurs in FILE
  grep -qF -- "$2" "$3" 2>/dev/null
  result $? "$1" "want: '$2'" "in $3:" "$(cat "$3" 2>&1)"
}

# The independent reader: the record at offset 0 of the backing file, one field per line
# (texts cut at their NUL, newline shown as \n), then the count.
read_record() {
  python3 - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read(164)
init, last, count = struct.unpack_from("<120s40sI", data, 0)
cut = lambda b: b.split(b"\0", 1)[0].decode().replace("\n", "\\n")
print(cut(init)); print(cut(last)); print(count)
EOF
}

# The independent writer: a record as the C program leaves it (its prefix, ctime's text with
# its newline, snprintf's NUL), count and last-accessed text given.
write_record() { # FILE INITIALISED_DATE LAST_DATE COUNT
  python3 - "$@" <<'EOF'
import struct, sys
path, init_date, last_date, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
init = ("This is BAR two memory initialised at " + init_date + "\n").encode()
last = (last_date + "\n").encode()
with open(path, "r+b") as f:
    f.write(struct.pack("<120s40sI", init, last, count))
EOF
}

# One boot: runs the STEPS script (lines "NAME ARGS...": persistence.lua's arguments, or a step
# named bar2_write/bar2_read that runs that script of this folder) in the guest; each step's
# stdout, stderr, exit status and the backing file's sha256 afterwards land in
# OUT/NAME.{out,err,rc,sha}.
# A step named fill_ff first fills the backing file with 0xFF through the out share (the
# guest's view of the same host file), as a device that fell off the bus reads.
boot() { # MODE OUT STEPS
  local mode=$1 out=$2 steps=$3
  cp "$steps" "$out/steps"
  scripts/testbed/guest --quiet --mode "$mode" --kernel "$kernel" --ivshmem "$out/shm" --out "$out" \
    --timeout 300 -- bash -c '
      while read -r name args; do
        if [[ $name == fill_ff ]]; then
          python3 -c "import sys; open(sys.argv[1], \"r+b\").write(b\"\\xff\" * 4194304)" "$BARLUA_OUT/shm"
        fi
        if [[ $name == bar2_write || $name == bar2_read ]]; then
          "Tests/twoboot/$name.sh" >"$BARLUA_OUT/$name.out" 2>"$BARLUA_OUT/$name.err"
        else
          eval "set -- $args"
          barlua scripts/persistence.lua "$@" >"$BARLUA_OUT/$name.out" 2>"$BARLUA_OUT/$name.err"
        fi
        echo $? >"$BARLUA_OUT/$name.rc"
        sha256sum <"$BARLUA_OUT/shm" | cut -d" " -f1 >"$BARLUA_OUT/$name.sha"
      done <"$BARLUA_OUT/steps"' >/dev/null 2>"$out/bed.err"
  local rc=$?
  result $rc "$mode: boot ran (status $rc)" "$(tail -5 "$out/bed.err")"
}

rc_of() { cat "$1.rc" 2>/dev/null || echo none; }
word() { od -An -tx4 -j "$2" -N 4 "$1" | tr -d ' \n'; } # FILE OFFSET: a little-endian word
field() { sed -n "s/^  $2=//p" "$1.out"; }
now_of() { sed -n 's/^Now: //p' "$1.out"; }

run_mode() {
  local mode=$1 dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/barlua-twoboot.XXXXXX")
  local shm=$dir/shm
  truncate -s 4194304 "$shm"
  local fresh_sha
  fresh_sha=$(sha256sum <"$shm" | cut -d" " -f1)

  # Boot 1: safety first (nothing named, read-only), then the first real run.
  mkdir -p "$dir/b1"
  ln "$shm" "$dir/b1/shm"
  cat >"$dir/steps1" <<'EOF'
noselector
readonly --device $BARLUA_IVSHMEM --bar 2 --read-only
reset --device $BARLUA_IVSHMEM --bar 2 --reset
multi --device $BARLUA_IVSHMEM --device $BARLUA_TESTDEV --read-only
byid --id 1234:11e8 --bar 0 --read-only
first --device $BARLUA_IVSHMEM --bar 2
bar2_write
EOF
  boot "$mode" "$dir/b1" "$dir/steps1"
  local o=$dir/b1
  is "$mode: no selector exits 2" "$(rc_of "$o/noselector")" 2
  has "$mode: the list names ivshmem's id" "1af4:1110" "$o/noselector.err"
  is "$mode: no selector writes nothing (sha256 unchanged)" "$(cat "$o/noselector.sha")" "$fresh_sha"
  is "$mode: --read-only exits 0" "$(rc_of "$o/readonly")" 0
  contains "$mode: --read-only sees zeros" "$o/readonly.out" \
    "  Uninitialised memory region of 4194304 bytes all zeros"
  contains "$mode: --read-only says so" "$o/readonly.out" "  read-only: nothing written"
  is "$mode: --read-only writes nothing (sha256 unchanged)" "$(cat "$o/readonly.sha")" "$fresh_sha"
  # ivshmem on the root bus has no reset method (no FLR, PM or bus reset): a clear refusal.
  is "$mode: --reset on a device without reset exits 1" "$(rc_of "$o/reset")" 1
  has "$mode: --reset refusal is explained" "cannot be reset: VFIO reports no reset method" "$o/reset.out"
  is "$mode: a refused --reset writes nothing" "$(cat "$o/reset.sha")" "$fresh_sha"
  # Several devices in one run; pci-testdev's BAR 1 is an I/O BAR.
  is "$mode: two --device in one run exit 0" "$(rc_of "$o/multi")" 0
  is "$mode: two --device: two devices tested" "$(grep -c '^Testing device ' "$o/multi.out")" 2
  contains "$mode: two --device: the I/O BAR is skipped" "$o/multi.out" \
    "  skipped: I/O port BAR: not memory, cannot be mapped"
  is "$mode: two --device --read-only write nothing" "$(cat "$o/multi.sha")" "$fresh_sha"
  # --id matches both edus. With type1 the bridged one shares a group with a virtio device: an
  # explained error (exit 1), the other is still tested. With noiommu every device has its own
  # group: both are tested.
  is "$mode: --id 1234:11e8 tests both edus" "$(grep -c '^Testing device ' "$o/byid.out")" 2
  local surveyed
  surveyed=$(grep -c '^  Uninitialised memory region of 1048576 ' "$o/byid.out")
  if [[ $mode == type1 ]]; then
    is "$mode: --id matching a non-viable device exits 1" "$(rc_of "$o/byid")" 1
    has "$mode: --id: the non-viable one is explained" "is not viable" "$o/byid.out"
    is "$mode: --id: the viable edu is surveyed" "$surveyed" 1
  else
    is "$mode: --id: both edus tested, exit 0" "$(rc_of "$o/byid")" 0
    is "$mode: --id: both edus surveyed" "$surveyed" 2
  fi
  is "$mode: first run exits 0" "$(rc_of "$o/first")" 0
  local dev
  dev=$(sed -n 's/^Testing device \([^ ]*\) in IOMMU group [0-9]*$/\1/p' "$o/first.out")
  local like_dev
  like_dev=$([[ $dev =~ ^0000:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] && echo yes)
  is "$mode: first run names the device and its IOMMU group" "$like_dev" yes
  has "$mode: no selector lists the ivshmem device" "$dev  1af4:1110" "$o/noselector.err"
  contains "$mode: first run finds zeros" "$o/first.out" "  Uninitialised memory region of 4194304 bytes all zeros"
  has "$mode: first run times byte reads" "  Total time for byte reads from memory region = " "$o/first.out"
  has "$mode: first run says the timing covers the first MiB" "(byte reads timed over the first 1048576 bytes" \
    "$o/first.out"
  local now1
  now1=$(now_of "$o/first")
  [[ $now1 =~ ^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\ [A-Z][a-z]{2}\ [\ 0-9][0-9]\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ [0-9]{4}$ ]]
  result $? "$mode: Now: is ctime's format" "got '$now1'"
  contains "$mode: first run count is 1" "$o/first.out" "  accessed_count=1"
  contains "$mode: first run initialised text" "$o/first.out" \
    "  initialised_text=This is BAR two memory initialised at $now1"
  # From the host, independently.
  local rec
  mapfile -t rec < <(read_record "$shm")
  is "$mode: host reads initialised_text after boot 1" "${rec[0]:-}" \
    "This is BAR two memory initialised at $now1\\n"
  is "$mode: host reads last_accessed_text after boot 1" "${rec[1]:-}" "$now1\\n"
  is "$mode: host reads accessed_count after boot 1" "${rec[2]:-}" 1
  local init1=${rec[0]:-}
  is "$mode: raw BAR2 writes in boot 1 pass" "$(rc_of "$o/bar2_write")" 0 "$(cat "$o/bar2_write.out")"
  is "$mode: host: the file holds barlua's 0xC0FFEE11 at 0x200000" "$(word "$shm" $((0x200000)))" c0ffee11
  is "$mode: host: the file holds python's 0x5EED1234 at 0x201000" "$(word "$shm" $((0x201000)))" 5eed1234

  # Boot 2: the same backing file; the record is found.
  mkdir -p "$dir/b2"
  ln "$shm" "$dir/b2/shm"
  cat >"$dir/steps2" <<'EOF'
bar2_read
second --device $BARLUA_IVSHMEM --bar 2
json --id 1af4:1110 --bar 2 --read-only --json
registers --device $BARLUA_IVSHMEM --bar 0
sysfs --device $BARLUA_IVSHMEM --method sysfs --read-only
sysfswc --device $BARLUA_IVSHMEM --method sysfs-wc --read-only
resetok --device $BARLUA_IVSHMEM_RESET --bar 2 --reset
EOF
  boot "$mode" "$dir/b2" "$dir/steps2"
  o=$dir/b2
  is "$mode: boot 2 reads the raw BAR2 words back" "$(rc_of "$o/bar2_read")" 0 "$(cat "$o/bar2_read.out")"
  is "$mode: second boot exits 0" "$(rc_of "$o/second")" 0
  contains "$mode: second boot finds the record" "$o/second.out" \
    "  Memory already initialised - existing last_accessed_text=$now1"
  contains "$mode: second boot keeps the initialised text" "$o/second.out" \
    "  initialised_text=This is BAR two memory initialised at $now1"
  local now2
  now2=$(now_of "$o/second")
  contains "$mode: second boot writes its own date" "$o/second.out" "  new last_accessed_text=$now2"
  [[ -n $now2 && $now2 != "$now1" ]]
  result $? "$mode: the two boots have different dates" "boot 1 '$now1', boot 2 '$now2'"
  contains "$mode: second boot count is 2" "$o/second.out" "  accessed_count=2"
  is "$mode: --id VVVV:DDDD --json exits 0" "$(rc_of "$o/json")" 0
  is "$mode: --json has the record" "$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
b = r["devices"][0]["bars"][0]
print(b["state"], b["record"]["accessed_count"], b["written"], r["devices"][0]["addr"] == sys.argv[2])' \
    "$o/json.out" "$dev" 2>&1)" "initialised 2 False True"
  is "$mode: --json --read-only writes nothing" "$(cat "$o/json.sha")" "$(cat "$o/second.sha")"
  # BAR 0 of ivshmem holds its registers, not memory: the read-back says so.
  is "$mode: BAR 0 (registers) run exits 0" "$(rc_of "$o/registers")" 0
  contains "$mode: BAR 0 is found not to be memory" "$o/registers.out" \
    "  the BAR did not keep what was written: not plain memory (device registers?)"
  is "$mode: a BAR 0 run leaves BAR 2 alone" "$(cat "$o/registers.sha")" "$(cat "$o/second.sha")"
  # The same record through the sysfs resource files (uncached and write-combining).
  is "$mode: --method sysfs exits 0" "$(rc_of "$o/sysfs")" 0
  contains "$mode: --method sysfs reads the record" "$o/sysfs.out" "  accessed_count=2"
  contains "$mode: --method sysfs reads BAR 0 too" "$o/sysfs.out" "BAR 0"
  is "$mode: --method sysfs-wc exits 0" "$(rc_of "$o/sysfswc")" 0
  contains "$mode: --method sysfs-wc reads the record" "$o/sysfswc.out" "  accessed_count=2"
  contains "$mode: --method sysfs-wc skips the non-prefetchable BAR 0" "$o/sysfswc.out" \
    "  skipped: not prefetchable: the kernel offers no resource0_wc (write-combining)"
  is "$mode: sysfs read-only runs write nothing" "$(cat "$o/sysfswc.sha")" "$(cat "$o/registers.sha")"
  # --reset on the ivshmem behind a PCIe root port (the same memory file): VFIO_DEVICE_RESET
  # (a secondary bus reset) really runs, and the memory keeps the record.
  is "$mode: --reset on the resettable ivshmem exits 0" "$(rc_of "$o/resetok")" 0
  contains "$mode: --reset really reset the device" "$o/resetok.out" \
    "  device reset (VFIO_DEVICE_RESET) before the test"
  contains "$mode: after the reset the record is still there" "$o/resetok.out" \
    "  Memory already initialised - existing last_accessed_text=$now2"
  contains "$mode: after the reset the count goes on (3)" "$o/resetok.out" "  accessed_count=3"
  local now3
  now3=$(now_of "$o/resetok")
  mapfile -t rec < <(read_record "$shm")
  is "$mode: host: initialised_text unchanged by boot 2" "${rec[0]:-}" "$init1"
  is "$mode: host: last_accessed_text is boot 2's last run" "${rec[1]:-}" "$now3\\n"
  is "$mode: host: accessed_count after boot 2" "${rec[2]:-}" 3

  # Boot 3: a record written by an independent writer of the C layout is recognised, then a
  # BAR gone all 0xFF (written through the out share while mapped) is reported, not written.
  local cdate="Mon Jan  5 10:00:00 2026" ldate="Tue Feb 10 07:08:09 2026"
  write_record "$shm" "$cdate" "$ldate" 41
  mkdir -p "$dir/b3"
  ln "$shm" "$dir/b3/shm"
  cat >"$dir/steps3" <<'EOF'
interchange --device $BARLUA_IVSHMEM --bar 2
fill_ff --device $BARLUA_IVSHMEM --bar 2 --read-only
allff --device $BARLUA_IVSHMEM --bar 2
EOF
  boot "$mode" "$dir/b3" "$dir/steps3"
  o=$dir/b3
  is "$mode: C-written record: exits 0" "$(rc_of "$o/interchange")" 0
  contains "$mode: C-written record is already initialised" "$o/interchange.out" \
    "  Memory already initialised - existing last_accessed_text=$ldate"
  contains "$mode: C-written initialised text is shown" "$o/interchange.out" \
    "  initialised_text=This is BAR two memory initialised at $cdate"
  contains "$mode: C-written count goes on" "$o/interchange.out" "  accessed_count=42"
  contains "$mode: all-0xFF BAR is reported" "$o/allff.out" \
    "  device not responding (all bytes 0xFF): removed or reloaded? Nothing written."
  # Not responding is a failed BAR (issue 11 item 16): exit status 1, nothing written.
  is "$mode: all-0xFF run exits 1" "$(rc_of "$o/allff")" 1
  is "$mode: all-0xFF BAR is left untouched" "$(cat "$o/allff.sha")" "$(cat "$o/fill_ff.sha")"
  is "$mode: host: all bytes still 0xFF" "$(python3 -c '
import sys; d = open(sys.argv[1], "rb").read(); print(d.count(255) == len(d))' "$shm")" True
  rm -rf "$dir"
}

for m in "${modes[@]}"; do run_mode "$m"; done
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
