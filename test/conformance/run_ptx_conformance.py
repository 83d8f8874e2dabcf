#!/usr/bin/python3
"""Compiles ONNX's node test cases to PTX and checks that ptxas accepts it.

No GPU is needed (nor found in CI): this checks the CUDA backend's code
generation, not its numbers. Each case is compiled with
`onnx-compile --target=cuda --cuda-arch=ARCH --emit=ptx` for every
architecture asked for, and each PTX file is assembled with
`ptxas -arch=ARCH`. A case ends as one of:
  pass         PTX for every architecture, and ptxas accepts all of it
  fail         PTX was written, but ptxas rejects it
  unsupported  onnx-compile refused the case with a one-line diagnostic
  crash        a tool died (signal, timeout, unexpected exit code)

expected_cuda.txt lists every case that is not expected to pass, with its
status and a reason (the format of expected.txt); the run fails on any case
whose result differs from what is listed, in either direction, and on any
crash.

Usage: run_ptx_conformance.py --onnx-compile BIN --ptxas BIN --data DIR
                              --expected FILE [--archs sm_80,sm_90]
                              [-j N] [--filter REGEX] [--write-expected FILE]
"""

import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_conformance import (  # noqa: E402
    TIMEOUT_S, compare_with_expected, compile_case, list_cases, read_table,
    write_expected)


def run_ptxas(ptxas, arch, ptx, cubin):
    """None when ptxas accepts `ptx` for `arch`, else the case's end."""
    try:
        proc = subprocess.run([ptxas, f"-arch={arch}", ptx, "-o", cubin],
                              capture_output=True, text=True,
                              timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return "crash", f"ptxas -arch={arch} timed out"
    if proc.returncode == 0:
        return None
    message = " ".join(proc.stderr.split())[:300]
    if proc.returncode < 0:
        return "crash", f"ptxas -arch={arch} died: {message}"
    return "fail", f"ptxas -arch={arch}: {message}"


def run_case(args, case, folder, work):
    model = os.path.join(folder, "model.onnx")
    out = os.path.join(work, case.replace("/", "_"))
    os.makedirs(out, exist_ok=True)
    try:
        for arch in args.archs.split(","):
            ptx = os.path.join(out, f"{arch}.ptx")
            end = compile_case([args.onnx_compile, model, "--target=cuda",
                                f"--cuda-arch={arch}", "--emit=ptx", "-o",
                                ptx], model)
            if end:
                return end
            end = run_ptxas(args.ptxas, arch, ptx,
                            os.path.join(out, f"{arch}.cubin"))
            if end:
                return end
        return "pass", ""
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx-compile", required=True)
    ap.add_argument("--ptxas", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--archs", default="sm_80,sm_90")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--filter",
                    help="run only the cases whose 'node/name' matches this "
                         "regular expression (for development)")
    ap.add_argument("--write-expected",
                    help="write the observed non-passing cases here")
    args = ap.parse_args()

    expected = {case: (status, reason)
                for case, status, reason in read_table(args.expected, 3)}
    cases = list_cases(args.data, ["node"], args.filter)

    work = tempfile.mkdtemp(prefix="onnxc-ptx-conformance-")
    try:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(
                lambda c: (c[0],) + run_case(args, c[0], c[1], work), cases))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    counts, problems = compare_with_expected(results, expected)
    for p in problems:
        print(p)
    print(f"cuda-ptx ({args.archs}): {counts['pass']} of {len(results)} node "
          f"cases give PTX ptxas accepts; {counts['fail']} fail, "
          f"{counts['unsupported']} unsupported, {counts['crash']} crash")
    if args.write_expected:
        write_expected(args.write_expected, results, expected)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
