#!/usr/bin/env python3
"""check_rtl_kernel.py — check the generated Vitis RTL kernel files of every preset.

Usage: check_rtl_kernel.py --generated BUILD/generated [--self-test]

For every BUILD/generated/rtl-kernel/<preset>/ (spatten-gen --rtl-kernel):
  kernel.xml   parses; kernel name = <SPATTEN_KERNEL_NAME>_<preset ident>; control
               protocol = SPATTEN_KERNEL_CONTROL; one slave port s_axi_control whose
               range is 2^(the wrapper's s_axi_control_awaddr width); master ports
               m_axi_lane<i> for i < SPATTEN_HBM_CHANNELS_USED and m_axi_ctrl, data as wide as
               SPATTEN_HBM_TRANSACTION_BYTES;
               the arguments of spatten-kernel.tcl in order, each at its register
               offset, pointers (size 8) on a master port, scalars (size 4) on s_axi_control
  wrapper      <kernel>.sv declares exactly the AXI signals of those ports (the same
               channel set per master: AR/R for lanes, AR/R/AW/W/B for ctrl), ap_clk,
               ap_rst_n and interrupt
  link.cfg     one nk= for the kernel; one sp= per master port and no other, each on
               HBM[a:b] inside [0, SPATTEN_HBM_CHANNELS); freqHz = SPATTEN_CLOCK_MHZ MHz
--self-test breaks copies of the files in several ways and checks that each break is
reported (the check itself can fail). Exit 0 when all pass, 1 with one line per
problem, 2 on usage.
"""
import os
import re
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hls"))
from check_cfg import read_tcl_vars  # noqa: E402  (the generated Tcl's reader, shared with the HLS flow)

LANE_SIGNALS = ["arvalid", "arready", "araddr", "arlen", "arsize", "arburst", "rvalid", "rready", "rdata", "rlast",
                "rresp"]
CTRL_SIGNALS = LANE_SIGNALS + ["awvalid", "awready", "awaddr", "awlen", "awsize", "awburst", "wvalid", "wready",
                               "wdata", "wstrb", "wlast", "bvalid", "bready", "bresp"]


def wrapper_ports(path):
    """{port name: width} of the module's port list."""
    ports = {}
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"\bmodule\s+(\w+)\s*\((.*?)\);", text, re.S)
    if not m:
        return None, ports
    for decl in re.finditer(r"(input|output)\s+logic\s*(\[(\d+):0\])?\s*(\w+)", m.group(2)):
        ports[decl.group(4)] = int(decl.group(3)) + 1 if decl.group(3) else 1
    return m.group(1), ports


