#!/usr/bin/env python3
"""The HLS lint must reject fixtures/bad_kernel.cpp with exactly the problems
its "// expect: rule[, rule]" markers name (line and rule), and accept
fixtures/good_kernel.cpp. Usage: test_hls_lint.py LINT FIXTURES_DIR"""
import os
import re
import subprocess
import sys


def run(lint, path):
    return subprocess.run([sys.executable, lint, path], capture_output=True, text=True)


def main():
    lint, fixtures = sys.argv[1], sys.argv[2]
    bad = os.path.join(fixtures, "bad_kernel.cpp")
    expected = set()
    with open(bad, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = re.search(r"// expect: ([\w, ]+)$", line.rstrip())
            if m:
                for rule in m.group(1).split(","):
                    expected.add((n, rule.strip()))
    r = run(lint, bad)
    failures = []
    if r.returncode != 1:
        failures.append(f"lint exit status on the bad fixture is {r.returncode}, expected 1\n{r.stdout}{r.stderr}")
    got = set()
    for line in r.stdout.splitlines():
        m = re.match(r".*bad_kernel\.cpp:(\d+): error \[(\w+)\]: .+", line)
        if m:
            got.add((int(m.group(1)), m.group(2)))
    for miss in sorted(expected - got):
        failures.append(f"not reported: line {miss[0]} rule {miss[1]}")
    for extra in sorted(got - expected):
        failures.append(f"reported but not expected: line {extra[0]} rule {extra[1]}")
    if "problem(s) in 1 of 1 file(s)" not in r.stdout:
        failures.append("missing summary line")
    good = run(lint, os.path.join(fixtures, "good_kernel.cpp"))
    if good.returncode != 0:
        failures.append(f"the good fixture is rejected:\n{good.stdout}{good.stderr}")
    usage = subprocess.run([sys.executable, lint, os.path.join(fixtures, "no-such-file.cpp")], capture_output=True,
                           text=True)
    if usage.returncode != 2 or "no such file" not in usage.stderr:
        failures.append(f"a missing path must exit 2 with 'no such file', got {usage.returncode}: {usage.stderr}")
    if failures:
        print("\n".join(failures))
        return 1
    print(f"test_hls_lint: bad fixture rejected with all {len(expected)} expected problems; good fixture accepted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
