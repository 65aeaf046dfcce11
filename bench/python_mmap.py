"""What people use instead of barlua: Python's mmap + struct on the same mapping.

usage: python3 bench/python_mmap.py SMALLFILE N   (prints "py_read32 ns" lines)
"""
import mmap
import os
import struct
import sys
import time

path, n = sys.argv[1], int(sys.argv[2])
fd = os.open(path, os.O_RDWR)
m = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
fmts = {8: "<B", 16: "<H", 32: "<I", 64: "<Q"}
for width, fmt in fmts.items():
    s = struct.Struct(fmt)
    t = time.perf_counter()
    for _ in range(n):
        s.unpack_from(m, 8)
    print(f"py_read{width} {(time.perf_counter() - t) / n * 1e9:.3f}")
for width, fmt in fmts.items():
    s = struct.Struct(fmt)
    t = time.perf_counter()
    for _ in range(n):
        s.pack_into(m, 8, 1)
    print(f"py_write{width} {(time.perf_counter() - t) / n * 1e9:.3f}")
