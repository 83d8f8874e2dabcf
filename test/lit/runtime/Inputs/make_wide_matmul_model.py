"""One MatMul with 4 MiB of weights, for the test that the runtime maps a
library's embedded weights when the first session is created.

    make_wide_matmul_model.py OUT.onnx

x float32 [1, 1024] -> MatMul with a constant [1024, 1024] -> y float32
[1, 1024]. Weights are fixed random (seed 0)."""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(
        (rng.standard_normal((1024, 1024)) * 0.03).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "wide_matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1024])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1024])],
        [w])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, sys.argv[1])


if __name__ == "__main__":
    main()
