# shellcheck shell=bash
# The bed's second QEMU (`guest --qemu backports`): Debian bookworm-backports' qemu-system-x86,
# built for this machine's Debian, next to the machine's own QEMU 7.2 (which every other run
# keeps using; nothing is installed over it). Its packages are resolved at every run through a
# private apt configuration for bookworm-backports (apt-sid.sh; never pinned: the newest
# backport wins), fetched and checked like the kernel's (packages.sh) and unpacked into the
# cache, qemu-backports/VERSION/. Their library dependencies are bookworm packages, installed
# like the bed's other host packages when missing.
#
# Why a second QEMU: QEMU 7.2 keeps a root port's Uncorrectable Error Mask read-only (writable
# from 8.0 on, behind the x-pcie-err-unc-mask property), so scripts/reload.lua's masking of
# Surprise Down cannot be shown on it, and it sends no correctable AER message upstream (8.0 on
# does). Tests/guest/backports/31-aer-link.lua needs this QEMU and runs in the suite's
# backports boots.

QEMU_BACKPORTS_SUITE=bookworm-backports
# Unpacked from the backport (the emulator, its data files and the firmware it asks for).
QEMU_BACKPORTS_PACKAGES=(qemu-system-x86 qemu-system-common qemu-system-data seabios)

# qemu_backports_build TMPDIR DEB...: unpack the .debs and check that the emulator runs.
qemu_backports_build() {
  local dir=$1 deb
  shift
  for deb in "$@"; do
    dpkg-deb -x "$deb" "$dir/root" || {
      err "cannot unpack $deb"
      return 1
    }
  done
  # Only what the bed runs is kept: the emulator, its data, the firmware and its modules.
  rm -rf "$dir/root/usr/share/doc" "$dir/root/usr/share/man" "$dir/root/usr/share/lintian"
  local out
  if ! out=$(QEMU_MODULE_DIR=$dir/root/usr/lib/x86_64-linux-gnu/qemu \
    "$dir/root/usr/bin/qemu-system-x86_64" --version 2>&1); then
    err "the unpacked QEMU does not run: $out"
    return 1
  fi
  printf '%s\n' "$out" | head -n 1 >"$dir/version"
}

# qemu_backports_libraries: install the bookworm libraries the backport links against (the
# Depends of qemu-system-x86 and qemu-system-common, less the packages the bed unpacks itself
# and the firmware it takes from the backport); as non-root, name the command instead.
qemu_backports_libraries() {
  local pkg missing=() deps
  deps=$( (deb_depends qemu-system-x86 && deb_depends qemu-system-common) | sed 's/:any$//' | sort -u)
  while read -r pkg; do
    [[ -n $pkg ]] || continue
    [[ " ${QEMU_BACKPORTS_PACKAGES[*]} " == *" $pkg "* ]] && continue
    [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == "install ok installed" ]] ||
      missing+=("$pkg")
  done <<<"$deps"
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  [[ $EUID -eq 0 ]] ||
    bed_fail "the backports QEMU needs these Debian packages: ${missing[*]}. Install them as root with: $cmd"
  ensure_apt_lists
  log "installing the backports QEMU's libraries: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
    --no-install-recommends "${missing[@]}" >&2 ||
    bed_fail "'$cmd' failed: the Debian archive could not be reached or the packages do not exist"
}

# ensure_qemu_backports: set QEMU_BIN, QEMU_ENV (environment for it), QEMU_DATA_ARGS (its -L
# folders) and QEMU_VERSION, fetching and unpacking the backport when needed.
ensure_qemu_backports() {
  local pkg ver versions=() debs=() dir
  ensure_sid_lists "$QEMU_BACKPORTS_SUITE"
  for pkg in "${QEMU_BACKPORTS_PACKAGES[@]}"; do
    ver=$(deb_version "$pkg")
    [[ -n $ver ]] || bed_fail "apt knows no $pkg in $QEMU_BACKPORTS_SUITE"
    versions+=("$pkg=$ver")
  done
  ver=$(deb_version qemu-system-x86)
  dir=$(testbed_cache_root)/qemu-backports/${ver//[:~+]/_}-$(printf '%s\n' "${versions[@]}" |
    sha256sum | cut -c1-12)
  if ! cache_valid "$dir"; then
    cache_lock
    for pkg in "${versions[@]}"; do
      debs+=("$(fetch_deb "${pkg%%=*}" "${pkg#*=}")") || exit 125
    done
    cache_build "$dir" "QEMU $ver (bookworm-backports)" qemu_backports_build "${debs[@]}"
  fi
  qemu_backports_libraries
  # shellcheck disable=SC2034 # packages.sh's, back to the machine's own suites
  APT_OPTS=()
  QEMU_BIN=$dir/root/usr/bin/qemu-system-x86_64
  QEMU_ENV=(QEMU_MODULE_DIR="$dir/root/usr/lib/x86_64-linux-gnu/qemu")
  # The backport's firmware first (it requires a newer seabios than bookworm's), then its data;
  # QEMU still searches its built-in firmware path after these (the machine's ipxe ROMs).
  QEMU_DATA_ARGS=(-L "$dir/root/usr/share/seabios" -L "$dir/root/usr/share/qemu")
  QEMU_VERSION=$(sed -n 's/^QEMU emulator version \([0-9.]*\).*/\1/p' "$dir/version")
  [[ -n $QEMU_VERSION ]] || bed_fail "cannot read the version of $QEMU_BIN ($dir/version)"
}

# ensure_qemu_system: the machine's own QEMU (the bed's default).
ensure_qemu_system() {
  # shellcheck disable=SC2034 # read by qemu.sh
  QEMU_BIN=qemu-system-x86_64 QEMU_ENV=() QEMU_DATA_ARGS=()
  QEMU_VERSION=$(qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([0-9.]*\).*/\1/p')
  [[ -n $QEMU_VERSION ]] || bed_fail "cannot read the version of qemu-system-x86_64"
}
