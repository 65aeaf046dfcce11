# shellcheck shell=bash
# The guest's initramfs: static busybox, the kernel's modules in load order (with the no-IOMMU
# vfio.ko in noiommu mode) and guest-init.sh as /init. Uncompressed cpio: nothing to unpack
# slowly under TCG. Its cache name hashes everything that goes into it, so editing the init
# script or a new kernel makes a new one.

# initramfs_dir MODE: needs KERNEL_DIR (and NOIOMMU_DIR in noiommu mode).
initramfs_dir() {
  local mode=$1 key
  key=$(
    {
      cat "$TESTBED_DIR/guest-init.sh" "$(command -v busybox)" "$KERNEL_DIR/.stamp"
      [[ $mode == noiommu ]] && cat "$NOIOMMU_DIR/.stamp"
      echo "$mode"
    } | sha256sum | cut -c1-12
  )
  printf '%s/initramfs/%s_%s_%s\n' "$(testbed_cache_root)" "$KERNEL_RELEASE" "$mode" "$key"
}

# build_initramfs DIR MODE
build_initramfs() {
  local dir=$1 mode=$2 root=$1/.root applet
  mkdir -p "$root"/{bin,dev,proc,sys,lib/modules,ctl,host,out,hosttmp}
  cp "$(command -v busybox)" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
  done
  cp "$KERNEL_DIR"/modules/*.ko "$KERNEL_DIR/modules/order" "$root/lib/modules/"
  if [[ $mode == noiommu ]]; then
    cp "$NOIOMMU_DIR/vfio.ko" "$root/lib/modules/vfio.ko"
  fi
  install -m 755 "$TESTBED_DIR/guest-init.sh" "$root/init"
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) \
    >"$dir/initramfs.cpio" || { err "cpio of the initramfs failed"; return 1; }
  rm -rf "$root"
}

# ensure_initramfs MODE: build (if needed); sets INITRAMFS.
ensure_initramfs() {
  local mode=$1 dir
  dir=$(initramfs_dir "$mode")
  cache_build "$dir" "initramfs for $KERNEL_RELEASE ($mode)" build_initramfs "$mode"
  # shellcheck disable=SC2034 # used by qemu.sh
  INITRAMFS=$dir/initramfs.cpio
}
