# shellcheck shell=bash
# Running the guest: the QEMU command line (q35, TCG, the test devices) and turning how QEMU
# ended into the bed's exit status.

IVSHMEM_SIZE=4194304
# The hot-pluggable ivshmem (BARLUA_IVSHMEM_HOTPLUG) starts with this BAR2 size; its root port
# reserves HOTPLUG_WINDOW of 64-bit prefetchable space, so a "new bitstream" with a BAR2 up to
# that size is assigned and a larger one is not (the kernel's "can't assign; no space").
HOTPLUG_SIZE=4194304
HOTPLUG_WINDOW=64M
# shellcheck disable=SC2054 # commas separate QEMU sub-options, not array elements

# qemu_command: fill QEMU_CMD from RUN_* settings, KERNEL_DIR and INITRAMFS.
qemu_command() {
  # no_timer_check: under TCG on a busy host the boot-time IO-APIC timer check can miss its
  # window, and with interrupt remapping that is a panic ("timer doesn't work through
  # Interrupt-remapped IO-APIC"), seen with two guests on two cores.
  local append="console=ttyS0 panic=-1 debugpat log_buf_len=8M no_timer_check"
  append+=" barlua_mode=$RUN_MODE"
  append+=" barlua_shell=$RUN_SHELL"
  append+=" barlua_qemu=$RUN_QEMU"
  # QEMU_BIN, QEMU_ENV, QEMU_DATA_ARGS: the machine's QEMU or the backport (qemu-backports.sh).
  QEMU_CMD=(env "${QEMU_ENV[@]}" "$QEMU_BIN" "${QEMU_DATA_ARGS[@]}" -nodefaults -no-user-config
    -display none -no-reboot -machine q35 -accel tcg -cpu max -smp 1 -m 512)
  if [[ $RUN_MODE == type1 ]]; then
    # The virtual IOMMU must be the first device; intremap=on lets type1 accept the groups.
    QEMU_CMD+=(-device intel-iommu,intremap=on)
    append+=" intel_iommu=on"
  fi
  QEMU_CMD+=(-kernel "$KERNEL_DIR/vmlinux" -initrd "$INITRAMFS" -append "$append")
  QEMU_CMD+=(
    # dma_mask: edu's default mask is 28 bits and clamps DMA addresses above 256 MiB ("EDU:
    # clamping DMA"); no-IOMMU buffers are guest-physical addresses anywhere in its memory.
    -device edu,dma_mask=0xffffffffffffffff
    -object "memory-backend-file,id=shm0,size=$IVSHMEM_SIZE,share=on,mem-path=$RUN_IVSHMEM"
    -device ivshmem-plain,memdev=shm0
    -device pci-testdev
    # A second ivshmem on the same memory file, alone behind a PCIe root port: the one device
    # here VFIO can reset (secondary bus reset), so `--reset` can be shown to keep the memory.
    -object "memory-backend-file,id=shm1,size=$IVSHMEM_SIZE,share=on,mem-path=$RUN_IVSHMEM"
    -device pcie-root-port,id=rp1,chassis=2,slot=1
    -device ivshmem-plain,memdev=shm1,bus=rp1
    # One IOMMU group that is not viable: a conventional bridge, an edu and a virtio device
    # that stays on its own driver.
    # The FPGA that gets reprogrammed: an ivshmem alone behind its own hot-pluggable root port
    # (fixed slot 0x10, how guest-init.sh tells the two ports apart), replaced at run time by
    # `testbed-hotplug reload` through QMP (hotplug-relay.py). Its memory is a fresh file in the
    # run's folder, never the --ivshmem file.
    -object "memory-backend-file,id=hpmem0,size=$HOTPLUG_SIZE,share=on,mem-path=$RUN_WORK/hotplug-0"
    -device "pcie-root-port,id=rphp,chassis=3,slot=2,addr=0x10,pref64-reserve=$HOTPLUG_WINDOW"
    -device ivshmem-plain,id=hp,memdev=hpmem0,bus=rphp
    # A PCIe endpoint with FLR, PM and an AER capability (errors injected by `testbed-hotplug
    # aer`), alone behind its own root port (slot 0x11): virtio-rng in PCIe mode.
    -device pcie-root-port,id=rpflr,chassis=4,slot=3,addr=0x11
    -device virtio-rng-pci,id=flr0,bus=rpflr,aer=on
    # "In use" evidence for binding: a network interface and a block device (on the root bus).
    -device virtio-net-pci,id=net0,netdev=nd0
    -netdev hubport,id=nd0,hubid=0
    -drive "file=$RUN_WORK/disk.img,format=raw,if=none,id=disk0"
    -device virtio-blk-pci,id=blk0,drive=disk0
    -device pci-bridge,id=br1,chassis_nr=1
    -device edu,bus=br1,addr=1.0
    -device virtio-rng-pci,bus=br1,addr=2.0
  )
  [[ $RUN_QEMU == backports ]] && qemu_backports_devices
  QEMU_CMD+=(
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
    -virtfs "local,path=$RUN_OUT,mount_tag=out,security_model=none,multidevs=remap"
    -virtfs "local,path=$RUN_WORK/ctl,mount_tag=ctl,security_model=none,multidevs=remap"
  )
  # QMP for the relay, and the guest's fourth serial port (ttyS3) wired to the relay: the
  # channel of `testbed-hotplug`. Both sockets live in the run's private folder.
  QEMU_CMD+=(-chardev "socket,id=qmp,path=$RUN_WORK/qmp.sock,server=on,wait=off"
    -mon chardev=qmp,mode=control
    -chardev "socket,id=bedctl,path=$RUN_WORK/bedctl.sock,server=on,wait=off")
  local log="logfile=$RUN_OUT/console.log,logappend=on"
  if [[ $RUN_SHELL == 1 ]]; then
    QEMU_CMD+=(-chardev "stdio,id=con,mux=on,signal=off,$log" -serial chardev:con
      -mon chardev=con,mode=readline -serial null -serial null -serial chardev:bedctl)
  elif [[ $RUN_QUIET == 1 ]]; then
    local port
    for port in con cout cerr; do
      QEMU_CMD+=(-chardev "file,id=$port,path=$RUN_OUT/console.log,append=on" -serial "chardev:$port")
    done
    QEMU_CMD+=(-serial chardev:bedctl)
  else
    # ttyS0: console, only to console.log; ttyS1/ttyS2: the command's stdout/stderr, through
    # FIFOs that qemu_run copies to ours (and to console.log).
    QEMU_CMD+=(-chardev "file,id=con,path=$RUN_OUT/console.log,append=on" -serial chardev:con
      -chardev "file,id=cout,path=$RUN_WORK/stdout.fifo,$log" -serial chardev:cout
      -chardev "file,id=cerr,path=$RUN_WORK/stderr.fifo,$log" -serial chardev:cerr
      -serial chardev:bedctl)
  fi
}

