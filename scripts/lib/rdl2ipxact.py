"""Compile a SystemRDL file and export its top address map as IP-XACT 1685-2014 (run by
scripts/rdl2ipxact inside its venv). Arguments: OUT TOP SOURCE... (TOP "" for the last address map)."""
import sys

from peakrdl_ipxact import IPXACTExporter
from systemrdl import RDLCompileError, RDLCompiler


def main(out, top, *srcs):
    rdlc = RDLCompiler()
    try:
        for src in srcs:
            rdlc.compile_file(src)
        root = rdlc.elaborate(top_def_name=top or None)
    except RDLCompileError:
        return 1  # the compiler has printed the errors with their file and line
    IPXACTExporter().export(root.top, out)
    print("rdl2ipxact: wrote %s (top %s); load it with regs.load(%r)" % (out, root.top.inst_name, out),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
