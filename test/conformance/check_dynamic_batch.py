#!/usr/bin/python3
"""Runs a model library with a dynamic batch dim at batch 1 and batch N and
checks each row of the batch-N result equals the batch-1 result for that
row (rtol 1e-5): the dynamic-shape path computes what the static one does.

Usage: check_dynamic_batch.py --onnx-run BIN --lib LIB --input NAME
                              --feature-shape 784 --batch 4 --work DIR
"""

import argparse
import os
import subprocess
import sys

import numpy as np
from onnx import numpy_helper, TensorProto


def run(onnx_run, lib, name, array, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "input.npy")
    np.save(path, array)
    subprocess.run([onnx_run, lib, "--input", f"{name}={path}",
                    "--output-dir", out_dir], check=True,
                   stdout=subprocess.DEVNULL)
    t = TensorProto()
    with open(os.path.join(out_dir, "output_0.pb"), "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--onnx-run", required=True)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--feature-shape", required=True)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    features = [int(d) for d in args.feature_shape.split("x")]
    rng = np.random.default_rng(0)
    x = rng.standard_normal([args.batch] + features).astype(np.float32)
    full = run(args.onnx_run, args.lib, args.input, x,
               os.path.join(args.work, "batch"))
    print(f"batch {args.batch}: output shape {list(full.shape)}")
    worst = 0.0
    for i in range(args.batch):
        row = run(args.onnx_run, args.lib, args.input, x[i:i + 1],
                  os.path.join(args.work, f"row{i}"))
        if row.shape[0] != 1:
            sys.exit(f"batch 1 gave shape {list(row.shape)}")
        err = float(np.max(np.abs(row[0] - full[i]) /
                           (np.abs(row[0]) + 1e-6)))
        worst = max(worst, err)
    ok = worst <= 1e-5
    print(f"rows match batch-1 runs: {'yes' if ok else 'NO'} "
          f"(max rel err {worst:.2e})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
