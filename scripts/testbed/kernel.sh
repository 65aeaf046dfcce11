# shellcheck shell=bash
# The guest kernel: a current Debian kernel package of the chosen series, resolved from apt at
# run time (old ABIs vanish from the archive, so no version is ever pinned), unpacked into the
# cache as an ELF vmlinux (PVH boot skips ~3 s of decompression under TCG) and the few modules
# the guest needs, in load order.

# Modules the guest's init loads (their dependencies are added in order).
TESTBED_MODULES=(vfio_pci vfio_iommu_type1 virtio_pci 9pnet_virtio 9p virtio_rng)

# kernel_resolve SERIES: set KERNEL_PKG, KERNEL_RELEASE (uname -r) and KERNEL_DEB_VERSION.
kernel_resolve() {
  local series=$1 meta pattern
  case $series in
  6.1) meta=linux-image-amd64 ;;
  6.12) meta=linux-image-6.12-amd64 ;;
  *) usage_fail "unknown kernel series '$series' (known: 6.1, 6.12)" ;;
  esac
  pattern="^linux-image-$(kernel_release_pattern "$series")\$"
  KERNEL_PKG=$(deb_depends "$meta" | grep -E "$pattern" | head -n 1)
  if [[ -z $KERNEL_PKG ]] && ! apt_lists_ready; then
    ensure_apt_lists
    KERNEL_PKG=$(deb_depends "$meta" | grep -E "$pattern" | head -n 1)
  fi
  [[ -n $KERNEL_PKG ]] ||
    bed_fail "apt cannot resolve the kernel package of series $series" \
      "($meta has no matching Depends; run apt-get update?)"
  KERNEL_RELEASE=${KERNEL_PKG#linux-image-}
  KERNEL_DEB_VERSION=$(deb_version "$KERNEL_PKG")
  [[ -n $KERNEL_DEB_VERSION ]] || bed_fail "apt has no candidate version of $KERNEL_PKG"
}

# kernel_release_pattern SERIES: an extended regex matching the release names (uname -r).
kernel_release_pattern() {
  case $1 in
  6.1) echo '6\.1\.[0-9]+-[0-9]+-amd64' ;;
  6.12) echo '6\.12\.[0-9]+\+deb12-amd64' ;;
  esac
}

# kernel_dir: the cache folder of the resolved kernel (its name changes with the module list).
kernel_dir() {
  local key
  key=$(printf '%s\n' "${TESTBED_MODULES[@]}" | sha256sum | cut -c1-8)
  printf '%s/kernel/%s_%s_%s\n' "$(testbed_cache_root)" "$KERNEL_RELEASE" "$KERNEL_DEB_VERSION" \
    "$key"
}

# build_kernel DIR: fetch and unpack the kernel package into DIR.
build_kernel() {
  local dir=$1 deb unpack
  deb=$(fetch_deb "$KERNEL_PKG" "$KERNEL_DEB_VERSION") || return 1
  unpack=$dir/.unpack
  mkdir -p "$unpack"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$unpack" ./boot ./lib/modules ||
    { err "cannot unpack $deb"; return 1; }
  local vmlinuz=$unpack/boot/vmlinuz-$KERNEL_RELEASE
  [[ -f $vmlinuz ]] || { err "$deb has no boot/vmlinuz-$KERNEL_RELEASE"; return 1; }
  cp "$unpack/boot/config-$KERNEL_RELEASE" "$dir/config"
  /usr/bin/python3 "$TESTBED_DIR/extract-vmlinux.py" "$vmlinuz" "$dir/vmlinux" || return 1
  mkdir -p "$dir/modules"
  /usr/bin/python3 "$TESTBED_DIR/module-closure.py" "$unpack/lib/modules/$KERNEL_RELEASE" \
    "$dir/modules" "${TESTBED_MODULES[@]}" || return 1
  rm -rf "$unpack"
}

# ensure_kernel SERIES: resolve and build (if needed); sets KERNEL_DIR. When the current
# kernel cannot be fetched (no network) but an older one of the series is cached, use that.
ensure_kernel() {
  kernel_resolve "$1"
  KERNEL_DIR=$(kernel_dir)
  CACHE_BUILD_MAY_FAIL=1 cache_build "$KERNEL_DIR" "kernel $KERNEL_RELEASE ($KERNEL_DEB_VERSION)" \
    build_kernel && return 0
  local key name fallback=''
  key=${KERNEL_DIR##*_}
  for name in $(find "$(dirname "$KERNEL_DIR")" -mindepth 1 -maxdepth 1 -name "*_$key" -printf '%f\n' |
    sort -V -r); do
    [[ ${name%%_*} =~ ^$(kernel_release_pattern "$1")$ ]] || continue
    cache_valid "$(dirname "$KERNEL_DIR")/$name" && { fallback=$name; break; }
  done
  [[ -n $fallback ]] ||
    bed_fail "could not get kernel $KERNEL_RELEASE ($KERNEL_DEB_VERSION) and no kernel of series $1 is cached"
  err "could not get kernel $KERNEL_RELEASE ($KERNEL_DEB_VERSION); using the cached ${fallback%_*}"
  KERNEL_RELEASE=${fallback%%_*}
  KERNEL_DEB_VERSION=${fallback#*_}
  KERNEL_DEB_VERSION=${KERNEL_DEB_VERSION%_*}
  KERNEL_DIR=$(dirname "$KERNEL_DIR")/$fallback
}
