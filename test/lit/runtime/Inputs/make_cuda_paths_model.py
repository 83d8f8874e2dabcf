"""Writes a model whose outputs take each way a result can leave the CUDA
path's host code, with numpy's answers for two batch sizes (5, and 0 for
an empty batch), in the test_data_set layout:
  y    Relu(x @ W + b)       a fresh device buffer (weights W, b on the
                             device)
  xt   Transpose(x)          a kernel's output of another layout
  xi   Identity(x)           the uploaded input itself
  idx  ArgMax(y, axis=1)     int64
Usage: make_cuda_paths_model.py OUT"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "codegen", "Inputs"))
from test_case import save_test_case  # noqa: E402

rng = np.random.default_rng(7)
W = rng.standard_normal((6, 3)).astype(np.float32)
b = rng.standard_normal(3).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "W"], ["m"]),
     helper.make_node("Add", ["m", "b"], ["a"]),
     helper.make_node("Relu", ["a"], ["y"]),
     helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0]),
     helper.make_node("Identity", ["x"], ["xi"]),
     helper.make_node("ArgMax", ["y"], ["idx"], axis=1, keepdims=0)],
    "cuda_paths",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 6])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3]),
     helper.make_tensor_value_info("xt", TensorProto.FLOAT, [6, "N"]),
     helper.make_tensor_value_info("xi", TensorProto.FLOAT, ["N", 6]),
     helper.make_tensor_value_info("idx", TensorProto.INT64, ["N"])],
    [numpy_helper.from_array(W, "W"), numpy_helper.from_array(b, "b")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])

out = sys.argv[1]
for n, batch in enumerate((5, 0)):
    x = rng.standard_normal((batch, 6)).astype(np.float32)
    y = np.maximum(x @ W + b, 0)
    outputs = [("y", y), ("xt", x.T.copy()), ("xi", x),
               ("idx", (np.argmax(y, axis=1) if batch else
                        np.zeros(0)).astype(np.int64))]
    save_test_case(os.path.join(out, f"set{n}"), model, [("x", x)], outputs)
