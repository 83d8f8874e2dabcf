"""A small CNN with a dynamic batch, for the runtime's sanitizer, leak and
thread tests: its temporaries are sized at run time, so runs go through the
session's run-time scratch (onnxc_scratch_reserve), unlike a static model's.

    make_conv_model.py OUT.onnx

x float32 [batch, 3, 16, 16] -> Conv 3->8 (3x3, pad 1) -> Relu -> MaxPool 2
-> Conv 8->16 (3x3, pad 1) -> Relu -> GlobalAveragePool -> Flatten
-> Gemm 16->10 -> Softmax: y float32 [batch, 10]. Weights are fixed random
(seed 0), about 6 KB, so --weights=external moves them to a file."""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    rng = np.random.default_rng(0)

    def init(name, shape, scale):
        return numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name)

    inits = [
        init("w1", (8, 3, 3, 3), 0.3), init("b1", (8,), 0.1),
        init("w2", (16, 8, 3, 3), 0.15), init("b2", (16,), 0.1),
        init("w3", (16, 10), 0.3), init("b3", (10,), 0.1),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("GlobalAveragePool", ["r2"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["y"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       ["batch", 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       ["batch", 10])],
        inits)
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, sys.argv[1])


if __name__ == "__main__":
    main()
