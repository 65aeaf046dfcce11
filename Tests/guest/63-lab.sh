#!/usr/bin/env bash
# Lab scripts on the real vfio-pci driver: a boards file names the bed's edu, vfio.open{board=}
# opens it, t.device finds it (and skips the script for an absent board), a device test's
# JUnit report validates against Jenkins' schema and its LAVA lines carry the measurements;
# bar_timing and persistence report their figures as measurements under BARLUA_TEST_FORMAT.
. "$(dirname "$0")/lib/tap.bash"

edu=${BARLUA_EDU:-none}
ivshmem=${BARLUA_IVSHMEM:-none}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/boards.lua" <<LUA
return {
  dut = { vendor = 0x1234, device = 0x11e8, addr = "$edu" },
  edus = { vendor = 0x1234, device = 0x11e8, driver = "vfio-pci" },
  absent = { vendor = 0x1234, device = 0x11e8, serial = "0123456789abcdef" },
}
LUA
chmod 0644 "$work/boards.lua"
export BARLUA_BOARDS=$work/boards.lua

out=$(barlua -e 'local d <close> = vfio.open{board = "dut"}
  local bar <close> = d:map(0)
  print(d.addr, d.iommu, string.format("%08x", bar:read32(0)))' 2>&1)
like "vfio.open{board=} opens the edu and reads its id" "$out" "^$edu	(type1v2|type1|noiommu)	010000ed$"
out=$(barlua -e 'for _, d in ipairs(pci.devices{board = "edus"}) do io.write(d.addr, " ") end' 2>&1)
like "pci.devices{board=} lists both edus" "$out" "$edu .*${BARLUA_NONVIABLE_EDU:-none}|${BARLUA_NONVIABLE_EDU:-none} .*$edu"
out=$(barlua -e 'vfio.open{board = "edus"}' 2>&1)
like "vfio.open of a board with two devices lists them" "$out" \
  "vfio.open: board \"edus\" \\{device=0x11e8, driver=\"vfio-pci\", vendor=0x1234\\} matches 2 devices: "
# As root the whole config space is readable: the edu (conventional PCI) has no DSN.
out=$(barlua -e 'print(require("barlua.boards").read_serial(os.getenv("BARLUA_EDU")))' 2>&1)
like "read_serial of the edu: no serial, and why" "$out" "^nil	"
out=$(barlua -e 'print(#pci.devices{board = "absent"})' 2>&1)
is "a board whose serial no device has matches nothing" "$out" 0

cat >"$work/dut.lua" <<'LUA'
local t = require "barlua.test"
local info = t.device("dut")
t.diag("dut at " .. info.addr)
local d <close> = vfio.open(info.addr)
local bar <close> = d:map(0)
t.subtest("registers", function()
  t.is(bar:read32(0), 0x010000ed, "id")
  bar:write32(4, 0x12345678)
  t.is(bar:read32(4), ~0x12345678 & 0xffffffff, "liveness inverts")
end)
local n, t0 = 10000, time.ns()
for _ = 1, n do bar:read32(0) end
t.measure("read32_latency", (time.ns() - t0) / n, "ns")
t.done()
LUA
report=$(prove -v -e barlua "$work/dut.lua" 2>&1)
is "the device test passes under prove" "$?" 0
like "... with its subtest and measurement" "$report" "    ok 2 - liveness inverts.*ok 2 - read32_latency"
BARLUA_TEST_FORMAT=junit:$work/dut.xml barlua "$work/dut.lua" >/dev/null 2>&1
is "junit format: exit 0" "$?" 0
check "... the report validates against Jenkins' junit-10.xsd" \
  xmllint --noout --schema Tests/Fixtures/junit/junit-10.xsd "$work/dut.xml"
like "... with the measurement as a property" "$(cat "$work/dut.xml")" '<property name="read32_latency" value="[0-9.]+"/>'
lava=$(BARLUA_TEST_FORMAT=lava barlua "$work/dut.lua" 2>/dev/null)
parsed=$(printf '%s\n' "$lava" | python3 Tests/tools/lava_signals.py)
is "lava format: LAVA's rules accept every signal" "$?" 0
like "... the measurement with its unit" "$parsed" "read32_latency pass [0-9.e+-]+ ns"
like "... the subtest's tests" "$parsed" "registers_id pass"
sed 's/"dut"/"absent"/' "$work/dut.lua" >"$work/absent.lua"
out=$(barlua "$work/absent.lua" 2>/dev/null)
is "an absent board skips the whole script" "$out" $'TAP version 13\n1..0 # SKIP no board "absent" on this machine'

# bar_timing and persistence under the formats: their figures as measurements.
out=$(BARLUA_TEST_FORMAT=tap barlua scripts/bar_timing.lua --device "$ivshmem" --bar 2 --count 2 \
  --methods vfio 2>/dev/null)
is "bar_timing under BARLUA_TEST_FORMAT=tap exits 0" "$?" 0
like "... its figures are measurements" "$out" "^TAP version 13"$'\n'"ok 1 - vfio.8-bit.card-to-host"$'\n'"# vfio.8-bit.card-to-host: [0-9.e+]+ MB/s"
out=$(BARLUA_TEST_FORMAT=lava barlua scripts/persistence.lua --device "$ivshmem" --bar 2 --read-only 2>/dev/null)
is "persistence under BARLUA_TEST_FORMAT=lava exits 0" "$?" 0
like "... its figures are LAVA measurements" "$(printf '%s\n' "$out" | python3 Tests/tools/lava_signals.py)" \
  "${ivshmem//[:]/_}.bar2.(accessed_count pass [0-9.]+ accesses|byte_read pass [0-9.]+ ns/byte)"
done_testing
