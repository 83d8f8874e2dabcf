#!/usr/bin/python3
"""Writes random calibration (or evaluation) data for
`onnx-compile --quantize=static-int8 --calibration-data DIR`: DIR/test_data_set_<i>/input_<j>.pb,
one TensorProto per input, named, from a seeded generator so that runs
repeat.

Usage: make_calibration_data.py --out DIR --input NAME=DIMS[:DTYPE] [...]
                                [--sets N] [--seed S] [--dist normal|uniform]
                                [--flat]

  --input x=8x64            an input `x` of shape 8x64 (float32 unless
                            :DTYPE, a numpy dtype name, follows)
  --dist normal             standard normal (default; torch.randn's, which
                            the real models' test data uses), or uniform
                            in [-1, 1)
  --flat                    one set written into DIR itself (DIR/input_j.pb)
"""

import argparse
import os
import sys

import numpy as np
from onnx import numpy_helper


def parse_input(spec):
    name, _, rest = spec.partition("=")
    dims, _, dtype = rest.partition(":")
    if not name or not dims:
        sys.exit(f"--input expects NAME=DIMS[:DTYPE], got '{spec}'")
    return name, tuple(int(d) for d in dims.split("x")), np.dtype(dtype or
                                                                 "float32")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--input", action="append", required=True)
    ap.add_argument("--sets", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dist", choices=["normal", "uniform"], default="normal")
    ap.add_argument("--flat", action="store_true")
    args = ap.parse_args()
    inputs = [parse_input(s) for s in args.input]
    rng = np.random.default_rng(args.seed)
    for s in range(1 if args.flat else args.sets):
        d = args.out if args.flat else os.path.join(args.out,
                                                    f"test_data_set_{s}")
        os.makedirs(d, exist_ok=True)
        for j, (name, shape, dtype) in enumerate(inputs):
            if args.dist == "normal":
                x = rng.standard_normal(shape)
            else:
                x = rng.uniform(-1.0, 1.0, shape)
            t = numpy_helper.from_array(x.astype(dtype), name)
            with open(os.path.join(d, f"input_{j}.pb"), "wb") as f:
                f.write(t.SerializeToString())


if __name__ == "__main__":
    main()
