#!/usr/bin/env python3
"""check_qor.py — check Vitis HLS synthesis reports against expected-qor.json.

Usage: check_qor.py EXPECTED_JSON TOP REPORT...
  REPORT is a csynth.xml file or a syn/report folder (every *csynth.xml in it is read:
  csynth.xml holds the top's loops, <module>_csynth.xml those of the DATAFLOW stages).

Checks, for TOP's entry of the JSON:
  * every expected loop label is found in some report's SummaryOfLoopLatency (a
    loop element named LABEL, or ending in _LABEL after HLS flattening), and its
    PipelineII is a number <= the expected ii (a loop that is not pipelined has no
    PipelineII: that fails);
  * EstimatedClockPeriod (SummaryOfTimingAnalysis) <= clock_ns_max;
  * the top's Worst-caseLatency (SummaryOfOverallLatency) <= latency_cycles_max
    ("undef" fails: a loop lacks a trip count).
Exit 0 all met, 1 a target missed (one line each), 2 bad input.
"""
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET


def fail_input(msg):
    print(f"check_qor: error: {msg}", file=sys.stderr)
    sys.exit(2)


def load_reports(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(glob.glob(os.path.join(p, "*csynth.xml")))
        elif os.path.isfile(p):
            files.append(p)
        else:
            fail_input(f"{p}: no such file or folder (run csynth first: make -f scripts/hls/Makefile csynth)")
    if not files:
        fail_input(f"no *csynth.xml in {' '.join(paths)}")
    reports = []
    for f in files:
        try:
            root = ET.parse(f).getroot()
        except ET.ParseError as e:
            fail_input(f"{f}: not valid XML: {e}")
        if root.tag != "profile" or root.find("PerformanceEstimates") is None:
            fail_input(f"{f}: not a Vitis HLS csynth report (<profile><PerformanceEstimates> missing)")
        reports.append((f, root))
    return reports


def loops(root):
    """(name, element) of every loop in SummaryOfLoopLatency, nested loops included."""
    out = []
    summary = root.find("PerformanceEstimates/SummaryOfLoopLatency")
    if summary is None:
        return out

    def walk(el):
        for child in el:
            if child.find("TripCount") is not None or child.find("PipelineII") is not None or \
                    child.find("Latency") is not None:
                out.append((child.tag, child))
                walk(child)
    walk(summary)
    return out


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def main(argv):
    if len(argv) < 4:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            expected = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail_input(f"{argv[1]}: {e}")
    top = argv[2]
    if top not in expected.get("tops", {}):
        fail_input(f"{argv[1]} has no entry for top '{top}' (known: {', '.join(expected.get('tops', {}))})")
    exp = expected["tops"][top]
    reports = load_reports(argv[3:])
    problems = []
    found = {}
    for f, root in reports:
        for name, el in loops(root):
            found.setdefault(name, []).append((f, el))
    checked = 0
    for label, want in exp.get("loops", {}).items():
        hits = [(n, f, el) for n, lst in found.items() for f, el in lst if n == label or n.endswith("_" + label)]
        if not hits:
            problems.append(f"loop {label}: not in any report (renamed, inlined away, or not synthesized?)")
            continue
        for name, f, el in hits:
            ii_text = el.findtext("PipelineII")
            ii = number(ii_text)
            checked += 1
            if ii is None:
                problems.append(f"loop {name} ({os.path.basename(f)}): not pipelined (PipelineII "
                                f"'{ii_text}'), expected II <= {want['ii']}")
            elif ii > want["ii"]:
                problems.append(f"loop {name} ({os.path.basename(f)}): II {ii:g} > expected {want['ii']}")
    # the top report: the one whose TopModelName is TOP, else csynth.xml
    top_root = None
    for f, root in reports:
        if root.findtext("UserAssignments/TopModelName") == top:
            top_root = (f, root)
    if top_root is None:
        problems.append(f"no report has TopModelName '{top}' (wrong top or wrong report folder)")
    else:
        f, root = top_root
        if "clock_ns_max" in exp:
            est = number(root.findtext("PerformanceEstimates/SummaryOfTimingAnalysis/EstimatedClockPeriod"))
            if est is None:
                problems.append(f"{os.path.basename(f)}: no EstimatedClockPeriod")
            elif est > exp["clock_ns_max"]:
                problems.append(f"estimated clock {est:g} ns > {exp['clock_ns_max']} ns")
        if "latency_cycles_max" in exp:
            text = root.findtext("PerformanceEstimates/SummaryOfOverallLatency/Worst-caseLatency")
            lat = number(text)
            if lat is None:
                problems.append(f"worst-case latency is '{text}' (undefined: a loop without a trip count?)")
            elif lat > exp["latency_cycles_max"]:
                problems.append(f"worst-case latency {lat:g} cycles > {exp['latency_cycles_max']}")
    if problems:
        for p in problems:
            print(f"check_qor: {top}: {p}")
        print(f"check_qor: {top}: {len(problems)} target(s) missed")
        return 1
    print(f"check_qor: {top}: {checked} loop(s) meet their II, clock and latency within bounds "
          f"({len(reports)} report(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
