# shellcheck shell=bash
# The guest kernel: a current Debian kernel package of the chosen series, resolved from apt at
# run time (old ABIs vanish from the archive, so no version is ever pinned), unpacked into the
# cache as an ELF vmlinux (PVH boot skips ~3 s of decompression under TCG) and the few modules
# the guest needs, in load order.

# Modules the guest's init loads (their dependencies are added in order).
# virtio_net, virtio_blk and minix: the "in use" evidence of the binding tests (an interface that
# is up, a mounted disk).
TESTBED_MODULES=(vfio_pci vfio_iommu_type1 virtio_pci 9pnet_virtio 9p virtio_rng virtio_net
  virtio_blk minix)

# The series the bed knows are the rows of kernels.tsv (kernels.sh reads it): rows of the
# machine's own suite (bookworm) come from its apt; Debian's newest kernel, the row of suite
# sid, comes from unstable through a private apt configuration (apt-sid.sh). `newest` (or
# `sid`) is whatever series unstable ships today; a number newer than every bookworm row names
# it too, as long as unstable still ships that series.
# shellcheck source=scripts/testbed/kernels.sh
. "$TESTBED_DIR/kernels.sh"
TESTBED_KERNELS="$(kernel_choices | paste -sd, | sed 's/,/, /g') (newest: alias sid; today's Debian unstable kernel)"

# kernel_newest_own: the newest series of the machine's own suite in the table.
kernel_newest_own() {
  kernel_rows | awk -F'\t' '$2 != "sid" { print $1 }' | sort -V | tail -n 1
}

# kernel_series_known NAME: true for a series name the bed may be able to boot: a bookworm row,
# newest/sid, or a series newer than every bookworm row (checked against unstable when resolved).
kernel_series_known() {
  [[ $1 == @(newest|sid) ]] && return 0
  [[ $(kernel_column "$1" 2) == bookworm ]] && return 0
  [[ $1 =~ ^[1-9][0-9]*\.[0-9]+$ ]] && [[ $1 != "$(kernel_newest_own)" ]] &&
    [[ $(printf '%s\n%s\n' "$(kernel_newest_own)" "$1" | sort -V | tail -n 1) == "$1" ]]
}

