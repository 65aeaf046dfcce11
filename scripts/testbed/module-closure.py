"""Copy kernel modules and everything they depend on, decompressed, in load order.

Usage: module-closure.py MODULES_DIR OUT_DIR NAME...
MODULES_DIR is an unpacked /lib/modules/<release>. Dependencies come from each module's own
`depends=` .modinfo field (the package ships no modules.dep). Modules built into the kernel
(modules.builtin) are skipped. OUT_DIR/order lists the copied files, dependencies first.
"""

import lzma
import os
import re
import sys


def norm(name: str) -> str:
    return name.replace("-", "_")


def main() -> int:
    mdir, out, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
    files = {}
    for root, _, names in os.walk(os.path.join(mdir, "kernel")):
        for n in names:
            m = re.match(r"(.*)\.ko(\.xz)?$", n)
            if m:
                files[norm(m.group(1))] = os.path.join(root, n)
    builtin = set()
    bpath = os.path.join(mdir, "modules.builtin")
    if os.path.exists(bpath):
        for line in open(bpath):
            builtin.add(norm(os.path.basename(line.strip())[: -len(".ko")]))

    order, seen, blobs = [], set(), {}

    def visit(name: str, chain: list) -> None:
        name = norm(name)
        if name in seen:
            return
        seen.add(name)
        if name not in files:
            if name in builtin:
                return
            raise SystemExit(f"module-closure: no module {name} (needed by {' <- '.join(chain)})")
        path = files[name]
        blob = open(path, "rb").read()
        if path.endswith(".xz"):
            blob = lzma.decompress(blob)
        blobs[name] = blob
        m = re.search(rb"\x00depends=([^\x00]*)\x00", blob)
        for dep in (m.group(1).decode().split(",") if m and m.group(1) else []):
            visit(dep, chain + [dep])
        order.append(name)

    for w in wanted:
        visit(w, [w])
    for name in order:
        with open(os.path.join(out, name + ".ko"), "wb") as f:
            f.write(blobs[name])
    with open(os.path.join(out, "order"), "w") as f:
        f.write("".join(n + ".ko\n" for n in order))
    return 0


if __name__ == "__main__":
    sys.exit(main())