# Devices only the backports QEMU's boots have (Tests/guest/backports/31-aer-link.lua), at fixed slots
# guest-init.sh knows: a root port with x-speed/x-width set and nothing behind it (slot 0x13:
# its link status is its link capability), and an NVMe controller with a controller memory
# buffer (a memory BAR) and FLR, alone behind a root port of another speed and width (slot
# 0x12). No guest driver takes the NVMe (the bed loads no nvme module): guest-init binds it to
# vfio-pci.
LINK_PORT_SPEED=8 LINK_PORT_WIDTH=4
NVME_PORT_SPEED=5 NVME_PORT_WIDTH=2
NVME_CMB_MB=1
qemu_backports_devices() {
  truncate -s 1M "$RUN_WORK/nvme.img" || return 1
  QEMU_CMD+=(
    -device "pcie-root-port,id=rplink,chassis=6,slot=5,addr=0x13,x-speed=$LINK_PORT_SPEED,x-width=$LINK_PORT_WIDTH"
    -device "pcie-root-port,id=rpnvme,chassis=5,slot=4,addr=0x12,x-speed=$NVME_PORT_SPEED,x-width=$NVME_PORT_WIDTH"
    -drive "file=$RUN_WORK/nvme.img,format=raw,if=none,id=nvm0"
    -device "nvme,id=nvme0,bus=rpnvme,serial=barlua0,drive=nvm0,cmb_size_mb=$NVME_CMB_MB"
  )
}

