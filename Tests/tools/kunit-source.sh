#!/usr/bin/env bash
# Prints the folder of the kernel's KUnit tool (tools/testing/kunit, with kunit_parser.py),
# taken from Debian's linux-source-6.1 package: the copy the test bed already keeps
# (~/.cache/barlua/testbed/debs) when there is one, else `apt-get download` into
# ~/.cache/barlua/kunit. Only tools/testing/kunit is unpacked (GPL-2.0 kernel code: used by
# the tests from the cache, never copied into the repository). Exit 1 with a message when
# neither is possible (no network).
set -euo pipefail
cache=${BARLUA_CACHE:-$HOME/.cache/barlua}
dir=$cache/kunit
out=$dir/linux-source-6.1/tools/testing/kunit
if [[ -f $out/kunit_parser.py ]]; then echo "$out"; exit 0; fi
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [[ -f $out/kunit_parser.py ]]; then echo "$out"; exit 0; fi
# (find exits 1 when the test bed's folder does not exist yet: a fresh machine, host tests first)
deb=$({ find "$cache/testbed/debs" "$dir" -maxdepth 1 -name 'linux-source-6.1_*_all.deb' 2>/dev/null || true; } |
  sort | tail -n1)
if [[ -z $deb ]]; then
  (cd "$dir" && apt-get download linux-source-6.1 >&2) || {
    echo "kunit-source.sh: cannot fetch linux-source-6.1 (apt-get download failed)" >&2
    exit 1
  }
  deb=$(find "$dir" -maxdepth 1 -name 'linux-source-6.1_*_all.deb' | sort | tail -n1)
fi
tmp=$(mktemp -d "$dir/unpack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz | xz -dc |
  tar -x -C "$tmp" linux-source-6.1/tools/testing/kunit
rm -rf "$dir/linux-source-6.1"
mv "$tmp/linux-source-6.1" "$dir/"
echo "$out"
