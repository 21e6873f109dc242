#!/usr/bin/env python3
"""check_cfg.py — validate the v++ config files of the HLS flow against the generated Tcl.

Usage: check_cfg.py --generated BUILD/generated/tcl CFG_DIR

For every cfg/hls-<preset>.cfg: the syntax (key=value lines, [sections]), the
keys the flow relies on, part == SPATTEN_BOARD_PART, syn.top == the kernel top of
the preset, clock == SPATTEN_CLOCK_MHZ, and that every file it names exists.
For every cfg/link-<preset>.cfg: one nk= for the preset's top, exactly one sp=
per pointer argument of the kernel interface (no unknown arguments), HBM
indices inside [0, SPATTEN_HBM_CHANNELS) and no pseudo-channel shared by two
bundles. Exit 0 when every file passes, 1 with one line per problem, 2 on usage.
"""
import os
import re
import sys


def read_tcl_vars(path):
    """The `set NAME value` and `array set NAME {k v ...}` lines spatten-gen writes."""
    out, arrays = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r'set (\w+) (?:"([^"]*)"|\{([^}]*)\}|(\S+))\s*$', line.strip())
            if m:
                out[m.group(1)] = next(g for g in m.groups()[1:] if g is not None)
            m = re.match(r"array set (\w+) \{([^}]*)\}", line.strip())
            if m:
                words = m.group(2).split()
                arrays[m.group(1)] = dict(zip(words[0::2], words[1::2]))
    return out, arrays


def parse_cfg(path, problems):
    sections = {"": []}
    cur = ""
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            m = re.match(r"^\[(\w+)\]$", line)
            if m:
                cur = m.group(1)
                sections.setdefault(cur, [])
                continue
            m = re.match(r"^([\w.]+)\s*=\s*(.+)$", line)
            if not m:
                problems.append(f"{path}:{n}: not a 'key=value' line or '[section]': {line}")
                continue
            sections[cur].append((m.group(1), m.group(2).strip(), n))
    return sections


def main(argv):
    if len(argv) != 4 or argv[1] != "--generated":
        print(__doc__.strip(), file=sys.stderr)
        return 2
    gen, cfg_dir = argv[2], argv[3]
    root = os.path.abspath(os.path.join(cfg_dir, "..", "..", ".."))
    kpath = os.path.join(gen, "spatten-kernel.tcl")
    if not os.path.isfile(kpath):
        print(f"check_cfg: error: {kpath} is missing; build target spatten_generated_kernel_interface first")
        return 2
    kvars, karrays = read_tcl_vars(kpath)
    pointers = kvars["SPATTEN_KERNEL_POINTER_ARGS"].split()
    problems = []
    checked = 0
    names = sorted(os.listdir(cfg_dir))
    for name in names:
        m = re.match(r"^(hls|link)-(.+)\.cfg$", name)
        if not m:
            continue
        kind, preset = m.groups()
        path = os.path.join(cfg_dir, name)
        ppath = os.path.join(gen, f"{preset}.tcl")
        if not os.path.isfile(ppath):
            problems.append(f"{path}: no generated preset {ppath} (is '{preset}' in SPATTEN_ACCEL_PRESETS?)")
            continue
        pvars, _ = read_tcl_vars(ppath)
        top = f"{kvars['SPATTEN_KERNEL_NAME']}_{preset.replace('-', '_')}"
        sec = parse_cfg(path, problems)
        checked += 1
        if kind == "hls":
            flat = {k: (v, n) for s in sec.values() for k, v, n in s}
            top_part = dict((k, v) for k, v, _ in sec[""])
            hls = {k: v for k, v, _ in sec.get("hls", [])}
            for key in ("flow_target", "syn.file", "syn.top", "clock", "package.output.format"):
                if key not in hls:
                    problems.append(f"{path}: [hls] {key}= is missing")
            if top_part.get("part") != pvars.get("SPATTEN_BOARD_PART"):
                problems.append(f"{path}: part={top_part.get('part')} but preset {preset} has part "
                                f"{pvars.get('SPATTEN_BOARD_PART')}")
            if hls.get("syn.top") != top:
                problems.append(f"{path}: syn.top={hls.get('syn.top')} but the kernel top of {preset} is {top}")
            if hls.get("flow_target") != "vitis":
                problems.append(f"{path}: flow_target must be 'vitis' (an Alveo kernel), got {hls.get('flow_target')}")
            clock = hls.get("clock", "")
            cm = re.match(r"^(\d+(?:\.\d+)?)MHz$", clock)
            if not cm or abs(float(cm.group(1)) - float(pvars["SPATTEN_CLOCK_MHZ"])) > 1e-9:
                problems.append(f"{path}: clock={clock} but preset {preset} runs at {pvars['SPATTEN_CLOCK_MHZ']}MHz")
            if hls.get("package.output.format") != "xo":
                problems.append(f"{path}: package.output.format must be xo")
            for key in ("syn.file", "tb.file"):
                if key in hls and not os.path.isfile(os.path.join(root, hls[key])):
                    problems.append(f"{path}: {key}={hls[key]} does not exist (paths are relative to the repo root)")
            del flat
        else:
            conn = sec.get("connectivity", [])
            nks = [v for k, v, _ in conn if k == "nk"]
            if len(nks) != 1:
                problems.append(f"{path}: expected one nk= line in [connectivity], found {len(nks)}")
                continue
            nk = nks[0].split(":")
            if len(nk) != 3 or nk[0] != top or nk[1] != "1":
                problems.append(f"{path}: nk={nks[0]} must be '{top}:1:<cu name>'")
                continue
            cu = nk[2]
            channels = int(pvars["SPATTEN_HBM_CHANNELS"])
            owner = {}
            placed = {}
            for k, v, n in conn:
                if k != "sp":
                    continue
                sm = re.match(r"^(\w+)\.(\w+):HBM\[(\d+)(?::(\d+))?\]$", v)
                if not sm:
                    problems.append(f"{path}:{n}: sp={v} is not '<cu>.<argument>:HBM[a:b]'")
                    continue
                c, arg, lo, hi = sm.group(1), sm.group(2), int(sm.group(3)), int(sm.group(4) or sm.group(3))
                if c != cu:
                    problems.append(f"{path}:{n}: compute unit '{c}' is not the nk= unit '{cu}'")
                if arg not in pointers:
                    problems.append(f"{path}:{n}: '{arg}' is not a pointer argument of the kernel ({' '.join(pointers)})")
                    continue
                if arg in placed:
                    problems.append(f"{path}:{n}: '{arg}' is placed twice (lines {placed[arg]} and {n})")
                placed[arg] = n
                if not (0 <= lo <= hi < channels):
                    problems.append(f"{path}:{n}: HBM[{lo}:{hi}] is outside the {channels} pseudo-channels of {preset}")
                    continue
                for ch in range(lo, hi + 1):
                    if ch in owner:
                        problems.append(f"{path}:{n}: HBM[{ch}] is shared by '{owner[ch]}' and '{arg}' "
                                        "(each bundle gets its own channels)")
                    owner[ch] = arg
            for arg in pointers:
                if arg not in placed:
                    problems.append(f"{path}: pointer argument '{arg}' (bundle {karrays['SPATTEN_KERNEL_BUNDLE'][arg]}) "
                                    "has no sp= line")
    if checked == 0:
        problems.append(f"{cfg_dir}: no hls-*.cfg or link-*.cfg files")
    if problems:
        print("\n".join(problems))
        print(f"check_cfg: {len(problems)} problem(s)")
        return 1
    print(f"check_cfg: {checked} cfg file(s) consistent with the generated preset and kernel interface")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
