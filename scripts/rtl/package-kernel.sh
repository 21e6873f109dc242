#!/usr/bin/env bash
# scripts/rtl/package-kernel.sh — package the RTL kernel of a preset as a Vitis
# kernel object (.xo) with Vivado, and optionally link it into an xclbin.
#
#   scripts/rtl/package-kernel.sh [--preset NAME] [--build DIR] [--out DIR] [--link] [--target hw|hw_emu]
#
#   --preset NAME   a preset with a board (default alveo-u55c; alveo-u280)
#   --build DIR     the configured and built tree (default build): its
#                   generated/rtl-kernel/<preset>/ holds the wrapper,
#                   kernel.xml and link.cfg (spatten-gen --rtl-kernel)
#   --out DIR       where the .xo (and .xclbin) go (default build/rtl-kernel/<preset>)
#   --link          also run v++ -l with the generated link.cfg on the preset's platform
#   --target T      v++ target for --link (default hw)
# Needs AMD Vivado (and v++ for --link) on PATH: source <Vitis>/settings64.sh.
# This repository's CI has neither; scripts/rtl/check_rtl_kernel.py checks the
# generated files against the RTL and the kernel interface instead.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
preset=alveo-u55c
build="$root/build"
out=""
link=0
target=hw
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --preset) preset="${2:?--preset needs a name}"; shift 2 ;;
    --build) build="${2:?--build needs a directory}"; shift 2 ;;
    --out) out="${2:?--out needs a directory}"; shift 2 ;;
    --link) link=1; shift ;;
    --target) target="${2:?--target needs hw or hw_emu}"; shift 2 ;;
    *) echo "package-kernel: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$target" in hw|hw_emu) ;; *) echo "package-kernel: --target must be hw or hw_emu, got '$target'" >&2; exit 2 ;; esac
build="$(cd "$build" 2>/dev/null && pwd)" || { echo "package-kernel: build directory not found (cmake --preset dev && cmake --build build)" >&2; exit 2; }
kdir="$build/generated/rtl-kernel/$preset"
ptcl="$build/generated/tcl/$preset.tcl"
if [ ! -f "$kdir/kernel.xml" ] || [ ! -f "$ptcl" ]; then
  echo "package-kernel: $kdir/kernel.xml not found: '$preset' is not one of the RTL kernel presets, or the tree is not built (cmake --build $build)" >&2
  exit 2
fi
platform="$(sed -n 's/^set SPATTEN_BOARD_PLATFORM "\(.*\)"$/\1/p' "$ptcl")"
if [ -z "$platform" ]; then echo "package-kernel: preset $preset has no board: nothing to package for" >&2; exit 2; fi
top="$(sed -n 's/.*<kernel name="\([^"]*\)".*/\1/p' "$kdir/kernel.xml")"
out="${out:-$build/rtl-kernel/$preset}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
command -v vivado >/dev/null || { echo "package-kernel: vivado not found on PATH: source <Vitis>/settings64.sh first" >&2; exit 2; }
if [ "$link" = 1 ]; then
  command -v v++ >/dev/null || { echo "package-kernel: v++ not found on PATH: source <Vitis>/settings64.sh first" >&2; exit 2; }
fi
echo "package-kernel: packaging $top for $platform (log: $out/vivado.log)"
vivado -mode batch -nojournal -log "$out/vivado.log" -source "$root/scripts/rtl/package_kernel.tcl" \
  -tclargs "$preset" "$build" "$out/$top.xo" "$out/work"
if [ "$link" = 1 ]; then
  echo "package-kernel: linking $out/$top.$target.xclbin (v++ -l -t $target; log in $out/link)"
  v++ -l -t "$target" --platform "$platform" --config "$kdir/link.cfg" --temp_dir "$out/link" \
      -o "$out/$top.$target.xclbin" "$out/$top.xo"
fi
echo "package-kernel: done: $out"
