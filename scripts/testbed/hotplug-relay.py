"""The host side of the guest's `testbed-hotplug` command.

Usage: hotplug-relay.py RUN_WORK HOTPLUG_SIZE

QEMU serves two sockets in the run's private folder: QMP (qmp.sock) and the guest's ttyS3
(bedctl.sock). The guest writes one request per line, `TAG REQUEST` (TAG: its own word, so a
late answer to an abandoned request is never taken for another's); this relay checks it
against the bed's own commands only and answers one line, `TAG ok TEXT` or `TAG error TEXT`. Nothing else reaches the
monitor: no free-form HMP, no device or object the bed did not create.

  reload fresh [SIZE] replace the ivshmem `hp` with one on a new zeroed file of SIZE bytes
                      (default: the current size)
  reload keep         replace it with one on the same memory (a new backend on the same file)
  aer ID [-c|-a] ERR  HMP pcie_aer_inject_error on ID (rphp, rpflr, rp1, flr0)
  status              the current backend, file and size

A reload is device_del (the guest's hotplug driver releases the slot; QEMU reports
DEVICE_DELETED), then device_add on the same port: the guest sees the card leave and come
back, as after an FPGA is reprogrammed.
"""

import json
import os
import re
import socket
import sys
import time

AER_TARGETS = {"rphp", "rpflr", "rp1", "flr0"}
SIZE_MIN, SIZE_MAX = 4096, 256 << 20


def log(msg: str) -> None:
    print(f"hotplug-relay: {msg}", file=sys.stderr, flush=True)


def connect(path: str, deadline: float) -> socket.socket:
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class QMP:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.f = sock.makefile("rwb", buffering=0)
        self.events = []
        self.read()  # greeting
        self.call("qmp_capabilities")

    def read(self) -> dict:
        line = self.f.readline()
        if not line:
            raise EOFError("QMP closed")
        return json.loads(line)

    def call(self, cmd: str, **args) -> dict:
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg).encode() + b"\n")
        while True:
            r = self.read()
            if "event" in r:
                self.events.append(r)
                continue
            if "error" in r:
                raise RuntimeError(f"{cmd}: {r['error'].get('desc', r['error'])}")
            return r.get("return")

    def wait_event(self, name: str, device: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if e["event"] == name and e.get("data", {}).get("device") == device:
                    self.events.remove(e)
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                r = self.read()
            except (socket.timeout, TimeoutError):
                return False
            finally:
                self.sock.settimeout(None)
            if "event" in r:
                self.events.append(r)


class Bed:
    def __init__(self, work: str, size: int, qmp: QMP):
        self.work, self.qmp = work, qmp
        self.size, self.backend, self.file, self.serial = size, "hpmem0", "hotplug-0", 0

    def unplug(self) -> None:
        self.qmp.events.clear()
        self.qmp.call("device_del", id="hp")
        # pciehp waits 5 s after the attention button before it powers the slot off.
        if not self.qmp.wait_event("DEVICE_DELETED", "hp", 60):
            raise RuntimeError("the guest did not release the hotplug slot within 60 s")

    def plug(self, backend: str) -> None:
        self.qmp.call("device_add", driver="ivshmem-plain", id="hp", memdev=backend, bus="rphp")

    def swap(self, size: int, name: str) -> None:
        """Plug a new `hp` on a new backend object over the file NAME (QEMU 7.2 cannot give a
        memory backend to a second device: the RAM block keeps its first name)."""
        self.serial += 1
        backend = f"hpmem{self.serial}"
        path = os.path.join(self.work, name)
        self.qmp.call("object-add", **{"qom-type": "memory-backend-file", "id": backend,
                                       "size": size, "share": True, "mem-path": path})
        try:
            self.unplug()
        except Exception:
            self.qmp.call("object-del", id=backend)
            raise
        self.plug(backend)
        self.qmp.call("object-del", id=self.backend)
        if name != self.file:
            os.unlink(os.path.join(self.work, self.file))
        self.backend, self.file, self.size = backend, name, size

    def reload(self, words: list) -> str:
        if words == ["keep"]:
            self.swap(self.size, self.file)
            return f"same memory ({self.size} bytes, {self.file})"
        if words == ["fresh"]:
            words = ["fresh", str(self.size)]
        if len(words) != 2 or words[0] != "fresh" or not words[1].isdigit():
            raise ValueError("usage: reload fresh [SIZE] | reload keep")
        size = int(words[1])
        if size < SIZE_MIN or size > SIZE_MAX or size & (size - 1):
            raise ValueError(f"size {size} is not a power of two from {SIZE_MIN} to {SIZE_MAX}")
        name = f"hotplug-{self.serial + 1}"
        path = os.path.join(self.work, name)
        with open(path, "wb") as f:
            f.truncate(size)
        try:
            self.swap(size, name)
        except Exception:
            os.unlink(path)
            raise
        return f"new zeroed memory ({size} bytes, {name})"

    def aer(self, words: list) -> str:
        flags = [w for w in words if w in ("-c", "-a")]
        rest = [w for w in words if w not in ("-c", "-a")]
        if len(rest) != 2 or rest[0] not in AER_TARGETS:
            raise ValueError(f"usage: aer ID [-c] [-a] ERROR (ID one of {sorted(AER_TARGETS)})")
        if not re.fullmatch(r"[A-Z_]{1,40}|0x[0-9a-fA-F]{1,8}", rest[1]):
            raise ValueError(f"bad error name {rest[1]!r} (e.g. COR_INTERNAL, UNCOR_SURPRISE_DOWN)")
        line = " ".join(["pcie_aer_inject_error", *flags, rest[0], rest[1]])
        out = self.qmp.call("human-monitor-command", **{"command-line": line}).strip()
        # QEMU 7.2 answers a done injection with "OK id: ID root bus: ... devfn: ..."; any
        # other text is its complaint ("invalid error status value ...").
        if out and not out.startswith("OK"):
            raise RuntimeError(out)
        return f"injected {rest[1]} on {rest[0]}" + (f" ({out})" if out else "")

    def handle(self, line: str) -> str:
        words = line.split()
        if not words:
            raise ValueError("empty request")
        if words[0] == "reload":
            return self.reload(words[1:])
        if words[0] == "aer":
            return self.aer(words[1:])
        if words == ["status"]:
            return f"{self.backend} {self.file} {self.size}"
        raise ValueError(f"unknown request {words[0]!r} (known: reload, aer, status)")


def main() -> int:
    work, size = sys.argv[1], int(sys.argv[2])
    deadline = time.monotonic() + 120
    try:
        qmp = QMP(connect(os.path.join(work, "qmp.sock"), deadline))
        chan = connect(os.path.join(work, "bedctl.sock"), deadline)
    except (OSError, EOFError) as e:
        log(f"no QEMU sockets: {e}")
        return 1
    bed = Bed(work, size, qmp)
    f = chan.makefile("rwb", buffering=0)
    while True:
        line = f.readline(512)
        if not line:
            return 0
        tag, _, text = line.decode("ascii", "replace").strip().partition(" ")
        log(f"request {tag}: {text!r}")
        try:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", tag):
                raise ValueError("a request starts with a tag word")
            reply = "ok " + bed.handle(text)
        except (ValueError, RuntimeError) as e:
            reply = f"error {e}"
        except EOFError:
            return 0
        log(reply)
        f.write(f"{tag[:32]} {reply}".replace("\n", " ").encode() + b"\n")


if __name__ == "__main__":
    sys.exit(main())
