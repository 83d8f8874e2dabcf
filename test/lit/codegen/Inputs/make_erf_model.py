"""An Erf node over [-6, 6] (dense), zeros, tiny and huge magnitudes,
infinities and NaN, with its expected output from Python's math.erf in
float64 rounded to float32, in ONNX's test_data_set layout:

    make_erf_model.py OUT_DIR

Checks the polynomial erf of passes/ApproximateErf.cpp against libm; the
row of 4099 elements gives vector loops and a scalar remainder."""

import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1]
    dense = np.linspace(-6.0, 6.0, 8000, dtype=np.float32)
    special = np.array([0.0, -0.0, 1e-30, -1e-30, 1e-7, -1e-7, 0.8, 2.0,
                        3.75, 3.9, 10.0, -10.0, 3e38, -3e38, np.inf,
                        -np.inf, np.nan], dtype=np.float32)
    x = np.concatenate([dense, special,
                        np.zeros(2 * 4099 - dense.size - special.size,
                                 dtype=np.float32)]).reshape(2, 4099)
    y = np.array([math.erf(float(v)) for v in x.ravel()],
                 dtype=np.float64).astype(np.float32).reshape(x.shape)
    graph = helper.make_graph(
        [helper.make_node("Erf", ["x"], ["y"])], "erf",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4099])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4099])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, os.path.join(out, "model.onnx"))
    data = os.path.join(out, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    with open(os.path.join(data, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x, "x").SerializeToString())
    with open(os.path.join(data, "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(y, "y").SerializeToString())


if __name__ == "__main__":
    main()
