#!/usr/bin/python3
"""Compares a model library built with --quantize=dynamic-int8 against the
f32 library of the same model on the same inputs: the relative L2 error
||q - f|| / ||f|| of each output must stay under --max-rel-l2 (1% by
default), and, with --same-as, a third library (the same quantized model
built for another CPU, e.g. without VNNI) must give bit-identical outputs:
the integer kernels are exact, so any difference is a bug.

Inputs are the model's test_data_set_0 and, with --batch, a random batch
of that many rows (for a model with a symbolic batch dim).

Usage: check_quantized.py --onnx-run BIN --f32 LIB --int8 LIB [--same-as LIB]
                          --test-data DIR [--input NAME --batch N]
                          --work DIR [--max-rel-l2 0.01]
"""

import argparse
import glob
import os
import subprocess
import sys

import numpy as np
from onnx import numpy_helper, TensorProto


def load_pb(path):
    t = TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def run(onnx_run, lib, args, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    subprocess.run([onnx_run, lib, *args, "--output-dir", out_dir],
                   check=True, stdout=subprocess.DEVNULL)
    return [load_pb(p) for p in sorted(glob.glob(os.path.join(out_dir,
                                                               "output_*.pb")))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx-run", required=True)
    ap.add_argument("--f32", required=True)
    ap.add_argument("--int8", required=True)
    ap.add_argument("--same-as")
    ap.add_argument("--test-data", required=True)
    ap.add_argument("--input")
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--work", required=True)
    ap.add_argument("--max-rel-l2", type=float, default=0.01)
    args = ap.parse_args()

    # The test data's inputs, by the names their protos carry (running
    # with --test-data would fail on the f32 expected outputs).
    test_inputs = []
    for path in sorted(glob.glob(os.path.join(args.test_data, "input_*.pb"))):
        t = TensorProto()
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
        test_inputs += ["--input", f"{t.name or args.input}={path}"]
    cases = [("test_data_set_0", test_inputs)]
    if args.batch:
        first = load_pb(sorted(glob.glob(os.path.join(args.test_data,
                                                      "input_*.pb")))[0])
        rng = np.random.default_rng(0)
        x = rng.standard_normal((args.batch,) + first.shape[1:]).astype(
            first.dtype)
        os.makedirs(args.work, exist_ok=True)
        path = os.path.join(args.work, "batch.npy")
        np.save(path, x)
        cases.append((f"batch {args.batch}",
                      ["--input", f"{args.input}={path}"]))

    ok = True
    for name, run_args in cases:
        tag = name.replace(" ", "_")
        f = run(args.onnx_run, args.f32, run_args,
                os.path.join(args.work, tag, "f32"))
        q = run(args.onnx_run, args.int8, run_args,
                os.path.join(args.work, tag, "int8"))
        if len(f) != len(q) or not f:
            print(f"{name}: output count differs ({len(f)} vs {len(q)})")
            ok = False
            continue
        for i, (fi, qi) in enumerate(zip(f, q)):
            err = float(np.linalg.norm((qi - fi).ravel()) /
                        max(np.linalg.norm(fi.ravel()), 1e-30))
            good = err <= args.max_rel_l2
            ok &= good
            print(f"{name}: output {i}: relative L2 error "
                  f"{'within' if good else 'ABOVE'} {args.max_rel_l2:g} "
                  f"({err:.4g})")
        if args.same_as:
            s = run(args.onnx_run, args.same_as, run_args,
                    os.path.join(args.work, tag, "same"))
            same = len(s) == len(q) and all(
                np.array_equal(a, b) for a, b in zip(s, q))
            ok &= same
            print(f"{name}: identical to {os.path.basename(args.same_as)}: "
                  f"{'yes' if same else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
