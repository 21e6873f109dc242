#!/usr/bin/env python3
"""hls_lint.py — reject C++ that Vitis HLS cannot synthesize, before a licensed run does.

Usage: hls_lint.py PATH... (files or folders; folders are searched for *.h, *.hpp, *.cpp)

Rules (each reported as "file:line: error [rule]: message"):
  heap        new / delete / malloc / calloc / realloc / free      (no dynamic memory in hardware)
  container   std::vector, map, set, list, deque, string, function, smart pointers and their headers
  exception   throw / try / catch                                 (no exceptions in kernel code)
  virtual     virtual functions                                   (no dynamic dispatch)
  recursion   a function that calls itself                        (HLS needs a static call graph)
  unbounded   while / do-while without "#pragma HLS LOOP_TRIPCOUNT", and for(;;)
  label       a loop without a label (LABEL: for ...): pragmas and QoR reports name loops by label
  float       float / double in kernel code                       (the datapath is integer)
  io          iostream / printf / std::cout                       (no console in hardware)

Comments and string literals are ignored. Host-side helpers that live in the
golden headers (quantization from float, score-scale fitting) are allowed by
name in ALLOW below, each with its reason; nothing else is exempt.

Exit status: 0 clean, 1 problems found, 2 bad command line or unreadable file.
"""
import os
import re
import sys

# (file suffix, function name or None for the whole file, rules allowed, reason)
ALLOW = [
    ("spatten/quant.h", "symmetric_scale", {"float"}, "host side: scale of a float tensor (quant.h marks it)"),
    ("spatten/quant.h", "quantize", {"float"}, "host side: float -> word quantization (quant.h marks it)"),
    ("spatten/quant.h", "quantize_vector", {"float", "label"}, "host side: float -> word quantization"),
    ("spatten/dot.h", "make_score_scale", {"float", "unbounded", "label"},
     "host side: fits mult/shift to a real factor once per job (dot.h marks it); the loop is bounded by shift < 62"),
    ("spatten/dot.h", "score_scale_value", {"float"}, "host side: the real factor of a ScoreScale, for tests"),
    ("spatten/fixed.h", "ceil_log2", {"unbounded", "label"},
     "constexpr width computation evaluated at compile time; the loop is bounded by b < 64"),
    ("spatten/reference/float_attention.h", None, {"float", "label", "container", "unbounded"},
     "double-precision reference for tests only; never included by the kernel"),
]

RULES = ["heap", "container", "exception", "virtual", "recursion", "unbounded", "label", "float", "io"]
KEYWORDS = {"if", "for", "while", "switch", "catch", "return", "sizeof", "static_assert", "decltype", "alignof",
            "defined", "__has_include"}


