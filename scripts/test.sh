#!/usr/bin/env bash
# The project's test command (README; .ci/run runs exactly this):
#   1. dev build (warnings as errors), every CTest label;
#   2. ASan+UBSan build, every CTest label;
#   3. clang + libFuzzer build, bounded fuzzing campaigns (label fuzz).
#
#   scripts/test.sh              all three stages
#   scripts/test.sh --quick      stage 1 only
#   scripts/test.sh --label L    stage 1 restricted to CTest label L (unit, model, ...)
# Environment: SPATTEN_SEED fixes the seed of random tests (printed either way);
# JOBS sets build/test parallelism (default: nproc).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jobs="${JOBS:-$(nproc)}"
quick=0 label=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --label) shift; label="${1:?--label needs a CTest label}"; quick=1 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

stage() { printf '\n=== %s ===\n' "$*"; }
extra=()
if [ "${CI:-}" = "true" ]; then extra+=(-DSPATTEN_REQUIRE_TRACES=ON); fi

stage "1/3 dev build and tests"
cmake --preset dev "${extra[@]}" >/dev/null
cmake --build --preset dev -j "$jobs"
if [ -n "$label" ]; then
  ctest --preset dev -j "$jobs" -L "$label"
else
  ctest --preset dev -j "$jobs"
fi
[ "$quick" = 1 ] && exit 0

stage "2/3 ASan+UBSan build and tests"
cmake --preset asan "${extra[@]}" >/dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs"

stage "3/3 libFuzzer campaigns"
cmake --preset fuzz "${extra[@]}" >/dev/null
cmake --build --preset fuzz -j "$jobs" --target spatten_fuzzers
ctest --preset fuzz -L fuzz
