#!/usr/bin/env bash
# The Debian package, tested as a user gets it: built from the files git tracks (scripts/package),
# lintian (no error or warning), installed into a fresh Debian 12 root (debootstrap minbase,
# cached) with `apt-get install ./barlua_*.deb` resolving its dependencies, then run from `/`:
# barlua -v, a script command's --help, require "devices.edu", man -l, the completion. Last,
# the installed binary runs the device tests in a test-bed guest under prove's JUnit formatter.
#   Tests/package/install.sh [--binary PATH] [--no-guest]
# --binary: the release build to package (default: scripts/package builds it). Needs root
# (chroot, mount) and the network on the first run (the root is cached in
# ${BARLUA_CACHE:-~/.cache/barlua}/package; the packages apt fetches are cached beside it).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
binary=() guest=1
while [[ $# -gt 0 ]]; do
  case $1 in
  --binary) binary=(--binary "$2"); shift 2 ;;
  --no-guest) guest=0; shift ;;
  *) echo "usage: Tests/package/install.sh [--binary PATH] [--no-guest]" >&2; exit 2 ;;
  esac
done
fail() { echo "package test: FAILED: $*" >&2; exit 1; }
say() { echo "package test: $*" >&2; }
[[ $(id -u) -eq 0 ]] || fail "needs root (chroot and mount into a Debian root)"

