#!/usr/bin/python3
"""Dynamic int8 quantization of an f32 ONNX model, in the form that
onnxruntime.quantization.quantize_dynamic writes.

No onnxruntime Python package exists on the build machines (only
onnxruntime-node, for the benchmark), so this reproduces its integer-ops
form with python3-onnx alone.  Every MatMul whose B is a 2-D f32
initializer becomes

    a_q, a_scale, a_zp = DynamicQuantizeLinear(A)          (u8, per tensor)
    acc   = MatMulInteger(a_q, w_q, a_zp, w_zp)            (i32)
    scale = Mul(a_scale, w_scale)
    Y     = Mul(Cast(acc, to=FLOAT), scale)

with the weight quantized here, as ORT does it:

  - int8 (ORT's default QInt8): symmetric, zero point 0, range [-127, 127],
    scale = max |w| / 127; per tensor (ORT's default) or, with
    per_channel, per column of B (ORT's axis 1 for MatMul);
  - uint8 (QUInt8): asymmetric, [min(0, w), max(0, w)] onto [0, 255] with
    a zero point, per tensor or per column.

Rounding is half to even (numpy's, as ORT's quantize_nparray).  An
activation feeding several MatMuls is quantized once (ORT keeps a map of
quantized values too), and a weight several MatMuls share is quantized
once.  Everything else is left in f32, as quantize_dynamic leaves it:
activation x activation MatMuls (attention scores), and Gemm, which ORT's
integer-ops registry does not quantize.  With gemm_as_matmul a Gemm with a
constant B (alpha = beta = 1, no transA) is first rewritten as MatMul (+
Add of C), so that models exported with Gemm (the MLP) get quantized too;
that step is ours, not ORT's.

    /usr/bin/python3 test/models/quantize_ort_style.py IN.onnx OUT.onnx \\
        [--weight-type int8|uint8] [--per-channel] [--gemm-as-matmul]
"""

