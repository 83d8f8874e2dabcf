#!/usr/bin/python3
"""Imports every model of ONNX's backend test data with onnx-compile.

Fails on any crash (a signal, a hang, an exit code other than 0 or 1, or
more than one line of diagnostics), on any refusal not listed in the
refusals file, and on any listed refusal that now imports (so the list
stays honest). Prints the counts; --expect-clean checks the count of clean
imports.

Usage: import_all.py --onnx-compile BIN --data DIR --refusals FILE
                     [--expect-clean N] [-j JOBS]
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys

SUITES = ["node", "pytorch-converted", "pytorch-operator", "simple"]
TIMEOUT_S = 120


def read_refusals(path):
    """Lines are 'suite/case  reason'; '#' starts a comment."""
    refusals = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            case, _, reason = line.partition(" ")
            if not reason.strip():
                sys.exit(f"{path}: refusal of {case} has no reason")
            refusals[case] = reason.strip()
    return refusals


def import_one(compiler, model):
    try:
        proc = subprocess.run([compiler, model, "-o", os.devnull],
                              capture_output=True, text=True,
                              timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "crash", f"timed out after {TIMEOUT_S} s"
    err = proc.stderr.strip()
    if proc.returncode == 0:
        return "ok", ""
    if proc.returncode == 1 and err and "\n" not in err:
        return "refused", err
    return "crash", f"exit code {proc.returncode}: {err[-2000:]}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx-compile", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--refusals", required=True)
    ap.add_argument("--expect-clean", type=int)
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()

    refusals = read_refusals(args.refusals)
    cases = []
    for suite in SUITES:
        root = os.path.join(args.data, suite)
        if not os.path.isdir(root):
            sys.exit(f"missing test data: {root} (install libonnx-testdata)")
        for name in sorted(os.listdir(root)):
            model = os.path.join(root, name, "model.onnx")
            if os.path.isfile(model):
                cases.append((f"{suite}/{name}", model))

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(
            lambda c: (c[0],) + import_one(args.onnx_compile, c[1]), cases))

    problems = []
    counts = {"ok": 0, "refused": 0, "crash": 0}
    for case, status, detail in results:
        counts[status] += 1
        if status == "crash":
            problems.append(f"CRASH {case}: {detail}")
        elif status == "refused" and case not in refusals:
            problems.append(f"UNEXPECTED REFUSAL {case}: {detail}")
        elif status == "ok" and case in refusals:
            problems.append(f"NOW IMPORTS (remove from {args.refusals}) "
                            f"{case}")
    for p in problems:
        print(p)
    print(f"imported {counts['ok']} of {len(cases)} models cleanly; "
          f"{counts['refused']} refused, {counts['crash']} crashed")
    if args.expect_clean is not None and counts["ok"] != args.expect_clean:
        problems.append("count")
        print(f"expected {args.expect_clean} clean imports, "
              f"got {counts['ok']}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
