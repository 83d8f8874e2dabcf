#!/usr/bin/python3
"""Writes examples/mlp/mlp.onnx: a small 64-32-10 MLP with fixed random
weights (seed 0), the model the README's main job compiles. The .onnx file
is committed; rerun this only to change the example."""

import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)


def dense(name, n_in, n_out):
    w = rng.standard_normal((n_in, n_out)).astype(np.float32) / np.sqrt(n_in)
    b = rng.standard_normal(n_out).astype(np.float32) * 0.1
    return (numpy_helper.from_array(w, f"{name}.weight"),
            numpy_helper.from_array(b, f"{name}.bias"))


w1, b1 = dense("fc1", 64, 32)
w2, b2 = dense("fc2", 32, 10)
nodes = [
    helper.make_node("Gemm", ["input", w1.name, b1.name], ["h"], name="fc1"),
    helper.make_node("Relu", ["h"], ["h_relu"], name="relu1"),
    helper.make_node("Gemm", ["h_relu", w2.name, b2.name], ["logits"],
                     name="fc2"),
    helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax",
                     axis=1),
]
graph = helper.make_graph(
    nodes, "mlp",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 64])],
    [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT,
                                   ["batch", 10])],
    initializer=[w1, b1, w2, b2])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                          producer_name="onnx-compile example")
model.ir_version = 8
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mlp.onnx")
with open(out, "wb") as f:
    f.write(model.SerializeToString())
print(f"wrote {out}")
