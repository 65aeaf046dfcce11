#!/usr/bin/env bash
# shellcheck disable=SC1091
# The test bed itself: the devices are bound to vfio-pci with the group files of the
# mode, the non-viable group is really not viable, the kernel logs PAT decisions.
. "$(dirname "$0")/lib/tap.bash"

is "running in the test bed guest" "${BARLUA_GUEST:-}" 1
like "mode is known" "${BARLUA_GUEST_MODE:-}" '^(type1|noiommu)$'
like "kernel series matches uname" "$(uname -r)" "^${BARLUA_GUEST_KERNEL:-none}[.-]"
like "the bed names its QEMU and version" "${BARLUA_GUEST_QEMU:-}:${BARLUA_GUEST_QEMU_VERSION:-}" \
  '^(system|backports):[0-9]+\.[0-9]+'
check "BARLUA_OUT is a writable folder" touch "${BARLUA_OUT:-/nonexistent}/.bed-check"
check "the repository is the working directory" test -f Package.swift

# Every expected device, by vendor:device, bound to vfio-pci.
declare -A want_id=(
  [EDU]=0x1234:0x11e8 [IVSHMEM]=0x1af4:0x1110 [IVSHMEM_RESET]=0x1af4:0x1110 [TESTDEV]=0x1b36:0x0005
  [NONVIABLE_EDU]=0x1234:0x11e8 [IVSHMEM_HOTPLUG]=0x1af4:0x1110
)
for name in EDU IVSHMEM IVSHMEM_RESET TESTDEV NONVIABLE_EDU IVSHMEM_HOTPLUG; do
  var=BARLUA_$name
  addr=${!var:-}
  like "$var is a PCI address" "$addr" '^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$'
  is "$var is ${want_id[$name]}" "$(pci_id "$addr" 2>&1)" "${want_id[$name]}"
  is "$var is bound to vfio-pci" "$(pci_driver "$addr")" vfio-pci
done

# The non-viable group: a conventional bridge with the edu and a virtio device behind it.
virtio=${BARLUA_NONVIABLE_VIRTIO:-}
like "BARLUA_NONVIABLE_VIRTIO is a virtio device" "$(pci_id "$virtio" 2>&1)" '^0x1af4:0x10'
is "the virtio device stays on virtio-pci" "$(pci_driver "$virtio")" virtio-pci
is "its virtio device has its driver (virtio_rng)" \
  "$(basename "$(readlink "$(pci_dir "$virtio")"/virtio*/driver)")" virtio_rng
bridge=$(basename "$(dirname "$(readlink -f "$(pci_dir "${BARLUA_NONVIABLE_EDU:-x}")")")")
is "the non-viable edu sits behind a PCI-to-PCI bridge" "$(cat "$(pci_dir "$bridge")/class" 2>&1)" 0x060400
is "the virtio device sits behind the same bridge" \
  "$(basename "$(dirname "$(readlink -f "$(pci_dir "$virtio")")")")" "$bridge"

parent=$(basename "$(dirname "$(readlink -f "$(pci_dir "${BARLUA_IVSHMEM_RESET:-x}")")")")
# The PCI functions below a bridge: its sub-directories named like addresses.
pci_children() {
  local n=0 child
  for child in "$1"/[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7]; do
    [ -d "$child" ] && n=$((n + 1))
  done
  echo "$n"
}
is "the resettable ivshmem sits alone behind a PCIe root port" \
  "$(cat "$(pci_dir "$parent")/class" 2>&1):$(pci_children "$(pci_dir "$parent")")" \
  0x060400:1
# VFIO_GROUP_GET_STATUS on a group file: prints the flags (1 = viable).
group_flags() {
  /usr/bin/python3 -c '
import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
buf = bytearray(struct.pack("II", 8, 0))
fcntl.ioctl(fd, 0x3B67, buf)  # VFIO_GROUP_GET_STATUS = _IO(";", 100 + 3)
print(struct.unpack("II", buf)[1])' "$1"
}

