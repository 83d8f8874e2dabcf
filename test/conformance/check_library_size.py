#!/usr/bin/python3
"""Checks that a model library is no larger than its weights plus a margin.

Usage: check_library_size.py LIB MODEL.onnx MARGIN_BYTES
Prints the sizes and "library size within weights + MARGIN bytes: yes|no".
The weights are the model's initializers (and Constant nodes' tensors).
"""

import os
import sys

import onnx
from onnx import numpy_helper


def weight_bytes(model):
    total = 0
    for init in model.graph.initializer:
        total += numpy_helper.to_array(init).nbytes
    for node in model.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    total += numpy_helper.to_array(a.t).nbytes
    return total


def main():
    lib, model_path, margin = sys.argv[1], sys.argv[2], int(sys.argv[3])
    size = os.path.getsize(lib)
    weights = weight_bytes(onnx.load(model_path))
    print(f"library {size} bytes, weights {weights} bytes, "
          f"overhead {size - weights} bytes")
    ok = size <= weights + margin
    print(f"library size within weights + {margin} bytes: "
          f"{'yes' if ok else 'no'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
