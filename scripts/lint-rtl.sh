#!/usr/bin/env bash
# Lints the RTL with two front ends: Verilator (--lint-only -Wall, warnings are
# errors; waivers only in the source, each with its reason) and slang (pyslang,
# a strict SystemVerilog elaboration). Every module of hw/rtl is linted as a top,
# together with the generated packages (built by the build): the golden
# constants ($SPATTEN_GOLDEN_SV_PKG, default build/generated/sv/spatten_golden_pkg.sv)
# and the kernel interface ($SPATTEN_KERNEL_SV_PKG, default
# build/generated/sv/spatten_kernel_pkg.sv), and every preset's package
# (<preset>.sv in $SPATTEN_SV_DIR, default build/generated/sv): the kernel top
# is linted once per preset (+define+SPATTEN_PRESET_PKG). The generated Vitis
# RTL kernel wrappers (build/generated/rtl-kernel/<preset>/*.sv, in
# $SPATTEN_RTL_KERNEL_DIR; written by the build, not by configure) are linted
# with Verilator over their preset's kernel; without them that step is skipped
# with a note, or fails when SPATTEN_RTL_KERNEL_REQUIRED=1 (the ctest does).
#
#   scripts/lint-rtl.sh            lint all of hw/rtl
#   scripts/lint-rtl.sh FILE.sv    lint the given files only
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
case "${1:-}" in -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
if [ $# -gt 0 ]; then tops=("$@"); else mapfile -t tops < <(find "$root/hw/rtl" -name '*.sv' | sort); fi
if [ ${#tops[@]} -eq 0 ]; then echo "lint-rtl: no SystemVerilog files in hw/rtl" >&2; exit 1; fi
pkg="${SPATTEN_GOLDEN_SV_PKG:-$root/build/generated/sv/spatten_golden_pkg.sv}"
kpkg="${SPATTEN_KERNEL_SV_PKG:-$root/build/generated/sv/spatten_kernel_pkg.sv}"
for p in "$pkg" "$kpkg"; do
  if [ ! -f "$p" ]; then
    echo "lint-rtl: $p not found: configure first (cmake --preset dev) to generate the SV packages" >&2
    exit 2
  fi
done
svdir="${SPATTEN_SV_DIR:-$(dirname "$kpkg")}"
mapfile -t presets < <(find "$svdir" -maxdepth 1 -name '*.sv' ! -name 'spatten_*' | sort)
if [ ${#presets[@]} -eq 0 ]; then echo "lint-rtl: no preset packages in $svdir: configure first" >&2; exit 2; fi
files=("$pkg" "$kpkg" "${presets[@]}" "${tops[@]}")
command -v verilator >/dev/null || { echo "lint-rtl: verilator not found (scripts/setup.sh installs it)" >&2; exit 2; }

# The loop unrolling the verilated kernels are built with (sim/cosim/CMakeLists.txt):
# Verilator supports a nonblocking write to a memory inside a for loop only once
# the loop is unrolled (BLKLOOPINIT), so lint elaborates the design as it is built.
vflags=(--lint-only -Wall --unroll-count 1024 --unroll-stmts 100000)
status=0
for f in "${tops[@]}"; do
  top="$(basename "$f" .sv)"
  if ! out=$(verilator "${vflags[@]}" --top-module "$top" "${files[@]}" 2>&1); then
    printf '%s\n' "$out" | sed "s|^|[verilator $top] |"
    status=1
  fi
  # a module that imports the preset package: once per preset
  if grep -q 'SPATTEN_PRESET_PKG' "$f"; then
    for p in "${presets[@]}"; do
      ident="spatten_$(basename "$p" .sv | tr '-' '_')_pkg"
      if ! out=$(verilator "${vflags[@]}" "+define+SPATTEN_PRESET_PKG=$ident" --top-module "$top" "${files[@]}" 2>&1); then
        printf '%s\n' "$out" | sed "s|^|[verilator $top $ident] |"
        status=1
      fi
    done
  fi
done
# the Vitis RTL kernel wrappers (spatten-gen --rtl-kernel), with the hw/rtl sources
nwrap=0
if [ $# -eq 0 ]; then
  rkdir="${SPATTEN_RTL_KERNEL_DIR:-$(dirname "$svdir")/rtl-kernel}"
  mapfile -t wrappers < <(find "$rkdir" -mindepth 2 -maxdepth 2 -name '*.sv' 2>/dev/null | sort)
  if [ ${#wrappers[@]} -eq 0 ]; then
    if [ "${SPATTEN_RTL_KERNEL_REQUIRED:-0}" = 1 ]; then
      echo "lint-rtl: no RTL kernel wrappers in $rkdir: build first (cmake --build build)" >&2
      status=1
    else
      echo "lint-rtl: note: no RTL kernel wrappers in $rkdir (written by the build): skipped" >&2
    fi
  fi
  for w in "${wrappers[@]}"; do
    preset="$(basename "$(dirname "$w")")"
    ident="spatten_$(echo "$preset" | tr '-' '_')_pkg"
    if ! out=$(verilator "${vflags[@]}" "+define+SPATTEN_PRESET_PKG=$ident" --top-module "$(basename "$w" .sv)" \
                 "${files[@]}" "$w" 2>&1); then
      printf '%s\n' "$out" | sed "s|^|[verilator $(basename "$w" .sv)] |"
      status=1
    fi
    nwrap=$((nwrap + 1))
  done
fi
if python3 -c "import pyslang" 2>/dev/null; then
  python3 - "${files[@]}" <<'PY' || status=1
import sys, pyslang
from pyslang import ast, syntax
comp = ast.Compilation()
for f in sys.argv[1:]:
    comp.addSyntaxTree(syntax.SyntaxTree.fromFile(f))
diags = comp.getAllDiagnostics()
errors = [d for d in diags if d.isError()]
if diags:
    print(pyslang.DiagnosticEngine.reportAll(comp.sourceManager, diags), end="")
print(f"[slang] {len(sys.argv) - 1} files, {len(errors)} errors, {len(diags) - len(errors)} warnings")
sys.exit(1 if errors or diags else 0)
PY
else
  echo "lint-rtl: pyslang not installed (scripts/setup.sh installs it); slang check skipped" >&2
  status=1
fi
if [ "$status" = 0 ]; then
  echo "lint-rtl: ${#tops[@]} files clean (verilator -Wall, slang); $nwrap RTL kernel wrappers clean (verilator -Wall)"
fi
exit "$status"