case ${BARLUA_GUEST_MODE:-} in
type1)
  check "an IOMMU is present (/sys/class/iommu)" test -n "$(ls /sys/class/iommu)"
  for name in EDU IVSHMEM IVSHMEM_RESET TESTDEV NONVIABLE_EDU; do
    var=BARLUA_$name
    g=$(pci_group "${!var}")
    check "$var has group file /dev/vfio/$g" test -c "/dev/vfio/$g"
  done
  g=$(pci_group "$BARLUA_NONVIABLE_EDU")
  is "edu and virtio behind the bridge share one IOMMU group" "$(pci_group "$virtio")" "$g"
  is "the group of the edu on the root bus is viable" "$(group_flags "/dev/vfio/$(pci_group "$BARLUA_EDU")" 2>&1)" 1
  is "the group behind the bridge is not viable" "$(group_flags "/dev/vfio/$g" 2>&1)" 0
  check "no noiommu group files" test -z "$(find /dev/vfio -name "noiommu-*")"
  ;;
noiommu)
  is "vfio runs with enable_unsafe_noiommu_mode" \
    "$(cat /sys/module/vfio/parameters/enable_unsafe_noiommu_mode 2>&1)" Y
  check "no IOMMU is present" test -z "$(ls /sys/class/iommu 2>/dev/null)"
  for name in EDU IVSHMEM IVSHMEM_RESET TESTDEV NONVIABLE_EDU; do
    var=BARLUA_$name
    g=$(pci_group "${!var}")
    check "$var has group file /dev/vfio/noiommu-$g" test -c "/dev/vfio/noiommu-$g"
    is "$var's noiommu group is viable" "$(group_flags "/dev/vfio/noiommu-$g" 2>&1)" 1
  done
  is "the virtio device has no IOMMU group" "$(pci_group "$virtio")" ""
  check "the kernel logged the no-IOMMU taint" grep -q 'vfio-noiommu' <(dmesg)
  ;;
esac

like "the kernel command line has debugpat" "$(cat /proc/cmdline)" '(^| )debugpat( |$)'
check "the kernel logs x86/PAT lines" grep -q 'x86/PAT' <(dmesg)
check "debugfs PAT memtype list is readable" grep -q . /sys/kernel/debug/x86/pat_memtype_list

# The life-cycle devices: the hotplug ivshmem alone behind its own port, the FLR/AER device,
# the virtio-net and virtio-blk "in use" evidence, and the testbed-hotplug channel.
hport=${BARLUA_HOTPLUG_PORT:-x}
is "the hotplug ivshmem sits alone behind its PCIe root port" \
  "$(basename "$(dirname "$(readlink -f "$(pci_dir "${BARLUA_IVSHMEM_HOTPLUG:-x}")")")"):$(cat "$(pci_dir "$hport")/class" 2>&1):$(pci_children "$(pci_dir "$hport")")" \
  "$hport:0x060400:1"
like "BARLUA_FLR is a virtio device behind its own port" \
  "$(pci_id "${BARLUA_FLR:-x}" 2>&1) $(basename "$(dirname "$(readlink -f "$(pci_dir "${BARLUA_FLR:-x}")")")")" \
  "^0x1af4:0x10[0-9a-f]+ ${BARLUA_FLR_PORT:-none}\$"
is "the FLR device is on virtio-pci" "$(pci_driver "${BARLUA_FLR:-x}")" virtio-pci
like "the FLR device offers flr" "$(cat "$(pci_dir "${BARLUA_FLR:-x}")/reset_method" 2>&1)" '^flr pm bus$'
is "virtio-net is on virtio-pci" "$(pci_driver "${BARLUA_VIRTIO_NET:-x}")" virtio-pci
is "virtio-blk is on virtio-pci" "$(pci_driver "${BARLUA_VIRTIO_BLK:-x}")" virtio-pci
check "virtio-blk has its disk" test -n "$(ls "$(pci_dir "${BARLUA_VIRTIO_BLK:-x}")"/virtio*/block/ 2>/dev/null)"
like "testbed-hotplug answers" "$(testbed-hotplug status 2>&1)" '^hpmem[0-9]+ hotplug-[0-9]+ 4194304$'

# ivshmem BAR2 is the file-backed 4 MiB, 64-bit prefetchable BAR.
res2=$(pci_dir "${BARLUA_IVSHMEM:-x}")/resource2
is "ivshmem resource2 is 4 MiB" "$(stat -c %s "$res2" 2>&1)" 4194304
check "ivshmem BAR2 has a write-combining file (prefetchable)" test -e "${res2}_wc"
done_testing
