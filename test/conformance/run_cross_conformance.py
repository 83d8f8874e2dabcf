#!/usr/bin/python3
"""Runs ONNX backend test cases compiled for another architecture under an
emulator (aarch64 under qemu-aarch64) and compares their outputs on the host.

onnx-run needs protobuf and libonnx, which exist only for the host, so the
emulated side is onnx-run-lite (plain C, cross-built with the runtime): this
script converts each data set's input_N.pb to .npy, runs

    EMULATOR onnx-run-lite LIB.so --output-dir OUT input_0.npy ...

and compares OUT/output_N.npy with output_N.pb exactly as onnx-run does on
x86-64 (NaN matches NaN, infinities must be equal, floats within
atol + rtol * |expected|, everything else bit-exact), with the tolerances of
run_conformance.py's tolerances.txt.

The sample: the node cases that pass on the host (not listed in
expected.txt), sorted, every --stride-th of them; plus --extra model folders
(real models) in the same layout. A case ends as pass, fail, unsupported or
crash as in run_conformance.py; --expected-target lists the cases of the
sample that are not expected to pass on this target, with reasons, and the
run fails on any case that differs from it, in either direction.

Usage: run_cross_conformance.py --onnx-compile BIN --runner BIN
         --emulator 'qemu-aarch64 -L /usr/aarch64-linux-gnu' --target aarch64
         --data DIR --expected FILE --tolerances FILE --expected-target FILE
         [--stride N] [--extra NAME=DIR ...] [--extra-tolerance RTOL,ATOL]
         [--cpu NAME] [-j N] [--work DIR] [--write-expected FILE]
"""

import argparse
import concurrent.futures
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_conformance import (compare_with_expected, compile_case,  # noqa: E402
                             data_sets, read_table, tolerance_for,
                             write_expected)

TIMEOUT_S = 300


