"""parse_tap reads what barlua.test really prints (the binary under test runs each script)."""
import subprocess

from barlua_labgrid.tap import parse_tap

MIXED = """
local t = require "barlua.test"
t.ok(true, "first")
t.measure("bandwidth", 812.5, "MB/s")
t.subtest("inner", function()
  t.ok(true, "x")
  t.subtest("deeper", function() t.is(1, 2, "one"); t.measure("lat", 12, "ns") end)
end)
t.subtest("skipped", function() t.skip("nothing here") end)
t.ok(true, "a # b")
t.done()
"""


def run(barlua, tmp_path, text):
    script = tmp_path / "t.lua"
    script.write_text(text)
    p = subprocess.run([barlua, str(script)], check=False, capture_output=True, text=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin", "BARLUA_TEST_FORMAT": "tap"})
    return p.returncode, p.stdout + p.stderr


def test_results_subtests_measurements_and_diagnostics(barlua, tmp_path):
    status, text = run(barlua, tmp_path, MIXED)
    assert status == 1
    got = [(r.name, r.passed, r.skipped, r.value, r.unit) for r in parse_tap(text)]
    assert got == [
        ("first", True, None, None, None),
        ("bandwidth", True, None, 812.5, "MB/s"),
        ("inner/x", True, None, None, None),
        ("inner/deeper/one", False, None, None, None),
        ("inner/deeper/lat", True, None, 12.0, "ns"),
        ("inner/deeper", False, None, None, None),
        ("inner", False, None, None, None),
        ("skipped", True, "nothing here", None, None),
        ("a # b", True, None, None, None),
    ]
    one = parse_tap(text)[3]
    assert "got: 0x1 want: 0x2" in one.diag


def test_skipped_script(barlua, tmp_path):
    status, text = run(barlua, tmp_path, 'local t = require "barlua.test"\nt.skip("no board here")\n')
    assert status == 0
    [r] = parse_tap(text)
    assert (r.name, r.passed, r.skipped) == ("script", True, "no board here")
