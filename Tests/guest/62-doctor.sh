#!/usr/bin/env bash
# barlua-doctor (scripts/doctor.lua) in the test bed: every check ok for the bed's edu in this
# mode; then each condition broken on purpose gives its fail/warn line with the fix, and is
# put back afterwards: the no-IOMMU module parameter off, a group node chmod-ed away from an
# unprivileged user, RLIMIT_MEMLOCK lowered (prlimit, without CAP_IPC_LOCK), no huge pages,
# kernel.dmesg_restrict=1 for an unprivileged user, debugfs unmounted. --json parses
# (lua-cjson) and says the same.
. "$(dirname "$0")/lib/tap.bash"

doctor=scripts/doctor.lua
edu=${BARLUA_EDU:-none}
mode=${BARLUA_GUEST_MODE:-type1}
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)

out=$(barlua $doctor "$edu" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
is "doctor $edu exits 0 ($mode, kernel ${BARLUA_GUEST_KERNEL:-?})" "$rc" 0
is "every line is ok" "$(printf '%s\n' "$out" | grep -vcE '^ok |^[0-9]+ ok, 0 warn, 0 fail')" 0
like "the summary names the mode" "$out" "0 warn, 0 fail \\(VFIO mode: $mode\\)"
like "the device's group node is checked" "$out" \
  "ok   vfio.group +$edu group /dev/vfio/$([[ $mode == noiommu ]] && echo noiommu-)[0-9]+: mode 0600 uid 0, readable and writable"
like "the edu offers MSI and INTx" "$out" "ok   irq.device +$edu offers INTx \\(pin A\\), MSI"

json=$(barlua $doctor --json "$edu")
is "--json exits 0" "$?" 0
parsed=$(printf '%s' "$json" | lua5.4 -e '
  local cjson = require "cjson"
  local t = cjson.decode(io.read("a"))
  local names = {}
  for _, c in ipairs(t.checks) do
    assert(c.status == "ok" or c.status == "warn" or c.status == "fail")
    assert(type(c.evidence) == "string" and type(c.check) == "string")
    names[#names + 1] = c.check .. "=" .. c.status
  end
  io.write(t.mode, " ", t.addr, " ", t.summary.ok, "/", t.summary.fail, " ", table.concat(names, " "))')
is "--json parses with lua-cjson" "$?" 0
like "... with the mode, address and checks" "$parsed" "^$mode $edu [0-9]+/0 system.privileges=ok .*dma.memlock=ok"

# Without an address: every vfio-pci device; in type1 the bed's non-viable group fails.
all=$(barlua $doctor 2>&1)
rc=$?
if [[ $mode == type1 ]]; then
  is "doctor without ADDR fails on the non-viable group" "$rc" 1
  like "... naming it and the fix" "$all" \
    "fail vfio.group +${BARLUA_NONVIABLE_EDU:-none}: IOMMU group [0-9]+ is not viable \\(a member is on another driver\\); fix: bind every device of"
else
  is "doctor without ADDR (noiommu: every group is its own) exits 0" "$rc" 0
fi

# 1. The no-IOMMU parameter off (no-IOMMU mode only: with an IOMMU it is not needed).
param=/sys/module/vfio/parameters/enable_unsafe_noiommu_mode
if [[ $mode == noiommu ]]; then
  old=$(cat $param)
  echo N >$param
  out=$(barlua $doctor "$edu" 2>&1)
  rc=$?
  echo "$old" >$param
  is "noiommu parameter N: doctor fails" "$rc" 1
  like "... on vfio.noiommu with the fix" "$out" \
    "fail vfio.noiommu +$param = N and there is no IOMMU: VFIO cannot open any device; fix: echo 1 > $param"
  is "... parameter restored" "$(cat $param)" "$old"
else
  like "type1: the noiommu parameter is not needed" "$(barlua $doctor "$edu")" "ok   vfio.noiommu +.*not needed"
fi

# 2. The group node: an unprivileged user may use it after chmod 0666, not after 0600.
group=$(pci_group "$edu")
node=/dev/vfio/$([[ $mode == noiommu ]] && echo noiommu-)$group
oldmode=$(stat -c %a "$node")
chmod 0666 "$node"
open_out=$("${nobody[@]}" barlua $doctor "$edu" 2>&1)
chmod 0600 "$node"
closed_out=$("${nobody[@]}" barlua $doctor "$edu" 2>&1)
rc=$?
chmod "$oldmode" "$node"
like "chmod 0666 $node: nobody may use the group" "$open_out" "ok   vfio.group +$edu group $node: mode 0666"
is "chmod 0600: doctor fails for nobody" "$rc" 1
like "... on the group node, with the fix" "$closed_out" \
  "fail vfio.group +$edu group $node: mode 0600 uid 0: Permission denied; fix: run as root, or chown 65534 $node"
like "... and says it is not root" "$closed_out" "warn system.privileges +running as uid 65534"
is "... mode restored" "$(stat -c %a "$node")" "$oldmode"

# 3. RLIMIT_MEMLOCK of 64 KiB without CAP_IPC_LOCK.
out=$(setpriv --bounding-set=-ipc_lock --inh-caps=-ipc_lock prlimit --memlock=65536:65536 barlua $doctor "$edu" 2>&1)
is "memlock 64 KiB without CAP_IPC_LOCK: doctor fails" "$?" 1
like "... on dma.memlock with the fix" "$out" \
  "fail dma.memlock +RLIMIT_MEMLOCK 64 KiB without CAP_IPC_LOCK: DMA buffers beyond it fail; fix: raise it: \`ulimit -l unlimited\`"
like "root keeps CAP_IPC_LOCK: ok" "$(prlimit --memlock=65536:65536 barlua $doctor "$edu")" \
  "ok   dma.memlock +RLIMIT_MEMLOCK 64 KiB, not enforced: this process has CAP_IPC_LOCK"

# 4. No huge pages.
oldhuge=$(cat /proc/sys/vm/nr_hugepages)
echo 0 >/proc/sys/vm/nr_hugepages
out=$(barlua $doctor "$edu" 2>&1)
rc=$?
echo "$oldhuge" >/proc/sys/vm/nr_hugepages
if [[ $mode == noiommu ]]; then
  is "nr_hugepages 0 in noiommu: a warning, exit 0" "$rc" 0
  like "... on dma.hugepages with the fix" "$out" \
    "warn dma.hugepages +vm.nr_hugepages = 0, 0 free: in no-IOMMU mode a DMA buffer larger than a page needs huge pages; fix: sysctl vm.nr_hugepages=4"
else
  like "nr_hugepages 0 with an IOMMU: ok" "$out" "ok   dma.hugepages +vm.nr_hugepages = 0 \\(huge pages are needed only"
fi
is "... huge pages restored" "$(cat /proc/sys/vm/nr_hugepages)" "$oldhuge"

# 5. kernel.dmesg_restrict=1 for an unprivileged user.
oldr=$(cat /proc/sys/kernel/dmesg_restrict)
echo 1 >/proc/sys/kernel/dmesg_restrict
out=$("${nobody[@]}" barlua $doctor 2>&1)
echo 0 >/proc/sys/kernel/dmesg_restrict
open_out=$("${nobody[@]}" barlua $doctor 2>&1)
echo "$oldr" >/proc/sys/kernel/dmesg_restrict
like "dmesg_restrict=1: nobody cannot read /dev/kmsg" "$out" \
  "fail pat.kmsg +kernel.dmesg_restrict = 1 and no CAP_SYSLOG: /dev/kmsg is closed to this user \\(pat.events, pat.mark fail\\); fix: run as root, or sysctl kernel.dmesg_restrict=0"
like "dmesg_restrict=0: nobody can" "$open_out" "ok   pat.kmsg +/dev/kmsg readable"
is "... restored" "$(cat /proc/sys/kernel/dmesg_restrict)" "$oldr"

# 6. debugfs unmounted.
umount /sys/kernel/debug
out=$(barlua $doctor "$edu" 2>&1)
rc=$?
mount -t debugfs none /sys/kernel/debug
is "debugfs unmounted: a warning, exit 0" "$rc" 0
like "... on pat.debugfs with the fix" "$out" \
  "warn pat.debugfs +debugfs is not mounted \\(/proc/mounts\\): no pat_memtype_list \\(pat.memtype_list fails\\); fix: mount -t debugfs none /sys/kernel/debug"
check "... remounted: pat_memtype_list is back" test -r /sys/kernel/debug/x86/pat_memtype_list

# A device that is not there, and one on another driver.
out=$(barlua $doctor 0000:7f:1f.7 2>&1)
is "an absent device fails" "$?" 1
like "... saying so" "$out" "fail device.device +.*0000:7f:1f.7"
if [[ -n ${BARLUA_NONVIABLE_VIRTIO:-} ]]; then
  out=$(barlua $doctor "$BARLUA_NONVIABLE_VIRTIO" 2>&1)
  like "a device on virtio-pci: bind it to vfio-pci" "$out" \
    "fail vfio.driver +$BARLUA_NONVIABLE_VIRTIO is bound to virtio-pci; fix: bind it to vfio-pci"
fi
done_testing