cache=${BARLUA_CACHE:-$HOME/.cache/barlua}/package
mkdir -p "$cache/apt-archives/partial"
# The work folder is inside the checkout: the test-bed guest sees the host's files except /tmp.
mkdir -p "$repo/.build"
work=$(mktemp -d "$repo/.build/package-test.XXXXXX")
root=$work/root
cleanup() {
  umount "$root/proc" "$root/var/cache/apt/archives" 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# 1. Build and lint.
deb=$("$repo/scripts/package" "${binary[@]}" --out "$work")
say "built ${deb##*/}"
lintian --fail-on error,warning --display-info "$deb" 2>&1 | grep -v "running with root privileges" >&2 ||
  fail "lintian reports errors or warnings"
# (info tags that remain are explained in docs/packaging.md)

# 2. A fresh Debian 12 root: debootstrap once, then a copy per run.
tarball=$cache/bookworm-minbase.tar
make_root() { # debootstrap into a folder of the cache, then a tarball of it
  local boot rc=0
  boot=$(mktemp -d "$cache/boot.XXXXXX")
  chmod 755 "$boot" # the root of a file system: _apt and man must enter it
  debootstrap --variant=minbase bookworm "$boot" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 &&
    cp /etc/resolv.conf "$boot/etc/resolv.conf" &&
    chroot "$boot" apt-get update -qq &&
    chroot "$boot" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      man-db bash-completion >>"$cache/debootstrap.log" 2>&1 &&
    chroot "$boot" apt-get clean &&
    tar -C "$boot" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball" || rc=1
  umount "$boot/proc" 2>/dev/null || true
  rm -rf --one-file-system "$boot" "$tarball.tmp"
  return $rc
}
if [[ ! -f $tarball ]]; then
  # man (for `man -l`) and bash-completion: what a user's machine has; not barlua's dependencies.
  say "debootstrap --variant=minbase bookworm, plus man-db and bash-completion (once; cached in $cache)"
  exec 9>"$cache/.lock"
  flock 9
  [[ -f $tarball ]] || make_root || fail "debootstrap of the Debian 12 root failed (log: $cache/debootstrap.log)"
  exec 9>&-
fi
mkdir -m 755 "$root"
tar -C "$root" -xf "$tarball"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

# 3. apt-get install ./barlua_*.deb resolves the dependencies (liblua5.4-0, lua-cjson, ...).
cp "$deb" "$root/tmp/"
in_root apt-get update -qq || fail "apt-get update in the root"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "/tmp/${deb##*/}" \
  >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get install ./${deb##*/}"; }
for dep in liblua5.4-0 libpci3 libreadline8 lua-argparse lua-cjson lua-expat; do
  in_root dpkg-query -W -f='${Status}\n' "$dep" | grep -q "install ok installed" ||
    fail "apt did not install the dependency $dep"
done
say "installed with its dependencies into a Debian 12 root"

# 4. The installed commands, run from /.
check() { # check NAME EXPECTED-TEXT COMMAND...: runs COMMAND in the root from /
  local name=$1 want=$2 out
  shift 2
  out=$(in_root /bin/sh -c 'cd / && "$@" 2>&1' sh "$@") || fail "$name: exit status $?: $out"
  [[ $out == *"$want"* ]] || fail "$name: output lacks '$want': $out"
  say "ok: $name"
}
check "barlua -v" "barlua 0.1" barlua -v
check "barlua-persistence --help" "Usage: " barlua-persistence --help
check "barlua-dump-info runs" "" barlua-dump-info --help
check "barlua-doctor --help" "Usage: barlua-doctor" barlua-doctor --help
check "barlua-reload --help (its card_reload library is found)" "Usage: reload.lua" barlua-reload --help
check "barlua-reload refuses without a device" "--device ADDR is required" sh -c 'barlua-reload 2>&1; true'
check "barlua-regs reads edu.xml" "edu: 11 registers" barlua-regs /usr/share/barlua/lib/devices/edu.xml
check 'require "devices.edu"' "edu 4660" barlua -e 'local m = require "devices.edu" print(m.name .. " " .. m.vendor)'
check "module search names no build tree" "/usr/share/barlua/lib/x.lua" \
  barlua -e 'print(select(2, pcall(require, "x")))'
check "the REPL loads readline (libreadline8 is a dependency)" "42" sh -c 'echo "print(6 * 7)" | barlua -i'
check "lua-cjson and argparse load" "table" barlua -e 'require "cjson" print(type(require "argparse"))'
warnings=$(in_root /bin/sh -c 'MANWIDTH=80 man --warnings -l /usr/share/man/man1/barlua.1.gz 2>&1 >/dev/null')
[[ -z $warnings ]] || fail "man -l warns: $warnings"
check "man barlua" "barlua - a scriptable console" /bin/sh -c 'MANWIDTH=80 man barlua | head -5'
check "man barlua-persistence" "barlua-persistence" /bin/sh -c 'MANWIDTH=80 man barlua-persistence | head -12'
check "completion" "--device" bash -c '. /usr/share/bash-completion/bash_completion
  . /usr/share/bash-completion/completions/barlua-persistence
  COMP_WORDS=(barlua-persistence --dev) COMP_CWORD=1 COMP_LINE="barlua-persistence --dev" COMP_POINT=24
  _barlua_command; echo "${COMPREPLY[@]}"'
readelf -d "$root/usr/bin/barlua" | grep -F 'libstdc++' &&
  fail "barlua needs libstdc++.so at start-up (Package.swift links it statically: docs/speed.md, Start-up)"
say "ok: libstdc++ is linked statically"
strings "$root/usr/bin/barlua" | grep -F "$repo" && fail "the binary names the build tree $repo"
if in_root dpkg -L barlua | xargs -I{} sh -c 'test -f "{}" && grep -lF "$0" "{}"' "$repo" 2>/dev/null | grep .; then
  fail "installed files name the build tree"
fi
say "ok: nothing installed names the build tree"

# 5. The installed binary runs the device tests in a guest, reported as JUnit XML.
if [[ $guest == 1 ]]; then
  out=$work/guest-out
  mkdir -p "$out"
  "$repo/scripts/testbed/guest" --timeout 900 --out "$out" --barlua "$root/usr/bin/barlua" -- \
    sh -c 'prove -e barlua --ext .lua --formatter TAP::Formatter::JUnit '"$root"'/usr/share/barlua/tests \
      >"$BARLUA_OUT/junit.xml"' || fail "device tests of the installed binary failed in the guest"
  python3 - "$out/junit.xml" <<'PY' || fail "JUnit XML from the guest"
import sys, xml.etree.ElementTree as ET
suites = ET.parse(sys.argv[1]).getroot().findall("testsuite")
names = sorted(s.get("name") for s in suites)
want = ["edu_ipxact_lua", "edu_lua", "ivshmem_lua", "pci_testdev_lua"]
assert len(names) == len(want) and all(n.endswith(w) for n, w in zip(names, want)), names
for s in suites:
    cases = s.findall("testcase")
    assert cases and int(s.get("failures")) == 0 and int(s.get("errors")) == 0, (s.get("name"), s.attrib)
    assert not any(c.find("skipped") is not None for c in cases), s.get("name") + " skipped in the guest"
print("package test: JUnit:", ", ".join(f"{s.get('name')} {len(s.findall('testcase'))} cases" for s in suites),
      file=sys.stderr)
PY
  say "ok: installed barlua passes the device tests in the guest (JUnit XML)"
fi
say "all passed"
