#!/bin/sh
# Records virtio-pci-probe-6.1.txt: the kernel's mmiotrace of virtio_pci probing a virtio-rng
# device, in the test bed. Run from the checkout:
#   scripts/testbed/guest --out DIR -- sh -c "$(cat Tests/Fixtures/mmiotrace/record-virtio-probe.sh)"
# The log is DIR/mmiotrace.txt. The device is the transitional virtio-rng behind the bed's PCI
# bridge (1af4:1005, bound to virtio-pci); it is unbound, traced while it binds again, and used.
set -eu
T=/sys/kernel/tracing
[ -e "$T/current_tracer" ] || mount -t tracefs nodev "$T"
dev=''
for d in /sys/bus/pci/devices/*; do
  if [ "$(cat "$d/device")" = 0x1005 ] && [ "$(basename "$(readlink "$d/driver")")" = virtio-pci ]; then
    dev=$(basename "$d")
  fi
done
[ -n "$dev" ] || { echo "no virtio-rng bound to virtio-pci" >&2; exit 1; }
reader=''
stop() { # the reader first: the tracer cannot change while trace_pipe is open (EIO); then the
  # device back on its driver, whatever failed
  if [ -n "$reader" ]; then
    sleep 1
    kill "$reader" 2>/dev/null || true
    wait "$reader" 2>/dev/null || true
  fi
  echo nop >"$T/current_tracer"
  [ -e "/sys/bus/pci/devices/$dev/driver" ] || echo "$dev" >/sys/bus/pci/drivers/virtio-pci/bind
}
trap stop EXIT
echo "$dev" >/sys/bus/pci/drivers/virtio-pci/unbind
echo mmiotrace >"$T/current_tracer"
cat "$T/trace_pipe" >"$BARLUA_OUT/mmiotrace.txt" &
reader=$!
sleep 1
echo "$dev" >/sys/bus/pci/drivers/virtio-pci/bind
sleep 1
head -c 64 /dev/hwrng >/dev/null
echo "barlua fixture mark" >"$T/trace_marker"