def check_preset(gen, preset, problems):
    def bad(msg):
        problems.append(f"{preset}: {msg}")

    kdir = os.path.join(gen, "rtl-kernel", preset)
    pvars, _ = read_tcl_vars(os.path.join(gen, "tcl", f"{preset}.tcl"))
    kvars, karrays = read_tcl_vars(os.path.join(gen, "tcl", "spatten-kernel.tcl"))
    top = f"{kvars['SPATTEN_KERNEL_NAME']}_{preset.replace('-', '_')}"
    lanes = int(pvars["SPATTEN_HBM_CHANNELS_USED"])
    width = 2 if lanes <= 100 else len(str(lanes - 1))
    masters = [f"m_axi_lane{i:0{width}d}" for i in range(lanes)] + ["m_axi_ctrl"]
    data_bits = 8 * int(pvars["SPATTEN_HBM_TRANSACTION_BYTES"])

    # wrapper
    wpath = os.path.join(kdir, f"{top}.sv")
    if not os.path.exists(wpath):
        bad(f"{top}.sv missing")
        return
    module, ports = wrapper_ports(wpath)
    if module != top:
        bad(f"{top}.sv declares module {module}, not {top}")
    want = {"ap_clk": 1, "ap_rst_n": 1, "interrupt": 1}
    for m in masters:
        for s in (CTRL_SIGNALS if m == "m_axi_ctrl" else LANE_SIGNALS):
            want[f"{m}_{s}"] = None
    for name in want:
        if name not in ports:
            bad(f"wrapper lacks port {name}")
    for name in ports:
        if name.startswith("m_axi_") and name not in want:
            bad(f"wrapper port {name} belongs to no master of kernel.xml")
    for m in masters:
        for s, bits in (("rdata", data_bits), ("araddr", 64)):
            if ports.get(f"{m}_{s}", bits) != bits:
                bad(f"wrapper {m}_{s} is {ports[f'{m}_{s}']} bits, not {bits}")
    addr_bits = ports.get("s_axi_control_awaddr")

    # kernel.xml
    try:
        root = ET.parse(os.path.join(kdir, "kernel.xml")).getroot()
    except (ET.ParseError, OSError) as e:
        bad(f"kernel.xml: {e}")
        return
    kernels = root.findall("kernel")
    if len(kernels) != 1:
        bad(f"kernel.xml has {len(kernels)} kernels, not 1")
        return
    k = kernels[0]
    if k.get("name") != top:
        bad(f"kernel.xml kernel name {k.get('name')}, not {top}")
    if k.get("hwControlProtocol") != kvars["SPATTEN_KERNEL_CONTROL"]:
        bad(f"kernel.xml hwControlProtocol {k.get('hwControlProtocol')}, not {kvars['SPATTEN_KERNEL_CONTROL']}")
    xports = {p.get("name"): p for p in k.findall("ports/port")}
    xmasters = [n for n, p in xports.items() if p.get("mode") == "master"]
    if xmasters != masters:
        bad(f"kernel.xml master ports {xmasters[:3]}... ({len(xmasters)}), not {masters[:3]}... ({len(masters)})")
    for m in xmasters:
        if xports[m].get("dataWidth") != str(data_bits):
            bad(f"kernel.xml {m} dataWidth {xports[m].get('dataWidth')}, not {data_bits}")
    ctl = xports.get("s_axi_control")
    if ctl is None or ctl.get("mode") != "slave":
        bad("kernel.xml has no slave port s_axi_control")
    elif addr_bits is not None and int(ctl.get("range"), 16) != 1 << addr_bits:
        bad(f"kernel.xml s_axi_control range {ctl.get('range')}, but the wrapper's address has {addr_bits} bits")
    args = k.findall("args/arg")
    names = [a.get("name") for a in args]
    want_args = kvars["SPATTEN_KERNEL_ARGS"].split()
    if names != want_args:
        bad(f"kernel.xml arguments {names}, not {want_args}")
    pointers = set(kvars["SPATTEN_KERNEL_POINTER_ARGS"].split())
    for i, a in enumerate(args):
        n = a.get("name")
        if a.get("id") != str(i):
            bad(f"kernel.xml argument {n} has id {a.get('id')}, not {i}")
        off = karrays["SPATTEN_KERNEL_ARG_OFFSET"].get(n)
        if off is None or int(a.get("offset"), 16) != int(off, 16):
            bad(f"kernel.xml argument {n} at offset {a.get('offset')}, the register map says {off}")
        if n in pointers:
            if a.get("port") not in xmasters or a.get("size") != "0x8" or a.get("addressQualifier") != "1":
                bad(f"kernel.xml pointer {n}: port {a.get('port')}, size {a.get('size')}, "
                    f"addressQualifier {a.get('addressQualifier')}")
        elif a.get("port") != "s_axi_control" or a.get("addressQualifier") != "0":
            bad(f"kernel.xml scalar {n} on port {a.get('port')}")

    # link.cfg
    sp, nk, freq = {}, [], []
    with open(os.path.join(kdir, "link.cfg"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("nk="):
                nk.append(line[3:])
            elif line.startswith("sp="):
                m = re.match(r"sp=(\w+)\.(\w+):HBM\[(\d+):(\d+)\]$", line)
                if not m:
                    bad(f"link.cfg: cannot read '{line}'")
                    continue
                if m.group(2) in sp:
                    bad(f"link.cfg: {m.group(2)} placed twice")
                sp[m.group(2)] = (m.group(1), int(m.group(3)), int(m.group(4)))
            elif line.startswith("freqHz="):
                freq.append(line[7:])
    if len(nk) != 1 or not nk[0].startswith(f"{top}:1:"):
        bad(f"link.cfg nk= lines {nk}, want one for {top}")
    cu = nk[0].split(":")[2] if len(nk) == 1 and nk[0].count(":") == 2 else None
    if sorted(sp) != sorted(masters):
        bad(f"link.cfg places {len(sp)} ports, want the {len(masters)} masters of kernel.xml")
    channels = int(pvars["SPATTEN_HBM_CHANNELS"])
    for port, (inst, lo, hi) in sp.items():
        if inst != cu:
            bad(f"link.cfg sp={inst}.{port}: instance is not {cu}")
        if not 0 <= lo <= hi < channels:
            bad(f"link.cfg sp {port}: HBM[{lo}:{hi}] outside [0, {channels})")
    want_freq = f"{int(pvars['SPATTEN_CLOCK_MHZ']) * 1000000}:{cu}"
    if freq != [want_freq]:
        bad(f"link.cfg freqHz {freq}, want {want_freq}")


def check_all(gen):
    problems = []
    base = os.path.join(gen, "rtl-kernel")
    presets = sorted(d for d in os.listdir(base) if os.path.isdir(os.path.join(base, d))) if os.path.isdir(base) else []
    if not presets:
        problems.append(f"no presets under {base}: build the project first")
    for p in presets:
        check_preset(gen, p, problems)
    return presets, problems


def edit(path, old, new):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if old not in text:
        raise SystemExit(f"check_rtl_kernel: self-test: '{old}' not in {path}")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(old, new, 1))


def self_test(gen):
    """Each break must be reported; the untouched copy must pass."""
    breaks = [
        ("kernel.xml", 'offset="0x10"', 'offset="0x14"', "offset"),
        ("kernel.xml", '<port name="m_axi_ctrl"', '<port name="m_axi_ctl"', "master ports"),
        ("link.cfg", "sp=spatten_attention_1.m_axi_lane00:", "# sp=spatten_attention_1.m_axi_lane00:", "places"),
        ("link.cfg", ".m_axi_ctrl:HBM[0:", ".m_axi_ctrl:HBM[99:", "outside"),
        ("link.cfg", "freqHz=", "freqHz=1", "freqHz"),
        ("wrapper", "m_axi_lane00_rlast", "m_axi_lane00_rlst", "lacks port"),
        ("wrapper", "[6:0]  s_axi_control_awaddr", "[7:0]  s_axi_control_awaddr", "range"),
    ]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for idx, (what, old, new, expect) in enumerate(breaks):
            copy = os.path.join(tmp, str(idx))
            for sub in ("tcl", "rtl-kernel"):
                shutil.copytree(os.path.join(gen, sub), os.path.join(copy, sub))
            pdir = os.path.join(copy, "rtl-kernel", "spatten-1-8")
            if what == "wrapper":
                target = next(os.path.join(pdir, f) for f in os.listdir(pdir) if f.endswith(".sv"))
            else:
                target = os.path.join(pdir, what)
            edit(target, old, new)
            _, problems = check_all(copy)
            hit = [p for p in problems if expect in p]
            if not hit:
                failures.append(f"self-test: breaking {what} ({old!r} -> {new!r}) was not reported as '{expect}' "
                                f"(reported: {problems})")
        clean = os.path.join(tmp, "clean")
        for sub in ("tcl", "rtl-kernel"):
            shutil.copytree(os.path.join(gen, sub), os.path.join(clean, sub))
        _, problems = check_all(clean)
        failures += [f"self-test: the untouched copy fails: {p}" for p in problems]
    return len(breaks), failures


def main(argv):
    if "-h" in argv or "--help" in argv:
        print(__doc__)
        return 0
    if len(argv) < 2 or argv[0] != "--generated":
        print("usage: check_rtl_kernel.py --generated BUILD/generated [--self-test]", file=sys.stderr)
        return 2
    gen = argv[1]
    presets, problems = check_all(gen)
    for p in problems:
        print(p)
    if "--self-test" in argv[2:]:
        n, failures = self_test(gen)
        for f in failures:
            print(f)
        problems += failures
        if not failures:
            print(f"check_rtl_kernel: self-test: {n} breaks reported, the untouched copy passes")
    if not problems:
        print(f"check_rtl_kernel: {len(presets)} presets ok ({', '.join(presets)})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
