"""The driver and the pytest plugin on barlua's QEMU test bed, through the guest's console:
directly (testbed-env.yaml), and through a labgrid coordinator and exporter on 127.0.0.1 with a
place two clients compete to lock (remote-env.yaml). Each boots a guest (about a minute);
they run when BARLUA_LABGRID_BED=1 (Tests/tools/labgrid-tests.sh --bed), else they are skipped.
"""
import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.environ.get("BARLUA_LABGRID_BED") != "1",
                                reason="boots the QEMU test bed: set BARLUA_LABGRID_BED=1")

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SCRIPT = "contrib/labgrid/tests/scripts/dut.lua"


def run_plugin(repo, env_file, junit, extra_env=None, timeout=400):
    env = dict(os.environ, **(extra_env or {}))
    return subprocess.run(  # noqa: PLW1510 (the status is the result)
        [str(BIN / "pytest"), "-p", "no:cacheprovider", "--lg-env", str(env_file),
         "--barlua-script", SCRIPT, f"--junitxml={junit}", "-q", str(HERE / "scripts")],
        cwd=repo, env=env, capture_output=True, text=True, timeout=timeout)


def check_junit(junit):
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert set(cases) == {"registers/id", "registers/wrong on purpose", "registers", "read32_latency"}
    assert cases["registers/id"].find("failure") is None
    failure = cases["registers/wrong on purpose"].find("failure")
    assert failure is not None and "got: 0x10000ed want: 0x12345678" in failure.text
    props = {p.get("name"): p.get("value") for p in cases["read32_latency"].iter("property")}
    assert props == {"read32_latency": "123.5", "read32_latency.unit": "ns"}


def test_through_the_guest_console(repo, tmp_path):
    p = run_plugin(repo, repo / "contrib/labgrid/testbed-env.yaml", tmp_path / "r.xml")
    assert p.returncode == 1, p.stdout + p.stderr  # one test fails on purpose
    assert "2 failed, 2 passed" in p.stdout, p.stdout
    check_junit(tmp_path / "r.xml")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_through_a_coordinator_with_a_contended_place(repo, tmp_path):
    port = free_port()
    addr = f"127.0.0.1:{port}"
    (tmp_path / "exporter.yaml").write_text(
        "barlua-bed:\n  NetworkService:\n    address: 127.0.0.1\n    username: root\n")
    procs = []
    try:
        procs.append(subprocess.Popen([str(BIN / "labgrid-coordinator"), "-l", addr], cwd=tmp_path,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(2)
        procs.append(subprocess.Popen([str(BIN / "labgrid-exporter"), "-c", addr, "--name", "lab1",
                                       "exporter.yaml"], cwd=tmp_path,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

        def client(user, *args, check=True):
            env = dict(os.environ, LG_COORDINATOR=addr, LG_HOSTNAME=f"host-{user}", LG_USERNAME=user)
            return subprocess.run([str(BIN / "labgrid-client"), "-p", "barlua", *args], env=env,
                                  capture_output=True, text=True, timeout=60, check=check)

        deadline = time.monotonic() + 30
        while "lab1/barlua-bed" not in client("alice", "resources", check=False).stdout:
            assert time.monotonic() < deadline, "the exporter never registered its resource"
            time.sleep(0.5)
        client("alice", "create")
        client("alice", "add-match", "lab1/barlua-bed/*")
        # Two clients compete for the place: alice gets it, bob is refused and told by whom.
        a = client("alice", "acquire", check=False)
        b = client("bob", "acquire", check=False)
        assert a.returncode == 0, a.stderr
        assert b.returncode != 0
        assert "already acquired by host-alice/alice" in b.stderr, b.stderr
        remote = repo / "contrib/labgrid/remote-env.yaml"
        # bob cannot run the tests on alice's place; alice can.
        pb = run_plugin(repo, remote, tmp_path / "b.xml",
                        {"LG_COORDINATOR": addr, "LG_HOSTNAME": "host-bob", "LG_USERNAME": "bob"}, 120)
        assert pb.returncode != 0
        assert "not acquired by your user, acquired by alice" in pb.stdout + pb.stderr
        pa = run_plugin(repo, remote, tmp_path / "a.xml",
                        {"LG_COORDINATOR": addr, "LG_HOSTNAME": "host-alice", "LG_USERNAME": "alice"})
        assert "2 failed, 2 passed" in pa.stdout, pa.stdout + pa.stderr
        check_junit(tmp_path / "a.xml")
        client("alice", "release")
        assert client("bob", "acquire", check=False).returncode == 0
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
