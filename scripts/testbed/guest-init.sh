#!/bin/busybox sh
# shellcheck shell=dash
# /init of the test bed's initramfs (static busybox). Loads the modules, mounts the host's root
# (9p, read-only) and the run's folders, binds the test devices to vfio-pci, runs the job
# (/ctl/run.sh, written by the host) as root in a chroot of the host's root, hands back its exit
# status and the kernel log, and powers off. Messages go to the serial console (ttyS0).
# The kernel passes barlua_mode=type1|noiommu, barlua_shell=0|1 and barlua_qemu=system|backports
# from its command line.

export PATH=/bin
: "${barlua_mode:=type1}" "${barlua_shell:=0}" "${barlua_qemu:=system}"
say() { echo "barlua-init: $*"; }

# The bed itself failed: tell the host (ctl/bed-error, when the share is there) and stop.
fail() {
  say "FAILED: $*"
  [ -d /ctl/. ] && echo "$*" >/ctl/bed-error 2>/dev/null
  sync
  poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1 # the initramfs has no /dev/console node of its own
mount -t debugfs debugfs /sys/kernel/debug
# A few 2 MiB huge pages for no-IOMMU DMA buffers larger than a page (physically contiguous);
# tests that need none set vm.nr_hugepages to 0 themselves and put it back.
echo 4 >/proc/sys/vm/nr_hugepages

# Modules, dependencies first; the no-IOMMU build of vfio needs its switch.
while read -r ko; do
  params=
  [ "$ko" = vfio.ko ] && [ "$barlua_mode" = noiommu ] && params=enable_unsafe_noiommu_mode=1
  insmod "/lib/modules/$ko" $params || fail "insmod $ko $params failed"
done </lib/modules/order

mount9p() { # tag mountpoint extra-options
  mkdir -p "$2"
  mount -t 9p -o "trans=virtio,version=9p2000.L,msize=512000$3" "$1" "$2" ||
    fail "mount of the 9p share '$1' on $2 failed"
}
mount9p ctl /ctl ""
mount9p hostroot /host ",ro,cache=loose"
mount9p out /out ""
[ -f /ctl/job.env ] || fail "the host wrote no /ctl/job.env"
# shellcheck disable=SC1091
. /ctl/job.env # BARLUA_REPO, BARLUA_SHOW, BARLUA_OUT_DIR

# Devices, found by vendor:device and by where they sit: on the root bus, behind the PCI
# bridge, or behind one of the two root ports qemu.sh puts at fixed slots (0x10: the hotplug
# ivshmem's, 0x11: the FLR/AER device's).
EDU='' IVSHMEM='' IVSHMEM_RESET='' TESTDEV='' NONVIABLE_EDU='' NONVIABLE_VIRTIO=''
HOTPLUG='' HOTPLUG_PORT='' FLR='' FLR_PORT='' NET='' BLK='' NVME='' NVME_PORT='' LINK_PORT=''
for d in /sys/bus/pci/devices/*; do
  bdf=${d##*/}
  id=$(cat "$d/vendor"):$(cat "$d/device")
  parent=$(basename "$(dirname "$(readlink -f "$d")")")
  case $parent in
  pci*) where=root ;;
  0000:00:10.0) where=hotplug ;;
  0000:00:11.0) where=flr ;;
  0000:00:12.0) where=nvme ;; # only with the backports QEMU (qemu.sh)
  *) where=other ;;
  esac
  case $id:$where in
  0x1234:0x11e8:root) EDU=$bdf ;;
  0x1234:0x11e8:other) NONVIABLE_EDU=$bdf ;;
  0x1af4:0x1110:root) IVSHMEM=$bdf ;;
  0x1af4:0x1110:other) IVSHMEM_RESET=$bdf ;;
  0x1af4:0x1110:hotplug) HOTPLUG=$bdf HOTPLUG_PORT=$parent ;;
  0x1af4:*:flr) FLR=$bdf FLR_PORT=$parent ;;
  0x1af4:0x1000:root | 0x1af4:0x1041:root) NET=$bdf ;;
  0x1af4:0x1001:root | 0x1af4:0x1042:root) BLK=$bdf ;;
  0x1b36:0x0005:root) TESTDEV=$bdf ;;
  0x1af4:*:other) NONVIABLE_VIRTIO=$bdf ;;
  0x1b36:0x0010:nvme) NVME=$bdf NVME_PORT=$parent ;;
  esac
done
# The backports QEMU's empty root port with a set link speed and width (qemu.sh).
[ -e /sys/bus/pci/devices/0000:00:13.0 ] && LINK_PORT=0000:00:13.0
[ -n "$EDU" ] || fail "no edu device (1234:11e8) on the root bus"
[ -n "$IVSHMEM" ] || fail "no ivshmem device (1af4:1110)"
[ -n "$IVSHMEM_RESET" ] || fail "no ivshmem device (1af4:1110) behind the PCIe root port"
[ -n "$TESTDEV" ] || fail "no pci-testdev (1b36:0005)"
[ -n "$NONVIABLE_EDU" ] || fail "no edu device (1234:11e8) behind the PCI bridge"
[ -n "$NONVIABLE_VIRTIO" ] || fail "no virtio device (1af4) behind the PCI bridge"
[ -n "$HOTPLUG" ] || fail "no ivshmem device (1af4:1110) behind the hotplug root port 00:10.0"
[ -n "$FLR" ] || fail "no virtio device (1af4) behind the root port 00:11.0"
[ -n "$NET" ] || fail "no virtio-net device (1af4:1000) on the root bus"
[ -n "$BLK" ] || fail "no virtio-blk device (1af4:1001) on the root bus"
if [ "$barlua_qemu" = backports ]; then
  [ -n "$NVME" ] || fail "no nvme device (1b36:0010) behind the root port 00:12.0"
  [ -n "$LINK_PORT" ] || fail "no root port 00:13.0"