import argparse
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def quantize_weight(w: np.ndarray, weight_type: str,
                    per_channel: bool) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(w_q, scale, zero_point) of a [K, N] f32 weight; scale and zero point
    are scalars (per tensor) or [N] (per column)."""
    axis = 0 if per_channel else None  # reduce over K only, or everything
    keep = dict(axis=axis) if per_channel else {}
    w64 = w.astype(np.float64)
    if weight_type == "int8":
        absmax = np.abs(w64).max(**keep)
        scale = (absmax / 127.0).astype(np.float32)
        scale = np.where(scale == 0, np.float32(1.0), scale).astype(np.float32)
        q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
        zp = np.zeros(scale.shape, np.int8)
        return q, scale, zp
    if weight_type == "uint8":
        lo = np.minimum(w64.min(**keep), 0.0)
        hi = np.maximum(w64.max(**keep), 0.0)
        scale = ((hi - lo) / 255.0).astype(np.float32)
        scale = np.where(scale == 0, np.float32(1.0), scale).astype(np.float32)
        zp = np.clip(np.round(-lo / scale), 0, 255).astype(np.uint8)
        q = np.clip(np.round(w / scale) + zp.astype(np.float32), 0, 255).astype(np.uint8)
        return q, scale, zp
    raise ValueError(f"unknown weight type {weight_type}")


def _gemm_to_matmul(model: onnx.ModelProto, inits: Dict[str, np.ndarray]) -> None:
    """Gemm(A, B const, C, alpha=1, beta=1, transA=0) -> MatMul(A, B') (+ C)."""
    graph = model.graph
    nodes: List[onnx.NodeProto] = []
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        b = inits.get(node.input[1]) if node.op_type == "Gemm" else None
        if (b is None or b.ndim != 2 or b.dtype != np.float32 or attrs.get("transA", 0)
                or attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0):
            nodes.append(node)
            continue
        name = node.input[1] + ("_t" if attrs.get("transB", 0) else "")
        if name not in inits:
            inits[name] = np.ascontiguousarray(b.T) if attrs.get("transB", 0) else b
            graph.initializer.append(numpy_helper.from_array(inits[name], name))
        has_c = len(node.input) > 2 and node.input[2]
        product = node.output[0] + ("_matmul" if has_c else "")
        nodes.append(helper.make_node("MatMul", [node.input[0], name], [product],
                                      name=(node.name or product) + "_matmul"))
        if has_c:
            nodes.append(helper.make_node("Add", [product, node.input[2]], [node.output[0]],
                                          name=(node.name or product) + "_add"))
    del graph.node[:]
    graph.node.extend(nodes)


def quantize_dynamic_ort_style(model: onnx.ModelProto, weight_type: str = "int8",
                               per_channel: bool = False,
                               gemm_as_matmul: bool = False) -> onnx.ModelProto:
    model = onnx.ModelProto.FromString(model.SerializeToString())  # a copy
    graph = model.graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    if gemm_as_matmul:
        _gemm_to_matmul(model, inits)

    quantized_acts: Dict[str, Tuple[str, str, str]] = {}
    quantized_weights: Dict[str, Tuple[str, str, str]] = {}
    used_weights = set()
    nodes: List[onnx.NodeProto] = []
    count = 0
    for node in graph.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if w is None or w.ndim != 2 or w.dtype != np.float32 or node.input[0] in inits:
            nodes.append(node)
            continue
        a, wname, y = node.input[0], node.input[1], node.output[0]
        base = node.name or y
        if a not in quantized_acts:
            quantized_acts[a] = (a + "_quantized", a + "_scale", a + "_zero_point")
            nodes.append(helper.make_node("DynamicQuantizeLinear", [a],
                                          list(quantized_acts[a]),
                                          name=a + "_QuantizeLinear"))
        if wname not in quantized_weights:
            q, scale, zp = quantize_weight(w, weight_type, per_channel)
            names = (wname + "_quantized", wname + "_scale", wname + "_zero_point")
            for array, n in zip((q, scale, zp), names):
                graph.initializer.append(numpy_helper.from_array(array, n))
            quantized_weights[wname] = names
        used_weights.add(wname)
        aq, ascale, azp = quantized_acts[a]
        wq, wscale, wzp = quantized_weights[wname]
        nodes += [
            helper.make_node("MatMulInteger", [aq, wq, azp, wzp], [y + "_output_quantized"],
                             name=base + "_quant"),
            helper.make_node("Cast", [y + "_output_quantized"], [y + "_output_quantized_cast"],
                             to=TensorProto.FLOAT, name=base + "_quant_cast"),
            helper.make_node("Mul", [ascale, wscale], [y + "_quant_scales_mul"],
                             name=base + "_quant_scales_mul"),
            helper.make_node("Mul", [y + "_output_quantized_cast", y + "_quant_scales_mul"], [y],
                             name=base + "_quant_output_scale_mul"),
        ]
        count += 1
    del graph.node[:]
    graph.node.extend(nodes)
    # The f32 weights that only quantized MatMuls read are gone from the model
    # (quantize_dynamic drops them too).
    still_read = {i for n in graph.node for i in n.input}
    keep = [i for i in graph.initializer if i.name in still_read]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    # The exporter's value_info stays valid (every original output keeps its
    # name and type); the new values' types come from shape inference.
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model)
    model.doc_string = (f"{count} MatMuls quantized ORT-style: {weight_type} weights "
                        f"{'per column' if per_channel else 'per tensor'}")
    return model


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--weight-type", choices=["int8", "uint8"], default="int8")
    parser.add_argument("--per-channel", action="store_true")
    parser.add_argument("--gemm-as-matmul", action="store_true")
    args = parser.parse_args(argv)
    model = quantize_dynamic_ort_style(onnx.load(args.input), args.weight_type,
                                       args.per_channel, args.gemm_as_matmul)
    onnx.save(model, args.output)
    print(model.doc_string)
    return 0


if __name__ == "__main__":
    sys.exit(main())
