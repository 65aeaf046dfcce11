# shellcheck shell=bash
# vfio.ko with CONFIG_VFIO_NOIOMMU, for the guest's no-IOMMU mode (/dev/vfio/noiommu-N).
# Debian builds every kernel without it, so only drivers/vfio is rebuilt out of tree against the
# kernel's own headers (same Module.symvers: the stock vfio-pci modules load on top of it).
# Needs the resolved kernel (kernel_resolve) first.

noiommu_dir() {
  printf '%s/noiommu/%s_%s\n' "$(testbed_cache_root)" "$KERNEL_RELEASE" "$KERNEL_DEB_VERSION"
}

# build_noiommu DIR: fetch source and headers, build vfio.ko into DIR.
build_noiommu() {
  local dir=$1 series work pkg deb
  series=$(kernel_series_of_release "$KERNEL_RELEASE")
  work=$dir/.work
  mkdir -p "$work/root"
  # linux-headers-<release> and its own Depends that carry the build tree (-common, kbuild).
  local hdr=linux-headers-$KERNEL_RELEASE pkgs=()
  mapfile -t pkgs < <(echo "$hdr"; deb_depends "$hdr" | grep -E '^linux-(headers-.*-common|kbuild-)')
  [[ ${#pkgs[@]} -ge 3 ]] || { err "cannot resolve the Depends of $hdr: ${pkgs[*]}"; return 1; }
  for pkg in "${pkgs[@]}"; do
    deb=$(fetch_deb "$pkg" "$(deb_version "$pkg")") || return 1
    dpkg -x "$deb" "$work/root" || { err "cannot unpack $deb"; return 1; }
  done
  local src=linux-source-$series
  [[ -n $(apt-cache show "$src=$KERNEL_DEB_VERSION" 2>/dev/null) ]] ||
    { err "apt has no $src version $KERNEL_DEB_VERSION (the version of the guest kernel)"; return 1; }
  deb=$(fetch_deb "$src" "$KERNEL_DEB_VERSION") || return 1
  log "extracting drivers/vfio from $src"
  dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$src.tar.xz" | xz -dc -T0 |
    tar -x -C "$work" "$src/drivers/vfio" || { err "cannot extract drivers/vfio from $deb"; return 1; }
  local headers=$work/root/usr/src/$hdr
  # The headers' Makefile includes the -common tree by its absolute /usr/src path.
  sed -i -E "s|^include /usr/src/|include $work/root/usr/src/|" "$headers/Makefile"
  log "building vfio.ko with CONFIG_VFIO_NOIOMMU for $KERNEL_RELEASE"
  make -s -C "$headers" M="$work/$src/drivers/vfio" \
    CONFIG_VFIO_NOIOMMU=y KCFLAGS=-DCONFIG_VFIO_NOIOMMU=1 CONFIG_DEBUG_INFO_BTF_MODULES= \
    CONFIG_VFIO_PCI= CONFIG_VFIO_PCI_CORE= CONFIG_VFIO_MDEV= CONFIG_VFIO_IOMMU_TYPE1= \
    CONFIG_VFIO_PLATFORM= CONFIG_VFIO_PLATFORM_BASE= CONFIG_VFIO_FSL_MC= CONFIG_VFIO_CDX= \
    modules >"$work/make.log" 2>&1 || {
    tail -n 30 "$work/make.log" >&2
    err "make of drivers/vfio failed (log above)"
    return 1
  }
  local ko=$work/$src/drivers/vfio/vfio.ko
  grep -q enable_unsafe_noiommu_mode "$ko" ||
    { err "the rebuilt $ko has no enable_unsafe_noiommu_mode parameter"; return 1; }
  grep -qa "vermagic=$KERNEL_RELEASE " "$ko" ||
    { err "the rebuilt $ko is not for $KERNEL_RELEASE"; return 1; }
  cp "$ko" "$dir/vfio.ko"
  rm -rf "$work"
}

# ensure_noiommu: build (if needed); sets NOIOMMU_DIR.
ensure_noiommu() {
  NOIOMMU_DIR=$(noiommu_dir)
  cache_build "$NOIOMMU_DIR" "no-IOMMU vfio.ko for $KERNEL_RELEASE" build_noiommu
}