# console_tail [N]: the last lines of the guest's console, for messages.
console_tail() {
  echo "---- last ${1:-25} lines of $RUN_OUT/console.log ----" >&2
  tail -n "${1:-25}" "$RUN_OUT/console.log" 2>/dev/null | sed 's/\r$//' >&2
  echo "----" >&2
}

# qemu_run: boot; returns the bed's exit status (the command's, 124 or 125).
qemu_run() {
  qemu_command
  : >"$RUN_OUT/console.log"
  printf '%q ' "${QEMU_CMD[@]}" >"$RUN_WORK/qemu.cmd"
  local rc=0 started=$SECONDS relay
  truncate -s 1M "$RUN_WORK/disk.img" || return 125
  truncate -s "$HOTPLUG_SIZE" "$RUN_WORK/hotplug-0" || return 125
  # The host side of `testbed-hotplug`: it waits for QEMU's sockets and ends with QEMU.
  /usr/bin/python3 "$TESTBED_DIR/hotplug-relay.py" "$RUN_WORK" "$HOTPLUG_SIZE" \
    2>>"$RUN_OUT/relay.log" &
  relay=$!
  if [[ $RUN_SHELL == 1 ]]; then
    "${QEMU_CMD[@]}" 2>"$RUN_WORK/qemu.log" || rc=$?
  else
    local copiers=() holders=() fd
    if [[ $RUN_QUIET != 1 ]]; then
      mkfifo "$RUN_WORK/stdout.fifo" "$RUN_WORK/stderr.fifo" || return 125
      cat "$RUN_WORK/stdout.fifo" &
      copiers+=($!)
      cat "$RUN_WORK/stderr.fifo" >&2 &
      copiers+=($!)
      # Hold each FIFO open (read-write never blocks) so neither side can wait forever for the
      # other, even when QEMU fails before opening them; the copiers end once all let go.
      exec {fd}<>"$RUN_WORK/stdout.fifo"
      holders+=("$fd")
      exec {fd}<>"$RUN_WORK/stderr.fifo"
      holders+=("$fd")
    fi
    timeout --kill-after=10 "$RUN_TIMEOUT" "${QEMU_CMD[@]}" \
      </dev/null >"$RUN_WORK/qemu.log" 2>&1 || rc=$?
    for fd in "${holders[@]}"; do
      exec {fd}>&-
    done
    [[ ${#copiers[@]} -eq 0 ]] || wait "${copiers[@]}"
  fi
  kill "$relay" 2>/dev/null
  wait "$relay" 2>/dev/null
  # shellcheck disable=SC2034 # read by guest
  RUN_SECONDS=$((SECONDS - started))
  local ctl=$RUN_WORK/ctl
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    err "the guest was killed at the time-out of $RUN_TIMEOUT s (still running: hung or too slow)"
    console_tail
    return 124
  fi
  if [[ -f $ctl/bed-error ]]; then
    err "the bed failed inside the guest: $(cat "$ctl/bed-error")"
    console_tail
    err "see $RUN_OUT/console.log"
    return 125
  fi
  if [[ -f $ctl/status ]]; then
    cp "$ctl/status" "$RUN_OUT/status"
    local status
    status=$(cat "$ctl/status")
    [[ $status =~ ^[0-9]+$ ]] || { err "the guest wrote a bad status '$status'"; return 125; }
    return "$status"
  fi
  local panic
  panic=$(grep -a -m 1 'Kernel panic' "$RUN_OUT/console.log" | sed 's/\r$//')
  if [[ -n $panic ]]; then
    if [[ -f $ctl/started ]]; then
      err "the guest kernel panicked while the command ran: $panic"
    else
      err "the guest kernel panicked before the command ran: $panic"
    fi
    console_tail 40
    err "full guest console: $RUN_OUT/console.log"
    return 125
  fi
  err "QEMU ended (exit status $rc) before the command finished"
  sed 's/^/  qemu: /' "$RUN_WORK/qemu.log" >&2
  console_tail
  return 125
}
