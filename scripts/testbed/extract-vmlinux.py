"""Extract the ELF vmlinux from an x86 bzImage (xz or zstd payload).

Usage: extract-vmlinux.py BZIMAGE OUT
The setup header gives the payload's offset and length (boot protocol 2.08+), so nothing is
guessed. QEMU boots the ELF through its PVH entry point, skipping the in-guest decompression.
"""

import lzma
import os
import struct
import subprocess
import sys


def main() -> int:
    src, out = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    if data[0x202:0x206] != b"HdrS":
        print(f"extract-vmlinux: {src} is not a bzImage (no HdrS)", file=sys.stderr)
        return 1
    setup_sects = data[0x1F1] or 4
    start = (setup_sects + 1) * 512
    offset, length = struct.unpack_from("<II", data, 0x248)
    payload = data[start + offset:start + offset + length]
    if payload.startswith(b"\xfd7zXZ\x00"):
        elf = lzma.LZMADecompressor().decompress(payload)
    elif payload.startswith(b"\x28\xb5\x2f\xfd"):
        # The kernel appends the 4-byte uncompressed size after the zstd frame.
        elf = subprocess.run(
            ["zstd", "-dc"], input=payload[:-4], capture_output=True, check=True
        ).stdout
    else:
        print(f"extract-vmlinux: unknown compression {payload[:6].hex()}", file=sys.stderr)
        return 1
    if not elf.startswith(b"\x7fELF"):
        print("extract-vmlinux: payload did not decompress to an ELF file", file=sys.stderr)
        return 1
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(elf)
    os.rename(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