# kernel_resolve SERIES: set KERNEL_SERIES (6.1, 6.12, 7.2, ...), KERNEL_PKG, KERNEL_RELEASE
# (uname -r), KERNEL_DEB_VERSION, and APT_OPTS for the suite the kernel comes from.
kernel_resolve() {
  local series=$1 meta pattern
  APT_OPTS=()
  kernel_series_known "$series" ||
    usage_fail "unknown kernel series '$series' (known: $TESTBED_KERNELS)"
  if [[ $(kernel_column "$series" 2) == bookworm ]]; then
    meta=$(kernel_column "$series" 3)
  else
    ensure_sid_lists
    meta=$(kernel_rows | awk -F'\t' '$2 == "sid" { print $3; exit }')
  fi
  if [[ ${#APT_OPTS[@]} -eq 0 ]]; then
    pattern="^linux-image-$(kernel_release_pattern "$series")\$"
  else
    pattern='^linux-image-[0-9]+\.[0-9]+\.[0-9]+.*-amd64$'
  fi
  KERNEL_PKG=$(deb_depends "$meta" | grep -E "$pattern" | head -n 1)
  if [[ -z $KERNEL_PKG && ${#APT_OPTS[@]} -eq 0 ]] && ! apt_lists_ready; then
    ensure_apt_lists
    KERNEL_PKG=$(deb_depends "$meta" | grep -E "$pattern" | head -n 1)
  fi
  [[ -n $KERNEL_PKG ]] ||
    bed_fail "apt cannot resolve the kernel package of series $series" \
      "($meta has no matching Depends; run apt-get update?)"
  KERNEL_RELEASE=${KERNEL_PKG#linux-image-}
  KERNEL_SERIES=$(kernel_series_of_release "$KERNEL_RELEASE")
  if [[ ${#APT_OPTS[@]} -gt 0 && $series != @(newest|sid) && $series != "$KERNEL_SERIES" ]]; then
    bed_fail "Debian unstable ships kernel series $KERNEL_SERIES now ($KERNEL_RELEASE), not $series:" \
      "use --kernel newest (or --kernel $KERNEL_SERIES)"
  fi
  KERNEL_DEB_VERSION=$(deb_version "$KERNEL_PKG")
  [[ -n $KERNEL_DEB_VERSION ]] || bed_fail "apt has no candidate version of $KERNEL_PKG"
}

# kernel_series_of_release RELEASE: 6.1.0-56-amd64 -> 6.1, 6.12.117+deb12-amd64 -> 6.12,
# 7.2.13+deb14-amd64 -> 7.2
kernel_series_of_release() {
  sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$1"
}

# kernel_release_pattern SERIES: an extended regex matching the release names (uname -r): the
# table's, else SERIES.N with any Debian suffix.
kernel_release_pattern() {
  local pattern
  pattern=$(kernel_column "$1" 4)
  if [[ -n $pattern && $pattern != - ]]; then
    echo "$pattern"
  else
    echo "${1//./\\.}\\.[0-9]+[-+.a-z0-9]*-amd64"
  fi
}

# kernel_dir: the cache folder of the resolved kernel (its name changes with the module list).
kernel_dir() {
  local key
  key=$(printf '%s\n' "${TESTBED_MODULES[@]}" | sha256sum | cut -c1-8)
  printf '%s/kernel/%s_%s_%s\n' "$(testbed_cache_root)" "$KERNEL_RELEASE" "$KERNEL_DEB_VERSION" \
    "$key"
}

# build_kernel DIR: fetch and unpack the kernel package(s) into DIR. Bookworm's image package
# holds /boot/vmlinuz-R and /lib/modules/R; unstable splits it into linux-binary-R (vmlinuz),
# linux-modules-R (compressed modules) and linux-base-R (config, modules.builtin), all under
# /usr/lib/modules/R.
build_kernel() {
  local dir=$1 deb unpack pkg pkgs=("$KERNEL_PKG")
  unpack=$dir/.unpack
  mkdir -p "$unpack"
  mapfile -t -O 1 pkgs < <(deb_depends "$KERNEL_PKG" |
    grep -E "^linux-(binary|modules|base)-${KERNEL_RELEASE//+/\\+}\$")
  for pkg in "${pkgs[@]}"; do
    deb=$(fetch_deb "$pkg" "$KERNEL_DEB_VERSION") || return 1
    dpkg -x "$deb" "$unpack" || { err "cannot unpack $deb"; return 1; }
  done
  local vmlinuz config mods
  for mods in "$unpack/lib/modules/$KERNEL_RELEASE" "$unpack/usr/lib/modules/$KERNEL_RELEASE"; do
    [[ -d $mods/kernel ]] && break
  done
  vmlinuz=$unpack/boot/vmlinuz-$KERNEL_RELEASE config=$unpack/boot/config-$KERNEL_RELEASE
  [[ -f $vmlinuz ]] || vmlinuz=$mods/vmlinuz
  [[ -f $config ]] || config=$mods/config
  [[ -f $vmlinuz ]] || { err "${pkgs[*]} hold no vmlinuz for $KERNEL_RELEASE"; return 1; }
  [[ -d $mods/kernel ]] || { err "${pkgs[*]} hold no modules for $KERNEL_RELEASE"; return 1; }
  cp "$config" "$dir/config" || { err "${pkgs[*]} hold no config for $KERNEL_RELEASE"; return 1; }
  /usr/bin/python3 "$TESTBED_DIR/extract-vmlinux.py" "$vmlinuz" "$dir/vmlinux" || return 1
  mkdir -p "$dir/modules"
  /usr/bin/python3 "$TESTBED_DIR/module-closure.py" "$mods" \
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
    [[ ${name%%_*} =~ ^$(kernel_release_pattern "$KERNEL_SERIES")$ ]] || continue
    cache_valid "$(dirname "$KERNEL_DIR")/$name" && { fallback=$name; break; }
  done
  [[ -n $fallback ]] ||
    bed_fail "could not get kernel $KERNEL_RELEASE ($KERNEL_DEB_VERSION) and no kernel of series $KERNEL_SERIES is cached"
  err "could not get kernel $KERNEL_RELEASE ($KERNEL_DEB_VERSION); using the cached ${fallback%_*}"
  KERNEL_RELEASE=${fallback%%_*}
  KERNEL_DEB_VERSION=${fallback#*_}
  KERNEL_DEB_VERSION=${KERNEL_DEB_VERSION%_*}
  KERNEL_DIR=$(dirname "$KERNEL_DIR")/$fallback
}
