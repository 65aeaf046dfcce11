#!/usr/bin/env python3
"""PeakRDL's reading of an IP-XACT file (its importer, then systemrdl-compiler's model), for
cross-checking regs.load where PeakRDL accepts the file. Usage: peakrdl_listing.py FILE
Prints one line per register sorted by offset then name: 0xOFFSET BITS NAME fields=f@lsb+width,...
Register-file and array names are written as regs.load writes them (a.b, a[1]). Exits 3 when
PeakRDL refuses the file (its message on stderr)."""
import sys

from peakrdl_ipxact import IPXACTImporter
from systemrdl import RDLCompiler, RDLCompileError
from systemrdl.node import RegNode


def name_of(node, top):
    path = node.get_path(hier_separator=".", array_suffix="[{index:d}]", empty_array_suffix="[]")
    return path.split(".", 2)[2]  # without the component and memory map address maps


def main(path):
    rdlc = RDLCompiler()
    try:
        IPXACTImporter(rdlc).import_file(path)
        root = rdlc.elaborate()
    except (RDLCompileError, Exception) as e:  # the importer raises plain errors too
        print("peakrdl refused %s: %s" % (path, e), file=sys.stderr)
        return 3
    top = root.top
    lines = []
    for node in top.descendants(unroll=True):
        if isinstance(node, RegNode):
            ordered = sorted(node.fields(), key=lambda f: f.lsb)
            fields = ",".join("%s@%d+%d" % (f.inst_name, f.lsb, f.width) for f in ordered)
            lines.append((node.absolute_address - top.absolute_address, name_of(node, top),
                          "0x%x %d %s fields=%s" % (node.absolute_address - top.absolute_address, node.size * 8,
                                                    name_of(node, top), fields)))
    for _, _, line in sorted(lines):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
