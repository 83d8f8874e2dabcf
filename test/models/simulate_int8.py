#!/usr/bin/python3
"""Simulate onnx-compile's --quantize=dynamic-int8 in PyTorch (fake quant).

How much output error does a quantization scheme cost a model, and where
does it come from? This answers it without the compiler: the f32 model runs
twice, once as it is and once with every quantized product's operands
rounded as the compiler rounds them, and the two outputs are compared
(relative L2 and top-1 agreement), as `onnx-run --compare-with` compares two
libraries. The default scheme is the compiler's; options switch parts of it
off or try others, so a change to the scheme can be judged before it is
built.

  weights      per output channel (column of B, filter of a Conv),
               symmetric int8 in [-127, 127], max |w| / 127
  activations  MatMul/Gemm: per row (last axis), u8 with a zero point over
               [min(0, min), max(0, max)]; Conv: per tensor, the same way
               (the compiler's default for MatMul/Gemm is now per group of
               128 along K, --quantize-group: here --act-group 128)

The compiler's LayerNorm smoothing (QuantizeCommon.cpp) is not simulated:
on BERT it moves the error from 1.24% here to 1.19% in the library.

Models:
  --model bert      the BERT-base encoder of export_real_models.py (torch,
                    random weights, seed 0), quantizing every F.linear
                    (attention in-projection and out-projection, FFN)
  --onnx PATH       a CNN in ONNX (Conv with pads or auto_pad,
                    BatchNormalization (folded into the Conv before it, as
                    the compiler folds it), Relu, Clip, Add, MaxPool,
                    AveragePool, GlobalAveragePool, Flatten, Reshape,
                    Concat, Gemm, Dropout), run op by op in torch

Options:
  --no-weights / --no-activations   quantize only the other operand
  --act-group G     activation ranges per group of G along K (MatMul/Gemm)
                    instead of per row, as onnx-compile --quantize-group=G
  --conv-act-group G  Conv inputs: ranges per pixel and group of G channels
                    (all C where G does not divide it) instead of per
                    tensor: a scheme the compiler does not have yet
  --weight-noise E  instead of int8 weights, w * (1 + E * N(0, 1)): how
                    sensitive the model is to any perturbation
  --sets N          random inputs to compare on (default 5)

Figures quoted in docs/user-guide.md (Quantization) and the issue notes
came from:
  simulate_int8.py --onnx resnet50-opset17/model.onnx          (~14%)
  simulate_int8.py --onnx resnet50-opset17/model.onnx --no-activations
  simulate_int8.py --onnx ... --no-activations --weight-noise 0.001
  simulate_int8.py --model bert                                (~1.2%, per row)
  simulate_int8.py --model bert --act-group 128                (~0.9%, the default)
  simulate_int8.py --onnx inception_v3-nsfwjs/model.onnx        (~1.2%; the
      trained CNN of export_trained_cnn.py: --no-activations ~1.1%,
      --no-weights ~0.16%, so its error is the weights' rounding)
"""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class Scheme:
    def __init__(self, args):
        self.weights = not args.no_weights
        self.activations = not args.no_activations
        self.act_group = args.act_group
        self.conv_act_group = args.conv_act_group
        self.weight_noise = args.weight_noise

    def weight(self, w):
        """w with one output channel per row (dim 0)."""
        if not self.weights:
            return w
        if self.weight_noise:
            return w * (1 + self.weight_noise * torch.randn_like(w))
        flat = w.reshape(w.shape[0], -1)
        s = flat.abs().amax(1, keepdim=True) / 127
        s = torch.where(s == 0, torch.ones_like(s), s)
        q = torch.clamp(torch.round(flat / s), -127, 127) * s
        return q.reshape(w.shape)

    @staticmethod
    def _u8(a, dims):
        lo = torch.clamp(a.amin(dim=dims, keepdim=True), max=0)
        hi = torch.clamp(a.amax(dim=dims, keepdim=True), min=0)
        s = torch.clamp((hi - lo) / 255, min=torch.finfo(torch.float32).tiny)
        zp = torch.clamp(torch.round(-lo / s), 0, 255)
        return (torch.clamp(torch.round(a / s) + zp, 0, 255) - zp) * s

    def rows(self, a):
        """A MatMul/Gemm activation: per row, or per group along K."""
        if not self.activations:
            return a
        if self.act_group:
            shape = a.shape
            g = self.act_group
            if shape[-1] % g:
                sys.exit(f"--act-group {g} does not divide K = {shape[-1]}")
            grouped = a.reshape(*shape[:-1], shape[-1] // g, g)
            return self._u8(grouped, (-1,)).reshape(shape)
        return self._u8(a, (-1,))

    def tensor(self, x):
        """A Conv input: per tensor, or with --conv-act-group per pixel and
        group of that many channels (all channels where it does not divide
        C): a scheme the compiler does not have yet."""
        if not self.activations:
            return x
        if self.conv_act_group:
            n, c = x.shape[:2]
            g = self.conv_act_group if c % self.conv_act_group == 0 else c
            grouped = x.reshape(n, c // g, g, *x.shape[2:])
            return self._u8(grouped, (2,)).reshape(x.shape)
        return self._u8(x, tuple(range(x.dim())))


def rel_l2(a, b):
    return ((a - b).norm() / a.norm()).item()


def compare(run_f32, run_q, make_input, sets):
    errs, agree, rows = [], 0, 0
    for _ in range(sets):
        x = make_input()
        with torch.no_grad():
            a = run_f32(x)
            b = run_q(x)
        errs.append(rel_l2(a, b))
        a2 = a.reshape(-1, a.shape[-1])
        b2 = b.reshape(-1, b.shape[-1])
        agree += int((a2.argmax(-1) == b2.argmax(-1)).sum())
        rows += a2.shape[0]
    print(f"rel_l2 mean {np.mean(errs):.4f} max {np.max(errs):.4f}, "
          f"top1_agreement {100.0 * agree / rows:.2f}% ({agree} of {rows} rows)")


def simulate_bert(scheme, sets):
    import export_real_models as E
    torch.manual_seed(0)
    spec = E.build_bert()
    model, example = spec.model, spec.example_input
    linear = F.linear

    def fake_linear(a, w, b=None):
        # torch's weight is [N, K]: one output channel per row.
        return linear(scheme.rows(a), scheme.weight(w), b)

    def run(quantized):
        F.linear = fake_linear if quantized else linear
        try:
            # Autograd on keeps TransformerEncoderLayer off its fused fast
            # path, which does not call F.linear (as export_real_models.py).
            with torch.enable_grad():
                return model(run.x).detach()
        finally:
            F.linear = linear

    def f32(x):
        run.x = x
        return run(False)

    def quant(x):
        run.x = x
        return run(True)

    torch.manual_seed(1)
    compare(f32, quant, lambda: torch.randn_like(example), sets)


def attr(node, name, default):
    import onnx
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def fold_batchnorms(model, inits):
    """Folds each BatchNormalization that follows a Conv (its only user)
    into the Conv's weights and bias, as onnxc-fold-batchnorm does before
    quantization, so that the simulated weights are the compiler's."""
    users = {}
    for n in model.graph.node:
        for t in n.input:
            users[t] = users.get(t, 0) + 1
    producers = {o: n for n in model.graph.node for o in n.output}
    for bn in model.graph.node:
        if bn.op_type != "BatchNormalization":
            continue
        conv = producers.get(bn.input[0])
        if (conv is None or conv.op_type != "Conv" or users[bn.input[0]] != 1
                or any(t not in inits for t in bn.input[1:5])
                or conv.input[1] not in inits):
            continue
        gamma, beta, mean, var = (inits[t] for t in bn.input[1:5])
        factor = gamma / torch.sqrt(var + attr(bn, "epsilon", 1e-5))
        w = inits[conv.input[1]]
        b = (inits[conv.input[2]] if len(conv.input) > 2 and conv.input[2]
             else torch.zeros_like(mean))
        inits[conv.input[1]] = w * factor.reshape(-1, *([1] * (w.dim() - 1)))
        bias = bn.output[0] + "_folded_bias"
        inits[bias] = (b - mean) * factor + beta
        del conv.input[2:]
        conv.input.append(bias)
        bn.op_type = "Identity"
        del bn.input[1:]


def simulate_onnx(path, scheme, sets):
    import onnx
    from onnx import numpy_helper
    model = onnx.load(path)
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy())
             for i in model.graph.initializer}
    graph_input = [i for i in model.graph.input if i.name not in inits][0]
    shape = [d.dim_value for d in graph_input.type.tensor_type.shape.dim]

    fold_batchnorms(model, inits)

    def pads(n, x, kernel):
        """[top, left, bottom, right]: `pads`, or auto_pad's."""
        mode = attr(n, "auto_pad", b"NOTSET")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if mode in ("SAME_UPPER", "SAME_LOWER"):
            strides = attr(n, "strides", [1, 1])
            dil = attr(n, "dilations", [1, 1])
            begin, end = [], []
            for d in range(2):
                size = x.shape[2 + d]
                out = -(-size // strides[d])
                total = max((out - 1) * strides[d] + (kernel[d] - 1) * dil[d]
                            + 1 - size, 0)
                small = total // 2
                begin.append(small if mode == "SAME_UPPER" else total - small)
                end.append(total - begin[-1])
            return begin + end
        return attr(n, "pads", [0, 0, 0, 0])

    def padded(x, p, value=0.0):
        return F.pad(x, (p[1], p[3], p[0], p[2]), value=value)

    def run(x, quantized):
        env = dict(inits)
        env[graph_input.name] = x
        for n in model.graph.node:
            i = [env[t] if t else None for t in n.input]
            op = n.op_type
            if op == "Conv":
                g = attr(n, "group", 1)
                x_, w = i[0], i[1]
                p = pads(n, x_, w.shape[2:])
                if quantized and g == 1:
                    x_, w = scheme.tensor(x_), scheme.weight(w)
                y = F.conv2d(padded(x_, p), w, i[2] if len(i) > 2 else None,
                             stride=attr(n, "strides", [1, 1]), groups=g,
                             dilation=attr(n, "dilations", [1, 1]))
            elif op == "BatchNormalization":
                y = F.batch_norm(i[0], i[3], i[4], i[1], i[2],
                                 eps=attr(n, "epsilon", 1e-5))
            elif op == "Gemm":
                a, b = i[0], i[1]
                if attr(n, "transA", 0):
                    a = a.t()
                bt = b if attr(n, "transB", 0) else b.t()  # [N, K]
                if quantized:
                    a, bt = scheme.rows(a), scheme.weight(bt)
                y = attr(n, "alpha", 1.0) * (a @ bt.t())
                if len(i) > 2 and i[2] is not None:
                    y = y + attr(n, "beta", 1.0) * i[2]
            elif op == "Relu":
                y = F.relu(i[0])
            elif op == "Clip":
                lo = i[1].item() if len(i) > 1 and i[1] is not None else None
                hi = i[2].item() if len(i) > 2 and i[2] is not None else None
                y = torch.clamp(i[0], lo, hi)
            elif op == "Add":
                y = i[0] + i[1]
            elif op == "MaxPool":
                k = attr(n, "kernel_shape", None)
                p = pads(n, i[0], k)
                y = F.max_pool2d(padded(i[0], p, float("-inf")), k,
                                 attr(n, "strides", None),
                                 ceil_mode=bool(attr(n, "ceil_mode", 0)))
            elif op == "AveragePool":
                # Padding is left out of each average (count_include_pad 0).
                k = attr(n, "kernel_shape", None)
                p = pads(n, i[0], k)
                st = attr(n, "strides", None)
                total = F.avg_pool2d(padded(i[0], p), k, st, divisor_override=1)
                count = F.avg_pool2d(padded(torch.ones_like(i[0][:1, :1]), p),
                                     k, st, divisor_override=1)
                y = total / count
            elif op == "GlobalAveragePool":
                y = i[0].mean((2, 3), keepdim=True)
            elif op == "Flatten":
                y = i[0].reshape(i[0].shape[0], -1)
            elif op == "Reshape":
                y = i[0].reshape([int(v) for v in i[1]])
            elif op == "Concat":
                y = torch.cat(i, attr(n, "axis", 0))
            elif op in ("Dropout", "Identity"):
                y = i[0]
            else:
                sys.exit(f"{n.name}: {op} is not simulated")
            env[n.output[0]] = y
        return env[model.graph.output[0].name]

    torch.manual_seed(1)
    compare(lambda x: run(x, False), lambda x: run(x, True),
            lambda: torch.rand(shape) * 2 - 1, sets)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", choices=["bert"])
    which.add_argument("--onnx", metavar="PATH")
    parser.add_argument("--no-weights", action="store_true")
    parser.add_argument("--no-activations", action="store_true")
    parser.add_argument("--act-group", type=int, default=0)
    parser.add_argument("--conv-act-group", type=int, default=0)
    parser.add_argument("--weight-noise", type=float, default=0.0)
    parser.add_argument("--sets", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    scheme = Scheme(args)
    if args.model == "bert":
        simulate_bert(scheme, args.sets)
    else:
        simulate_onnx(args.onnx, scheme, args.sets)


if __name__ == "__main__":
    main()
