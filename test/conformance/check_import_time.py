#!/usr/bin/python3
"""Imports real architectures and checks each import stays under a bound.

The import time is the sum of the phases onnx-compile reports with
--import-timing (parse, prepare, shape inference, build, verify): printing
the MLIR text of 100+ MB of weights is not import.

Usage: check_import_time.py --onnx-compile BIN --limit-s 5 MODEL.onnx...
"""

import argparse
import re
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx-compile", required=True)
    ap.add_argument("--limit-s", type=float, required=True)
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()
    failed = False
    for model in args.models:
        proc = subprocess.run([args.onnx_compile, model, "--import-timing",
                               "-o", "/dev/null"], capture_output=True,
                              text=True)
        if proc.returncode != 0:
            print(f"FAIL {model}: {proc.stderr.strip()}")
            failed = True
            continue
        phases = re.findall(r"^import: (.+) ([0-9.e+-]+) s$", proc.stderr,
                            re.M)
        total = sum(float(t) for _, t in phases)
        verdict = "ok" if total < args.limit_s else "TOO SLOW"
        failed |= total >= args.limit_s
        detail = ", ".join(f"{name} {float(t):.2f}" for name, t in phases)
        print(f"{verdict} {model}: import {total:.2f} s ({detail})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