def strip(text):
    """Blank out comments and string/char literals, keeping line structure and offsets."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif c in "\"'":
            # a digit separator (1'000) is not a char literal
            if c == "'" and i > 0 and text[i - 1].isalnum():
                out.append(c)
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def match_brace(code, open_pos):
    depth = 0
    for k in range(open_pos, len(code)):
        if code[k] == "{":
            depth += 1
        elif code[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(code) - 1


FUNC_RE = re.compile(r"\b([A-Za-z_]\w*)\s*(?:<[^;{}()]*>)?\s*\(([^;{}]*)\)\s*(?:const\s*)?(?:noexcept\s*)?(?:->\s*[\w:<>, ]+)?\{")


def functions(code):
    """(name, body_start, body_end) of every function definition (approximate, enough for the rules)."""
    out = []
    for m in FUNC_RE.finditer(code):
        name = m.group(1)
        if name in KEYWORDS:
            continue
        # a constructor initializer or a lambda is not a definition we track
        open_pos = m.end() - 1
        # the span starts at the line of the name, so a return type or parameter
        # on that line belongs to the function (host-side helpers returning double)
        line_start = code.rfind("\n", 0, m.start()) + 1
        out.append((name, line_start, match_brace(code, open_pos)))
    return out


def line_of(code, pos):
    return code.count("\n", 0, pos) + 1


def lint_file(path, display):
    try:
        with open(path, encoding="utf-8") as f:
            raw = f.read()
    except OSError as e:
        print(f"hls_lint: error: cannot read {path}: {e.strerror}", file=sys.stderr)
        sys.exit(2)
    code = strip(raw)
    funcs = functions(code)
    norm = display.replace(os.sep, "/")
    file_allow = set()
    func_allow = []
    for suffix, fn, rules, _reason in ALLOW:
        if norm.endswith(suffix):
            if fn is None:
                file_allow |= rules
            else:
                func_allow.append((fn, rules))

    problems = []

    def report(pos, rule, msg):
        if rule in file_allow:
            return
        for name, start, end in funcs:
            if start <= pos <= end:
                for fn, rules in func_allow:
                    if fn == name and rule in rules:
                        return
        problems.append((line_of(code, pos), rule, msg))

    def scan(pattern, rule, msg):
        for m in re.finditer(pattern, code):
            report(m.start(), rule, msg.format(m=m))

    scan(r"(?<![\w:])new\b(?!\s*\()|(?<![\w:])new\s*\((?=[^)]*\)\s*\w)", "heap", "'new' allocates on the heap; use a fixed-size array")
    for m in re.finditer(r"\bdelete\b", code):
        if not code[:m.start()].rstrip().endswith("="):  # "= delete;" declares a deleted function
            report(m.start(), "heap", "'delete' frees heap memory; HLS has no heap")
    scan(r"\b(malloc|calloc|realloc|free)\s*\(", "heap", "'{m[1]}' uses the heap; use a fixed-size array")
    scan(r"\bstd::(vector|map|multimap|unordered_map|set|multiset|unordered_set|list|forward_list|deque|queue|"
         r"priority_queue|stack|string|wstring|function|shared_ptr|unique_ptr|any)\b", "container",
         "std::{m[1]} is not synthesizable; use fixed-size arrays (or hls::stream)")
    scan(r"#\s*include\s*<(vector|map|set|unordered_map|unordered_set|list|deque|queue|stack|string|functional|"
         r"memory|any)>", "container", "<{m[1]}> is a host-only header")
    scan(r"\b(throw|try|catch)\b", "exception", "'{m[1]}': exceptions are not synthesizable")
    scan(r"\bvirtual\b", "virtual", "virtual functions are not synthesizable (no dynamic dispatch)")
    scan(r"\b(float|double)\b", "float", "'{m[1]}' in kernel code: the datapath is integer (move host-side math out "
         "of the kernel, or allow-list it with a reason)")
    scan(r"#\s*include\s*<(iostream|cstdio|stdio\.h|fstream|sstream)>|\bstd::(cout|cerr|printf)\b|\bprintf\s*\(",
         "io", "console or file I/O is not synthesizable")
    scan(r"\bfor\s*\(\s*[^;]*;\s*;", "unbounded", "'for (..;;..)' has no bound")

    # while / do-while need a trip count pragma in the loop body
    for m in re.finditer(r"\b(while|do)\b", code):
        if m.group(1) == "while":
            # the tail of a do-while ("} while (...);") is reported at its 'do'
            before = code[:m.start()].rstrip()
            if before.endswith("}"):
                open_b = before.rfind("{")  # not exact, but a do body ends right before
                k = code.rfind("do", 0, m.start())
                if k >= 0 and re.match(r"do\s*\{", code[k:]) and match_brace(code, code.find("{", k)) == len(before) - 1:
                    continue
            paren = code.find("(", m.end())
            depth, k = 0, paren
            while k < len(code):
                depth += code[k] == "("
                depth -= code[k] == ")"
                if depth == 0:
                    break
                k += 1
            body_start = k + 1
        else:
            body_start = m.end()
        nxt = code[body_start:].lstrip()
        if nxt.startswith("{"):
            b = code.find("{", body_start)
            body = raw[b:match_brace(code, b) + 1]
        else:
            body = raw[body_start:code.find(";", body_start) + 1]
        if not re.search(r"#\s*pragma\s+HLS\s+LOOP_TRIPCOUNT", body):
            report(m.start(), "unbounded", f"'{m.group(1)}' loop without '#pragma HLS LOOP_TRIPCOUNT' "
                   "(HLS cannot bound it; prefer a for loop to a compile-time maximum with a break)")

    # every loop labelled
    for m in re.finditer(r"\b(for|while|do)\b", code):
        if m.group(1) == "while":
            prev = code[:m.start()].rstrip()
            if prev.endswith("}"):
                continue  # do { } while tail
        prev = code[:m.start()].rstrip()
        # skip a preceding pragma line (raw text) between label and loop
        if not re.search(r"\b[A-Za-z_]\w*\s*:$", prev) or re.search(r"::$", prev) or re.search(r"\?\s*[\w\s]*:$", prev):
            report(m.start(), "label", f"'{m.group(1)}' loop without a label (write 'LABEL: {m.group(1)} ...')")

    # direct recursion
    for name, start, end in funcs:
        open_pos = code.find("{", code.find(name, start))
        body = code[open_pos + 1:end]
        call = re.search(r"(?<![\w.>:])" + re.escape(name) + r"\s*(<[^;{}()]*>)?\s*\(", body)
        if call:
            pos = open_pos + 1 + call.start()
            report(pos, "recursion", f"'{name}' calls itself; HLS needs a static call graph (use a bounded loop)")

    problems.sort()
    for line, rule, msg in problems:
        print(f"{display}:{line}: error [{rule}]: {msg}")
    return len(problems)


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    files = []
    for arg in argv[1:]:
        if os.path.isdir(arg):
            for root, _dirs, names in os.walk(arg):
                for n in sorted(names):
                    if n.endswith((".h", ".hpp", ".cpp", ".cc")):
                        files.append(os.path.join(root, n))
        elif os.path.isfile(arg):
            files.append(arg)
        else:
            print(f"hls_lint: error: {arg}: no such file or folder", file=sys.stderr)
            return 2
    if not files:
        print("hls_lint: error: no C++ sources found in the given paths", file=sys.stderr)
        return 2
    total = 0
    bad_files = 0
    for f in sorted(files):
        # display paths relative to an include root when possible ("spatten/quant.h")
        n = lint_file(f, f)
        total += n
        bad_files += n > 0
    if total:
        print(f"hls_lint: {total} problem(s) in {bad_files} of {len(files)} file(s)")
        return 1
    print(f"hls_lint: {len(files)} file(s) clean ({', '.join(RULES)}; {len(ALLOW)} allow-list entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
