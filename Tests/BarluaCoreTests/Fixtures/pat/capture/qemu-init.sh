#!/bin/busybox sh
# shellcheck shell=dash
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t debugfs none /sys/kernel/debug; mkdir -p /tmp
for d in /sys/bus/pci/devices/*; do
  id="$(cat $d/vendor):$(cat $d/device)"
  [ "$id" = "0x1234:0x11e8" ] && EDU=$d
  [ "$id" = "0x1af4:0x1110" ] && IVS=$d
done
echo 1 > $EDU/enable; echo 1 > $IVS/enable
echo "=== uname $(uname -r) edu=$EDU ivshmem=$IVS"
echo "=== cmdline $(cat /proc/cmdline)"
echo "=== lockdown $(cat /sys/kernel/security/lockdown 2>&1)"
echo "=== step A: edu resource0" > /dev/kmsg
/mapper $EDU/resource0
echo "=== step B: ivshmem resource2_wc, list while mapped" > /dev/kmsg
WHILE="cat /sys/kernel/debug/x86/pat_memtype_list > /tmp/list-wc.txt" /mapper $IVS/resource2_wc
echo "=== step C: ivshmem resource2 then resource2_wc" > /dev/kmsg
WHILE="cat /sys/kernel/debug/x86/pat_memtype_list > /tmp/list-uc-wc.txt" /mapper $IVS/resource2 $IVS/resource2_wc
echo "=== step D: ivshmem resource2_wc then resource2" > /dev/kmsg
/mapper $IVS/resource2_wc $IVS/resource2
echo "=== step E: edu resource0 twice" > /dev/kmsg
/mapper $EDU/resource0 $EDU/resource0
echo "=== step F: /dev/mem RAM page 0x1000" > /dev/kmsg
/mapper /dev/mem@0x1000+0x1000
echo "=== step G: /dev/mem e820-reserved 0xffe0000 (tracked write-back)" > /dev/kmsg
/mapper /dev/mem@0xffe0000+0x1000
echo "=== step H: /dev/mem ivshmem BAR2 while resource2_wc is mapped" > /dev/kmsg
/mapper $IVS/resource2_wc /dev/mem@0xfe000000+0x400000
echo "=== step I: /dev/mem HPET 0xfed00000" > /dev/kmsg
/mapper /dev/mem@0xfed00000+0x1000
echo "=== memtype list while ivshmem resource2_wc was mapped"; cat /tmp/list-wc.txt
echo "=== memtype list while resource2 and resource2_wc were mapped"; cat /tmp/list-uc-wc.txt
echo "=== dmesg"; dmesg
echo "=== kmsg"; timeout 2 cat /dev/kmsg
echo "=== memtype list now"; cat /sys/kernel/debug/x86/pat_memtype_list
echo "=== end"
poweroff -f