def read_tensor(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return numpy_helper.to_array(tensor)


def bfloat16_bits_to_float32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def bfloat16_outputs(model):
    """Which outputs of `model` are bfloat16: numpy has no such type, so
    onnx-run-lite writes them, and ONNX's test data stores them, as uint16
    bits. They are compared as floats, as onnx-run does."""
    graph = onnx.load(model, load_external_data=False).graph
    return [o.type.tensor_type.elem_type == onnx.TensorProto.BFLOAT16
            for o in graph.output]


def compare(got, want, rtol, atol, bfloat16=False):
    """One line about output `got` against `want`; (ok, line)."""
    if bfloat16 and got.dtype == np.uint16 and want.dtype == np.uint16:
        got = bfloat16_bits_to_float32(got)
        want = bfloat16_bits_to_float32(want)
    if got.dtype != want.dtype:
        return False, f"dtype is {got.dtype}, expected {want.dtype}"
    if got.shape != want.shape:
        return False, f"shape is {list(got.shape)}, expected {list(want.shape)}"
    if got.size == 0:
        return True, "ok (empty)"
    if np.issubdtype(want.dtype, np.floating):
        x = got.astype(np.float64)
        y = want.astype(np.float64)
        nan = np.isnan(x) | np.isnan(y)
        inf = ~nan & (np.isinf(x) | np.isinf(y))
        finite = ~nan & ~inf
        ok = np.zeros(x.shape, dtype=bool)
        ok[nan] = np.isnan(x[nan]) & np.isnan(y[nan])
        ok[inf] = x[inf] == y[inf]
        with np.errstate(invalid="ignore"):  # inf - inf: not used
            diff = np.abs(x - y)
        ok[finite] = diff[finite] <= atol + rtol * np.abs(y[finite])
        bad = int((~ok).sum())
        max_abs = float(np.max(np.where(finite, diff, 0)))
        if bad:
            return False, (f"MISMATCH, {bad} of {got.size} elements outside "
                           f"atol {atol:g} + rtol {rtol:g} * |expected| "
                           f"(max_abs_err {max_abs:.6g})")
        return True, f"ok (max_abs_err {max_abs:.6g})"
    def raw(a):  # the bytes of each element, as rows
        return a.copy(order="C").reshape(-1).view(np.uint8) \
            .reshape(a.size, -1)
    bad = int((raw(got) != raw(want)).any(axis=1).sum())
    if bad:
        return False, f"MISMATCH, {bad} of {got.size} elements differ"
    return True, "ok"


def run_case(args, case, folder, tolerance, work):
    stem = os.path.join(work, case.replace("/", "__"))
    lib = stem + ".so"
    model = os.path.join(folder, "model.onnx")
    cmd = [args.onnx_compile, model, f"--target={args.target}", "-o", lib]
    if args.cpu:
        cmd.append(f"--cpu={args.cpu}")
    try:
        refused = compile_case(cmd, model)
        if refused:
            return refused
        rtol, atol = tolerance
        for data_set in data_sets(folder):
            data = os.path.join(folder, data_set)
            inputs, n = [], 0
            while os.path.exists(os.path.join(data, f"input_{n}.pb")):
                path = f"{stem}.{data_set}.input_{n}.npy"
                # copy(order="C"): ascontiguousarray would make a scalar 1-D.
                np.save(path, read_tensor(
                    os.path.join(data, f"input_{n}.pb")).copy(order="C"))
                inputs.append(path)
                n += 1
            out = f"{stem}.{data_set}.out"
            try:
                run = subprocess.run(
                    shlex.split(args.emulator) +
                    [args.runner, lib, "--output-dir", out] + inputs,
                    capture_output=True, text=True, timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                return "crash", f"{data_set}: run timed out"
            if run.returncode < 0:
                return "crash", f"{data_set}: run killed by signal " \
                                f"{-run.returncode}"
            if run.returncode != 0:
                return "fail", f"{data_set}: " + \
                    (run.stdout + run.stderr).strip()[-300:]
            expected, n = [], 0
            while os.path.exists(os.path.join(data, f"output_{n}.pb")):
                expected.append(read_tensor(
                    os.path.join(data, f"output_{n}.pb")))
                n += 1
            got = sorted(f for f in os.listdir(out) if f.endswith(".npy"))
            if len(got) != len(expected):
                return "fail", (f"{data_set}: the model has {len(got)} "
                                f"outputs, the data set {len(expected)}")
            bfloat16 = bfloat16_outputs(model)
            for i, want in enumerate(expected):
                ok, line = compare(
                    np.load(os.path.join(out, f"output_{i}.npy")), want,
                    rtol, atol, i < len(bfloat16) and bfloat16[i])
                if not ok:
                    return "fail", f"{data_set}: output {i}: {line}"
        return "pass", ""
    finally:
        for leftover in os.listdir(work):
            path = os.path.join(work, leftover)
            if leftover.startswith(os.path.basename(stem) + "."):
                if os.path.isdir(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.remove(path)


def sample_cases(args, expected_host):
    """Every --stride-th node case that passes on the host, sorted."""
    root = os.path.join(args.data, "node")
    if not os.path.isdir(root):
        sys.exit(f"missing test data: {root} (install libonnx-testdata)")
    passing = [name for name in sorted(os.listdir(root))
               if os.path.isfile(os.path.join(root, name, "model.onnx"))
               and f"node/{name}" not in expected_host]
    picked = passing[::args.stride] if args.stride > 0 else []
    if args.filter:
        picked = [n for n in picked if re.search(args.filter, f"node/{n}")]
    return [(f"node/{name}", os.path.join(root, name)) for name in picked]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx-compile", required=True)
    ap.add_argument("--runner", required=True,
                    help="onnx-run-lite built for the target")
    ap.add_argument("--emulator", default="",
                    help="command line that runs a target program "
                         "(e.g. 'qemu-aarch64 -L /usr/aarch64-linux-gnu')")
    ap.add_argument("--target", required=True)
    ap.add_argument("--cpu")
    ap.add_argument("--data", required=True)
    ap.add_argument("--expected", required=True,
                    help="the host's expected.txt: picks the sample")
    ap.add_argument("--tolerances", required=True)
    ap.add_argument("--expected-target", required=True,
                    help="cases of the sample not expected to pass on the "
                         "target")
    ap.add_argument("--stride", type=int, default=3,
                    help="sample every N-th passing node case (0: none)")
    ap.add_argument("--extra", action="append", default=[],
                    metavar="NAME=DIR", help="another case folder (a real "
                    "model), compared with --extra-tolerance")
    ap.add_argument("--extra-tolerance", default="1e-3,1e-4")
    ap.add_argument("--filter", help="only sampled cases matching this "
                                     "regular expression (for development)")
    ap.add_argument("--work")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--write-expected",
                    help="write the observed non-passing cases here")
    args = ap.parse_args()

    expected_host = {case for case, _status, _reason
                     in read_table(args.expected, 3)}
    expected = {case: (status, reason) for case, status, reason
                in read_table(args.expected_target, 3)}
    tolerances = read_table(args.tolerances, 4)
    cases = [(case, folder, tolerance_for(case, tolerances))
             for case, folder in sample_cases(args, expected_host)]
    extra_tolerance = tuple(float(v)
                            for v in args.extra_tolerance.split(","))
    for spec in args.extra:
        name, _, folder = spec.partition("=")
        if not os.path.isfile(os.path.join(folder, "model.onnx")):
            sys.exit(f"--extra {spec}: no model.onnx in {folder}")
        cases.append((name, folder, extra_tolerance))

    work = args.work or tempfile.mkdtemp(prefix=f"onnxc-{args.target}-")
    os.makedirs(work, exist_ok=True)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(
            lambda c: (c[0],) + run_case(args, c[0], c[1], c[2], work),
            cases))
    seconds = time.monotonic() - start
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)

    counts, problems = compare_with_expected(results, expected)
    for p in problems:
        print(p)
    print(f"{args.target}: {counts['pass']} of {len(results)} pass "
          f"({len(cases) - len(args.extra)} sampled node cases, "
          f"{len(args.extra)} models) in {seconds:.0f} s")
    print(f"conformance-{args.target}: {counts['pass']} pass, "
          f"{counts['fail']} fail, {counts['unsupported']} unsupported, "
          f"{counts['crash']} crash of {len(results)}")
    if args.write_expected:
        write_expected(args.write_expected, results, expected)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
