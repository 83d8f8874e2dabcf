"""A one-node model of f32 Erf or Exp over a dense range and special values
(zeros, tiny and huge magnitudes, infinities, NaN, and for Exp the edges of
overflow and of the normal range), with its expected output from Python's
math module in float64 rounded to float32, in ONNX's test_data_set layout:

    make_math_model.py OP OUT_DIR        (OP: erf or exp)

Checks the polynomial approximations of passes/ApproximateMath.cpp against
libm; the rows of 4099 elements give vector loops and a scalar remainder."""

import math
import sys

import numpy as np
from onnx import TensorProto, helper

from test_case import save_test_case

ROW = 4099


def inputs(op):
    if op == "erf":
        dense = np.linspace(-6.0, 6.0, 8000, dtype=np.float32)
        special = [0.0, -0.0, 1e-30, -1e-30, 1e-7, -1e-7, 0.8, 2.0, 3.75,
                   3.9, 10.0, -10.0, 3e38, -3e38, np.inf, -np.inf, np.nan]
    else:
        # Every exponent of the normal range: exp(x) is a normal f32 for x
        # in [-87.33, 88.72].
        dense = np.linspace(-87.3, 88.7, 8000, dtype=np.float32)
        special = [0.0, -0.0, 1e-30, -1e-30, 1e-7, -1e-7, 0.5, 1.0, -1.0,
                   88.72, 88.73, 89.0, 1000.0, -87.33, -1000.0, 3e38, -3e38,
                   np.inf, -np.inf, np.nan]
    special = np.array(special, dtype=np.float32)
    fill = np.zeros(2 * ROW - dense.size - special.size, dtype=np.float32)
    return np.concatenate([dense, special, fill]).reshape(2, ROW)


def reference(op, v):
    if math.isnan(v):
        return math.nan
    if op == "erf":
        return math.erf(v)
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


def main():
    op, out = sys.argv[1], sys.argv[2]
    x = inputs(op)
    y = np.array([reference(op, float(v)) for v in x.ravel()],
                 dtype=np.float64).astype(np.float32).reshape(x.shape)
    name = {"erf": "Erf", "exp": "Exp"}[op]
    graph = helper.make_graph(
        [helper.make_node(name, ["x"], ["y"])], op,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, ROW])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, ROW])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    save_test_case(out, model, [("x", x)], [("y", y)])


if __name__ == "__main__":
    main()
