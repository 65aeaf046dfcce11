#!/usr/bin/env python3
"""Writes a SystemRDL design of REGFILES register files of REGS registers with three fields
each (the register-map load benchmark's design: 50 x 200 x 3 by default), every register
written out (no arrays), as a vendor export would have them.
usage: bench/big_rdl.py OUT.rdl [REGFILES [REGS]]"""
import sys

out = sys.argv[1]
nfiles = int(sys.argv[2]) if len(sys.argv) > 2 else 50
nregs = int(sys.argv[3]) if len(sys.argv) > 3 else 200
with open(out, "w") as f:
    f.write("addrmap big {\n  name = \"Benchmark design\";\n")
    for i in range(nfiles):
        f.write("  regfile {\n")
        for j in range(nregs):
            f.write(
                f"    reg {{ desc = \"Register {j} of block {i}\";\n"
                f"      field {{ sw = rw; hw = r; desc = \"enable\"; }} enable[0:0] = 0;\n"
                f"      field {{ sw = rw; hw = r; desc = \"mode\"; }} mode[7:4] = 0x{j % 16:x};\n"
                f"      field {{ sw = r; hw = w; desc = \"count\"; }} count[31:16] = 0;\n"
                f"    }} r{j} @ 0x{j * 4:x};\n")
        f.write(f"  }} block{i} @ 0x{i * 0x1000:x};\n")
    f.write("};\n")
