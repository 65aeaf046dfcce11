#!/bin/sh
# Captures this machine's PCI devices from sysfs into a small tree that barlua's tests read
# with PCISysfs(root: "<out>/bus/pci/devices").
#
#   scripts/dev/capture-sysfs-fixture.sh OUT_DIR [ADDR...]
#
# OUT_DIR gets a sysfs-shaped tree:
#   bus/pci/devices/ADDR/{vendor,device,subsystem_vendor,subsystem_device,class,revision,
#                         resource,numa_node,config (first 64 bytes),
#                         current_link_speed,current_link_width,max_link_speed,max_link_width}
#   bus/pci/devices/ADDR/resourceN, resourceN_wc   (empty files, see below)
#   bus/pci/devices/ADDR/driver      -> ../../drivers/NAME        (when a driver is bound)
#   bus/pci/devices/ADDR/iommu_group -> ../../../../kernel/iommu_groups/N   (when grouped)
#   bus/pci/drivers/NAME/.keep
#   kernel/iommu_groups/N/{name,type}  (when present)
#   kernel/iommu_groups/N/devices/ADDR  (an empty file, see below)
#   lspci-n-D.txt                      (`lspci -n -D` of the same devices, when lspci exists)
# Links are relative, so the tree works wherever it is copied. In sysfs a group's devices/ADDR
# is a link back to the device, which makes a cycle (device -> group -> device); SwiftPM
# follows links when it scans resources and explodes on such cycles, so the fixture keeps only
# the member's name. PCISysfs reads a PCI member's driver from bus/pci/devices/ADDR anyway.
# Only the first 64 bytes of config are kept: they are what an unprivileged reader gets, and all barlua reads.
# resourceN and resourceN_wc are the BARs themselves (mmap only): the tree keeps an empty file
# for each one the kernel created, a record of which BARs it lets map, and write-combined.
# Default: every device in /sys/bus/pci/devices. Needs no root.
set -eu

usage() { echo "usage: $0 OUT_DIR [ADDR...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
out=$1
shift
sys=${SYSFS_ROOT:-/sys}
devices=$sys/bus/pci/devices
[ -d "$devices" ] || { echo "$0: $devices: not a directory" >&2; exit 1; }

if [ $# -eq 0 ]; then
  for path in "$devices"/*; do [ -e "$path" ] && set -- "$@" "${path##*/}"; done
fi

mkdir -p "$out/bus/pci/devices" "$out/bus/pci/drivers"
for addr in "$@"; do
  src=$devices/$addr
  [ -d "$src" ] || { echo "$0: no PCI device $addr in $devices" >&2; exit 1; }
  dst=$out/bus/pci/devices/$addr
  mkdir -p "$dst"
  for f in vendor device subsystem_vendor subsystem_device class revision resource numa_node \
    current_link_speed current_link_width max_link_speed max_link_width; do
    if [ -r "$src/$f" ]; then cat "$src/$f" >"$dst/$f"; fi
  done
  head -c 64 "$src/config" >"$dst/config"
  for n in 0 1 2 3 4 5; do
    for f in "resource$n" "resource${n}_wc"; do
      if [ -e "$src/$f" ]; then : >"$dst/$f"; fi
    done
  done
  if [ -L "$src/driver" ]; then
    drv=$(basename "$(readlink "$src/driver")")
    mkdir -p "$out/bus/pci/drivers/$drv"
    touch "$out/bus/pci/drivers/$drv/.keep"
    ln -sfn "../../drivers/$drv" "$dst/driver"
  fi
  if [ -L "$src/iommu_group" ]; then
    group=$(basename "$(readlink "$src/iommu_group")")
    gsrc=$sys/kernel/iommu_groups/$group
    gdst=$out/kernel/iommu_groups/$group
    mkdir -p "$gdst/devices"
    for f in name type; do
      if [ -r "$gsrc/$f" ]; then cat "$gsrc/$f" >"$gdst/$f"; fi
    done
    ln -sfn "../../../../kernel/iommu_groups/$group" "$dst/iommu_group"
    for member in "$gsrc/devices"/*; do
      [ -e "$member" ] || [ -L "$member" ] || continue
      : >"$gdst/devices/${member##*/}"
    done
  fi
done
# What lspci (libpci's own reader) saw, for tests to compare against.
if command -v lspci >/dev/null 2>&1; then
  for addr in "$@"; do lspci -n -D -s "$addr"; done >"$out/lspci-n-D.txt"
fi
echo "captured $# device(s) into $out"
