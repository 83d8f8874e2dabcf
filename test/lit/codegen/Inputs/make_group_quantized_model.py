#!/usr/bin/python3
"""A MatMul + Add model for --quantize=dynamic-int8 --quantize-group=128,
with its expected output computed by the compiler's scheme in numpy:

  weight   per column, symmetric: s_w = max|w| / 127, q = round_even(w / s_w)
  groups   each run of 128 values of a row of A: range [min(0, min),
           max(0, max)], s = max((hi - lo) / 255, FLT_MIN),
           zp = clip(round_even(-lo / s), 0, 255),
           a_q = clip(round_even(a / s) + zp, 0, 255)   (all in f32, as the
           library computes them, so every rounding decision is the same)
  product  y[m, n] = s_w[n] * sum_g s[m, g] * (sum_{k in g} a_q q - zp * colsum_g[n])
           (the group sums exact in integers) + bias

K = 384 (3 groups), N = 72 (the last 16-lane block of columns masked),
A [2, 13, 384] with a symbolic batch (13 rows: 3 blocks of 4 and a tail),
one channel 20 times larger than the others (the outlier that per-group
ranges contain to its group). Usage: make_group_quantized_model.py OUT_DIR
"""

import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from test_case import save_test_case

K, N, GROUP = 384, 72, 128


def quantize_weight(w):
    s = np.abs(w).max(axis=0) / np.float32(127)
    q = np.clip(np.round(w / s), -127, 127).astype(np.int64)
    return q, s.astype(np.float32)


def group_quantized_matmul(a, w, bias):
    q, s_w = quantize_weight(w)
    rows = a.reshape(-1, K)
    out = np.zeros((rows.shape[0], N), np.float64)
    for g in range(K // GROUP):
        part = rows[:, g * GROUP:(g + 1) * GROUP]
        lo = np.minimum(part.min(axis=1, keepdims=True), np.float32(0))
        hi = np.maximum(part.max(axis=1, keepdims=True), np.float32(0))
        s = np.maximum((hi - lo) / np.float32(255),
                       np.float32(np.finfo(np.float32).tiny))
        zp = np.clip(np.round(-lo / s), 0, 255)
        a_q = np.clip(np.round(part / s) + zp, 0, 255).astype(np.int64)
        qg = q[g * GROUP:(g + 1) * GROUP]
        sums = a_q @ qg - zp.astype(np.int64) * qg.sum(axis=0)
        out += s.astype(np.float64) * sums
    y = out * s_w + bias
    return y.astype(np.float32).reshape(a.shape[:-1] + (N,))


def main():
    rng = np.random.default_rng(3)
    w = rng.normal(0, 0.1, (K, N)).astype(np.float32)
    bias = rng.normal(0, 0.1, (N,)).astype(np.float32)
    a = rng.normal(0, 1, (2, 13, K)).astype(np.float32)
    a[:, :, 5] *= 20
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["p"]),
         helper.make_node("Add", ["p", "B"], ["y"])],
        "group_quantized",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 13, K])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 13, N])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(bias, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    save_test_case(sys.argv[1], model, [("x", a)],
                   [("y", group_quantized_matmul(a, w, bias))])


if __name__ == "__main__":
    main()
