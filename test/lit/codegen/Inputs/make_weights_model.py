"""A two-layer perceptron with about 330 KB of weights, and its expected
output computed with numpy, in ONNX's test_data_set layout:

    make_weights_model.py OUT_DIR SEED

writes OUT_DIR/model.onnx and OUT_DIR/test_data_set_0/{input,output}_0.pb.
Different seeds give different weights (so a weights file of one seed
belongs to "another compilation" for the other)."""

import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from test_case import save_test_case


def main():
    out, seed = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((256, 256)) / 16).astype(np.float32)
    b1 = rng.standard_normal(256).astype(np.float32)
    w2 = (rng.standard_normal((256, 64)) / 16).astype(np.float32)
    # An int64 table, so not only float32 weights move to the file.
    table = rng.integers(-5, 5, size=(64,)).astype(np.int64)
    x = rng.standard_normal((2, 256)).astype(np.float32)

    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h0"]),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h2"]),
        helper.make_node("MatMul", ["h2", "w2"], ["h3"]),
        helper.make_node("Cast", ["table"], ["tf"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["h3", "tf"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "weights_model",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 256])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 64])],
        [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
         numpy_helper.from_array(w2, "w2"),
         numpy_helper.from_array(table, "table")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8

    h = np.maximum(x.astype(np.float64) @ w1 + b1, 0)
    y = (h @ w2 + table).astype(np.float32)

    save_test_case(out, model, [("x", x)], [("y", y)])


if __name__ == "__main__":
    main()
