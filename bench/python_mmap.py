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
# The split 64-bit forms: two 32-bit accesses, high word first, as people write them.
w32 = struct.Struct("<I")
t = time.perf_counter()
for _ in range(n):
    hi = w32.unpack_from(m, 12)[0]
    lo = w32.unpack_from(m, 8)[0]
    v = hi << 32 | lo
print(f"py_read64hl {(time.perf_counter() - t) / n * 1e9:.3f}")
t = time.perf_counter()
for _ in range(n):
    v = 1
    w32.pack_into(m, 12, v >> 32)
    w32.pack_into(m, 8, v & 0xFFFFFFFF)
print(f"py_write64hl {(time.perf_counter() - t) / n * 1e9:.3f}")
