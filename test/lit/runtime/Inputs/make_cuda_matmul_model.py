"""Writes a model of products the CUDA path runs in shared-memory tiles
(CudaTiledContraction.cpp), none of whose sizes are multiples of the
16 x 16 tile, with numpy's answers (test_data_set layout):
  y  MatMul([B, 37, 53], [53, 45])      B dynamic (3 here)
  z  MatMul(a, Transpose(a))             batched, B read transposed
  g  Gemm(Reshape(y, [-1, 45]), Wt, transB=1, alpha=0.5)
Usage: make_cuda_matmul_model.py OUT"""

import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "codegen", "Inputs"))
from test_case import save_test_case  # noqa: E402

rng = np.random.default_rng(3)
W = rng.standard_normal((53, 45)).astype(np.float32)
Wt = rng.standard_normal((29, 45)).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["a", "W"], ["y"]),
     helper.make_node("Transpose", ["a"], ["aT"], perm=[0, 2, 1]),
     helper.make_node("MatMul", ["a", "aT"], ["z"]),
     helper.make_node("Reshape", ["y", "shape"], ["y2"]),
     helper.make_node("Gemm", ["y2", "Wt"], ["g"], transB=1, alpha=0.5)],
    "cuda_matmul",
    [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["B", 37, 53])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["B", 37, 45]),
     helper.make_tensor_value_info("z", TensorProto.FLOAT, ["B", 37, 37]),
     helper.make_tensor_value_info("g", TensorProto.FLOAT, [None, 29])],
    [numpy_helper.from_array(W, "W"), numpy_helper.from_array(Wt, "Wt"),
     numpy_helper.from_array(np.array([-1, 45], dtype=np.int64), "shape")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
a = rng.standard_normal((3, 37, 53)).astype(np.float32)
y = a @ W
save_test_case(sys.argv[1], model, [("a", a)],
               [("y", y), ("z", a @ a.transpose(0, 2, 1)),
                ("g", (0.5 * (y.reshape(-1, 45) @ Wt.T)).astype(np.float32))])
