#!/usr/bin/env python3
"""check_qor.py on saved csynth reports: fixtures/qor-pass meets expected-qor.json;
fixtures/qor-fail misses exactly its three planted targets (a loop not pipelined,
an II of 2, a slow clock); bad inputs exit 2 with a clear line.
Usage: test_qor_checker.py CHECK_QOR EXPECTED_JSON FIXTURES_DIR"""
import os
import subprocess
import sys

TOP = "spatten_attention_alveo_u55c"


def run(checker, *args):
    return subprocess.run([sys.executable, checker, *args], capture_output=True, text=True)


def main():
    checker, expected, fixtures = sys.argv[1:4]
    failures = []
    r = run(checker, expected, TOP, os.path.join(fixtures, "qor-pass"))
    if r.returncode != 0 or "12 loop(s) meet their II" not in r.stdout:
        failures.append(f"qor-pass: expected exit 0 and 12 loops checked, got {r.returncode}:\n{r.stdout}{r.stderr}")
    r = run(checker, expected, TOP, os.path.join(fixtures, "qor-fail"))
    want = ["loop KEY_TOKEN_KEY_WORD (load_keys_alveo_u55c_s_csynth.xml): not pipelined",
            "loop QK_TOKEN (qk_scores_alveo_u55c_s_csynth.xml): II 2 > expected 1",
            "estimated clock 3.9 ns > 3.333 ns", "3 target(s) missed"]
    if r.returncode != 1:
        failures.append(f"qor-fail: expected exit 1, got {r.returncode}:\n{r.stdout}{r.stderr}")
    for w in want:
        if w not in r.stdout:
            failures.append(f"qor-fail: missing message '{w}' in:\n{r.stdout}")
    # one report file only (csynth.xml of the top): the stage loops are missing
    r = run(checker, expected, TOP, os.path.join(fixtures, "qor-pass", "csynth.xml"))
    if r.returncode != 1 or "loop QK_TOKEN: not in any report" not in r.stdout:
        failures.append(f"top report alone must miss the stage loops, got {r.returncode}:\n{r.stdout}")
    for args, msg in [((expected, "no_such_top", os.path.join(fixtures, "qor-pass")), "has no entry for top"),
                      ((expected, TOP, os.path.join(fixtures, "nowhere")), "no such file or folder"),
                      ((expected, TOP, os.path.join(fixtures, "bad_kernel.cpp")), "not valid XML")]:
        r = run(checker, *args)
        if r.returncode != 2 or msg not in r.stderr:
            failures.append(f"bad input {args[1:]}: expected exit 2 with '{msg}', got {r.returncode}: {r.stderr}")
    if failures:
        print("\n".join(failures))
        return 1
    print("test_qor_checker: pass fixture accepted, fail fixture rejected with its 3 planted misses, bad input exits 2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
