#!/usr/bin/env bash
# synth_estimate_smoke: scripts/synth-estimate.sh on one small unit (qk_unit with
# 8 multipliers and head dimension 8, preset alveo-u55c); the JSON must show
# nonzero LUT and DSP counts. Usage: synth_estimate_smoke.sh REPO_ROOT WORK_DIR
set -euo pipefail
root="${1:?usage: synth_estimate_smoke.sh REPO_ROOT WORK_DIR}"
work="${2:?usage: synth_estimate_smoke.sh REPO_ROOT WORK_DIR}"
mkdir -p "$work"
"$root/scripts/synth-estimate.sh" --top qk_unit --preset alveo-u55c \
  --param M=8 --param D=8 --param LATENCY=4 --timeout 150 \
  --out "$work/estimate.json" --log-dir "$work"
python3 - "$work/estimate.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["presets"]["alveo-u55c"]["modules"]["qk_unit"]
bad = [k for k in ("lut", "ff", "dsp") if not e.get(k)]
if bad:
    sys.exit(f"synth_estimate_smoke: qk_unit has no {', '.join(bad)} in {sys.argv[1]}: {e}")
print(f"synth_estimate_smoke: qk_unit M=8 D=8: {e['lut']} LUT, {e['ff']} FF, {e['dsp']} DSP in {e['seconds']} s")
PY
