# shellcheck shell=bash
# Host packages the bed needs, and fetching Debian packages (.deb) into the cache.

# command:package pairs; busybox must be the static build (it runs alone in the initramfs).
TESTBED_HOST_TOOLS=(
  qemu-system-x86_64:qemu-system-x86
  busybox:busybox-static
  cpio:cpio
  xz:xz-utils
  zstd:zstd
  /usr/bin/python3:python3
  make:make
  x86_64-linux-gnu-gcc-12:gcc-12
  x86_64-linux-gnu-ld:binutils-x86-64-linux-gnu
  readelf:binutils
  /usr/include/libelf.h:libelf-dev
  flock:util-linux
  apt-get:apt
  dpkg-deb:dpkg
)

# The busybox binary is static when it has no program interpreter (no INTERP program header).
busybox_is_static() {
  local bb
  bb=$(command -v busybox) || return 1
  ! LC_ALL=C readelf -lW "$bb" 2>/dev/null | grep -q 'INTERP'
}

missing_host_packages() {
  local pair cmd pkg missing=()
  for pair in "${TESTBED_HOST_TOOLS[@]}"; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    if [[ $cmd == /usr/include/* ]]; then
      [[ -f $cmd ]] || missing+=("$pkg") # a header (objtool for a newer kernel needs libelf)
    elif ! command -v "$cmd" >/dev/null 2>&1; then
      missing+=("$pkg")
    elif [[ $cmd == busybox ]] && ! busybox_is_static; then
      missing+=("$pkg")
    fi
  done
  printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d'
}

# apt_lists_ready: apt knows about the kernel packages (needs `apt-get update` once).
apt_lists_ready() {
  apt-cache show --no-all-versions linux-image-amd64 >/dev/null 2>&1
}

ensure_apt_lists() {
  apt_lists_ready && return 0
  if [[ $EUID -ne 0 ]]; then
    bed_fail "apt has no package lists (apt-cache knows no linux-image-amd64); run as root: apt-get update"
  fi
  log "apt has no package lists yet; running apt-get update"
  apt-get update -q >&2 || bed_fail "apt-get update failed: the Debian archive could not be reached (no network?)"
  apt_lists_ready || bed_fail "apt-get update ran but apt still knows no linux-image-amd64 (check /etc/apt/sources.list*)"
}

ensure_host_packages() {
  local missing cmd
  missing=$(missing_host_packages | tr '\n' ' ')
  missing=${missing% }
  [[ -z $missing ]] && return 0
  cmd="apt-get install -y --no-install-recommends $missing"
  if [[ $EUID -ne 0 ]]; then
    bed_fail "missing Debian packages: $missing. Install them as root with: $cmd"
  fi
  ensure_apt_lists
  log "installing missing Debian packages: $missing"
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
    --no-install-recommends $missing >&2 ||
    bed_fail "'$cmd' failed: the Debian archive could not be reached or the packages do not exist"
  missing=$(missing_host_packages | tr '\n' ' ')
  [[ -z ${missing% } ]] || bed_fail "still missing after apt-get install: $missing"
}

# Options for every apt-cache / apt-get call that resolves or fetches guest kernel packages:
# empty for the machine's own suites (bookworm), the private configuration of apt-sid.sh for
# Debian unstable (set by kernel_resolve).
APT_OPTS=()

# deb_version PACKAGE: the candidate version apt would fetch.
deb_version() {
  apt-cache "${APT_OPTS[@]}" show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' |
    head -n 1
}

# deb_depends PACKAGE: its direct Depends, one per line (alternatives flattened).
deb_depends() {
  apt-cache "${APT_OPTS[@]}" depends "$1" 2>/dev/null | sed -n 's/^ *|\?Depends: //p' |
    sed 's/^<\(.*\)>$/\1/'
}

# fetch_deb PACKAGE VERSION: print the path of a verified .deb in the cache, downloading it
# (to a temporary folder, checked against the archive's SHA256, then renamed) when needed.
fetch_deb() {
  local pkg=$1 ver=$2 root debs want file
  root=$(testbed_cache_root)
  debs=$root/debs
  mkdir -p "$debs"
  want=$(apt-cache "${APT_OPTS[@]}" show "$pkg=$ver" 2>/dev/null | sed -n 's/^SHA256: //p' | head -n 1)
  [[ -n $want ]] || bed_fail "apt knows no $pkg version $ver (try: apt-get update)"
  file=$debs/${pkg}_${ver//:/%3a}_$(apt-cache "${APT_OPTS[@]}" show "$pkg=$ver" | sed -n 's/^Architecture: //p' | head -n 1).deb
  if [[ -f $file ]] && [[ $(sha256sum <"$file" | cut -d' ' -f1) == "$want" ]]; then
    printf '%s\n' "$file"
    return 0
  fi
  rm -f "$file"
  local tmp
  tmp=$(mktemp -d "$debs/.fetch.XXXXXX") || bed_fail "cannot create a folder in $debs"
  chmod 755 "$tmp" # apt's sandbox user must be able to write here
  log "fetching $pkg $ver from the Debian archive"
  if ! (cd "$tmp" && apt-get "${APT_OPTS[@]}" download -q "$pkg=$ver" >"$tmp/apt.log" 2>&1); then
    sed 's/^/  apt: /' "$tmp/apt.log" | grep -v 'unsandboxed' >&2
    rm -rf "$tmp"
    bed_fail "could not fetch $pkg $ver from the Debian archive (apt-get download failed; no network?)"
  fi
  local got
  got=$(find "$tmp" -name '*.deb' | head -n 1)
  if [[ -z $got ]] || [[ $(sha256sum <"$got" | cut -d' ' -f1) != "$want" ]]; then
    rm -rf "$tmp"
    bed_fail "the download of $pkg $ver does not match the archive's SHA256"
  fi
  mv "$got" "$file" && rm -rf "$tmp"
  printf '%s\n' "$file"
}
