#!/usr/bin/env python3
"""Parses TAP/KTAP on stdin with the kernel's own kunit_parser.py and prints the test tree.

Usage: kunit_tree.py KUNIT_DIR < output   (KUNIT_DIR = tools/testing/kunit of a kernel source)
Prints "TREE DEPTH NAME STATUS" per test (depth 0 = the script's tests), then
"TREE errors N" (the parser's own complaints: missing plan, wrong numbering, ...).
"""
import sys


def main() -> int:
    sys.path.insert(0, sys.argv[1])
    import kunit_parser  # noqa: E402  (the kernel's, found at run time)

    lines = sys.stdin.read().splitlines(True)
    # The parser prints its progress to stdout: keep ours clean.
    real = sys.stdout
    sys.stdout = sys.stderr
    root = kunit_parser.parse_run_tests(lines)
    sys.stdout = real

    def show(test, depth):
        for sub in test.subtests:
            print(f"TREE {depth} {sub.name} {sub.status.name}")
            show(sub, depth + 1)

    show(root, 0)
    print(f"TREE errors {root.counts.errors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
