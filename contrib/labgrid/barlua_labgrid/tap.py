"""Reads the TAP that barlua.test prints: results, skips, nested subtests, measurements.

barlua.test writes `ok N - name`, `not ok N - name`, `ok N - name # SKIP reason`, a measurement
as `ok N - name` followed by `# name: value unit`, and subtests indented 4 spaces a level
under `# Subtest: name`. A whole skipped script is `1..0 # SKIP reason`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

RESULT = re.compile(r"^(?P<indent>(?:    )*)(?P<ok>ok|not ok) (?P<num>\d+)(?: - (?P<name>.*?))?"
                    r"(?: # (?P<directive>SKIP|TODO)\b ?(?P<reason>.*))?$")
FAILED = re.compile(r"^#   Failed test '(?P<name>.*)'$")
SKIP_ALL = re.compile(r"^1\.\.0 # SKIP ?(?P<reason>.*)$")
SUBTEST = re.compile(r"^(?P<indent>(?:    )*)# Subtest: (?P<name>.*)$")
MEASURE = re.compile(r"^(?P<indent>(?:    )*)# (?P<name>.+?): (?P<value>-?[0-9.eE+-]+|nan|inf)(?: (?P<unit>\S+))?$")


@dataclass
class TapResult:
    """One TAP test: `name` has its subtests' names in front ("outer/inner")."""

    name: str
    passed: bool
    skipped: str | None = None
    value: float | None = None
    unit: str | None = None
    depth: int = 0
    diag: list[str] = field(default_factory=list)


def _unescape(name: str) -> str:
    return name.replace("\\#", "#").replace("\\\\", "\\")


def parse_tap(text: str) -> list[TapResult]:
    """The results in `text`, in order; a skipped script gives one skipped result named "script"."""
    results: list[TapResult] = []
    stack: list[str] = []  # open subtest names, by depth
    # barlua.test prints a failure's diagnostics on standard error at once, while a subtest's
    # TAP lines come when the subtest ends: diagnostics are matched to failures by name.
    blocks = {}
    current: list[str] | None = None
    for line in text.splitlines():
        m = FAILED.match(line)
        if m:
            current = blocks.setdefault(m.group("name"), [])
            current.append(line[1:].strip())
            continue
        if current is not None and line.startswith("#") and not SUBTEST.match(line):
            current.append(line[1:].strip())
            continue
        current = None
        m = SKIP_ALL.match(line)
        if m and not results:
            return [TapResult(name="script", passed=True, skipped=m.group("reason") or "skipped")]
        m = SUBTEST.match(line)
        if m:
            depth = len(m.group("indent")) // 4
            del stack[depth - 1:]
            stack.append(_unescape(m.group("name")))
            continue
        m = RESULT.match(line)
        if m:
            depth = len(m.group("indent")) // 4
            del stack[depth:]
            name = _unescape(m.group("name") or f"test {m.group('num')}")
            prefix = "".join(s + "/" for s in stack[:depth])
            skipped = m.group("reason") or "skipped" if m.group("directive") == "SKIP" else None
            results.append(TapResult(name=prefix + name, passed=m.group("ok") == "ok",
                                     skipped=skipped, depth=depth))
            continue
        m = MEASURE.match(line)
        if m and results:
            last = results[-1]
            if _unescape(m.group("name")) == last.name.rsplit("/", 1)[-1] and last.value is None:
                last.value = float(m.group("value"))
                last.unit = m.group("unit")
                continue
    for r in results:
        if not r.passed and not r.diag:
            r.diag = blocks.get(r.name.rsplit("/", 1)[-1], [])
    return results
