"""A model whose contractions are large enough to run on several threads,
with its expected output computed by torch in float64, in ONNX's
test_data_set layout:

    make_threads_model.py OUT_DIR

writes OUT_DIR/model.onnx and OUT_DIR/test_data_set_0/{input,output}_N.pb.
Output y: a 3x3 convolution of x (16 -> 24 channels on 20x20, padded: an
im2col product whose blocks do not divide the sizes), a ReLU, a flattening
reshape and a matrix product with an initializer (9600 x 40). Output v: z
(symbolic batch dim `N`, fed with 5) times a 600 x 520 initializer, a
product with a row count known only at run time. Blocks are partial at
every edge."""

import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from test_case import save_test_case


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(4)
    w = (rng.standard_normal((24, 16, 3, 3)) / 12).astype(np.float32)
    b = rng.standard_normal(24).astype(np.float32)
    m = (rng.standard_normal((24 * 20 * 20, 40)) / 100).astype(np.float32)
    x = rng.standard_normal((2, 16, 20, 20)).astype(np.float32)
    k = (rng.standard_normal((600, 520)) / 25).astype(np.float32)
    z = rng.standard_normal((5, 600)).astype(np.float32)

    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("Flatten", ["r"], ["f"], axis=1),
        helper.make_node("MatMul", ["f", "m"], ["y"]),
        helper.make_node("MatMul", ["z", "k"], ["v"]),
    ]
    graph = helper.make_graph(
        nodes, "threads_model",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       [2, 16, 20, 20]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 600])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 40]),
         helper.make_tensor_value_info("v", TensorProto.FLOAT, ["N", 520])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"),
         numpy_helper.from_array(m, "m"), numpy_helper.from_array(k, "k")])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)

    t = lambda a: torch.from_numpy(a.astype(np.float64))
    c = torch.nn.functional.conv2d(t(x), t(w), t(b), padding=1)
    y = (torch.relu(c).reshape(2, -1) @ t(m)).numpy().astype(np.float32)
    v = (t(z) @ t(k)).numpy().astype(np.float32)
    save_test_case(out, model, [("x", x), ("z", z)], [("y", y), ("v", v)])


if __name__ == "__main__":
    main()
