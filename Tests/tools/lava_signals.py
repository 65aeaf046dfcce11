#!/usr/bin/env python3
"""Reads a console log on stdin and parses its LAVA test-case signals exactly as LAVA does.

The rules are LAVA's own (Linaro/lava, commit d27bcfdb59c6b0cd670164fafb04d03a75ff002a):
- lava_dispatcher/actions/test/shell.py, TestShellAction._reset_patterns: the signal pattern
  r"<LAVA_SIGNAL_(\\S+) ([^>]+)>"; check_patterns: params = params.split();
  signal_test_case / handle_testcase: every param is KEY=VALUE (split once on "="; anything
  else is a JobError), keys lower-cased; the marker's case id has "/" replaced by "_" and an
  id with a space is skipped;
- lava_dispatcher/connection.py, SignalMatch.match: "measurement" must parse as float,
  "result" must be pass/fail/skip/unknown (after the PASS/FAIL/SKIP/UNKNOWN fixups),
  "test_case_id" and "result" are required.
(Re-implemented here, not copied: LAVA is GPL-2.0-or-later.)

Prints one line per test case, "ID RESULT [MEASUREMENT UNITS]", and exits 1 on the first
signal LAVA would reject (with the reason on stderr).
"""
import re
import sys

SIGNAL = re.compile(r"<LAVA_SIGNAL_(\S+) ([^>]+)>", re.M)
FIXUP = {"PASS": "pass", "FAIL": "fail", "SKIP": "skip", "UNKNOWN": "unknown"}


def main() -> int:
    text = sys.stdin.read()
    for m in SIGNAL.finditer(text):
        name, params = m.groups()
        if name != "TESTCASE":
            continue
        data = {}
        for param in params.split():
            parts = param.split("=", 1)
            if len(parts) != 2:
                print(f"malformed parameter {param!r} in {m.group(0)!r}", file=sys.stderr)
                return 1
            data[parts[0].lower()] = parts[1]
        res = {}
        for key, value in data.items():
            if key == "measurement":
                try:
                    res["measurement"] = float(value)
                except ValueError:
                    print(f"invalid measurement {value!r}", file=sys.stderr)
                    return 1
            elif key == "result":
                value = FIXUP.get(value, value)
                if value not in ("pass", "fail", "skip", "unknown"):
                    print(f"bad test result {value!r}", file=sys.stderr)
                    return 1
                res["result"] = value
            else:
                res[key] = value
        if "test_case_id" not in res or "result" not in res:
            print(f"test case without id or result: {m.group(0)!r}", file=sys.stderr)
            return 1
        case = res["test_case_id"].replace("/", "_")
        if " " in case.strip():
            print(f"invalid test_case_id {case!r}", file=sys.stderr)
            return 1
        line = f"{case} {res['result']}"
        if "measurement" in res:
            line += f" {res['measurement']!r} {res.get('units', '')}".rstrip()
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