fi

for bdf in $EDU $IVSHMEM $IVSHMEM_RESET $TESTDEV $NONVIABLE_EDU $HOTPLUG $NVME; do
  d=/sys/bus/pci/devices/$bdf
  [ -e "$d/driver" ] && echo "$bdf" >"$d/driver/unbind"
  echo vfio-pci >"$d/driver_override"
  echo "$bdf" >/sys/bus/pci/drivers_probe
  drv=$(basename "$(readlink "$d/driver")")
  [ "$drv" = vfio-pci ] || fail "binding $bdf to vfio-pci failed (driver: '${drv:-none}')"
done
say "vfio-pci: edu=$EDU ivshmem=$IVSHMEM ivshmem_reset=$IVSHMEM_RESET testdev=$TESTDEV" \
  "nonviable: edu=$NONVIABLE_EDU virtio=$NONVIABLE_VIRTIO" \
  "hotplug=$HOTPLUG (port $HOTPLUG_PORT) flr=$FLR (port $FLR_PORT) net=$NET blk=$BLK" \
  "nvme=$NVME (port $NVME_PORT) link_port=$LINK_PORT"

# The chroot: host root read-only, with the guest's /proc, /sys, /dev, writable /tmp and /run,
# and the host's out folder at its own path.
mkdir -p /hosttmp
mount --bind /host/tmp /hosttmp || fail "bind of /host/tmp failed"
for m in proc sys dev; do
  mount --rbind "/$m" "/host/$m" || fail "bind of /$m into the chroot failed"
done
mount -t devpts devpts /host/dev/pts 2>/dev/null
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mount -t tmpfs -o mode=1777 tmpfs /host/tmp || fail "tmpfs on /tmp failed"
mount -t tmpfs -o mode=755 tmpfs /host/run || fail "tmpfs on /run failed"
# Folders of the host's /tmp the job needs are hidden by the tmpfs: show them again.
for p in $BARLUA_SHOW; do
  case $p in
  /tmp/*)
    mkdir -p "/host$p"
    mount --bind "/hosttmp/${p#/tmp/}" "/host$p" || fail "bind of $p failed"
    ;;
  esac
done
mkdir -p "/host$BARLUA_OUT_DIR" 2>/dev/null
mount --bind /out "/host$BARLUA_OUT_DIR" || fail "bind of the out folder on $BARLUA_OUT_DIR failed"

mkdir -p /host/run/barlua
cat >/host/run/barlua/devices.env <<ENV
export BARLUA_EDU=$EDU BARLUA_IVSHMEM=$IVSHMEM BARLUA_IVSHMEM_RESET=$IVSHMEM_RESET BARLUA_TESTDEV=$TESTDEV
export BARLUA_NONVIABLE_EDU=$NONVIABLE_EDU BARLUA_NONVIABLE_VIRTIO=$NONVIABLE_VIRTIO
export BARLUA_IVSHMEM_HOTPLUG=$HOTPLUG BARLUA_HOTPLUG_PORT=$HOTPLUG_PORT
export BARLUA_FLR=$FLR BARLUA_FLR_PORT=$FLR_PORT BARLUA_VIRTIO_NET=$NET BARLUA_VIRTIO_BLK=$BLK
export BARLUA_NVME=$NVME BARLUA_NVME_PORT=$NVME_PORT BARLUA_LINK_PORT=$LINK_PORT
ENV
cp /ctl/run.sh /host/run/barlua/run.sh || fail "cannot copy the job script"

# ttyS3 is the channel to the host's hotplug-relay.py (testbed-hotplug): bytes as they are.
stty -F /dev/ttyS3 raw -echo || fail "ttyS3 (the testbed-hotplug channel) is missing"

echo started >/ctl/started
if [ "$barlua_shell" = 1 ]; then
  say "interactive shell (exit or Ctrl-D powers the guest off)"
  setsid -c chroot /host /bin/bash /run/barlua/run.sh </dev/ttyS0 >/dev/ttyS0 2>&1
  rc=$?
else
  # The command's stdout and stderr leave through their own serial ports, unmangled. They
  # reach the command as pipes, not terminals, as on a CI machine.
  stty -F /dev/ttyS1 raw -echo
  stty -F /dev/ttyS2 raw -echo
  mkfifo /stdout.fifo /stderr.fifo
  cat /stdout.fifo >/dev/ttyS1 &
  out_pid=$!
  cat /stderr.fifo >/dev/ttyS2 &
  err_pid=$!
  chroot /host /bin/sh /run/barlua/run.sh </dev/null >/stdout.fifo 2>/stderr.fifo
  rc=$?
  wait $out_pid $err_pid
fi
echo "$rc" >/ctl/status
say "command exited with status $rc"

# The full kernel log, dmesg-style, taken after the command.
chroot /host dmesg >/out/kmsg.log 2>/ctl/dmesg.err || dmesg >/out/kmsg.log
sync
poweroff -f
