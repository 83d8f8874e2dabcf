#!/usr/bin/python3
"""Export a *trained* CNN to ONNX: the InceptionV3 that the npm package
nsfwjs 4.4.0 (MIT license) ships as a TensorFlow.js layers model.

The real-model tests' networks (export_real_models.py) have random weights,
because no pretrained checkpoint can be downloaded here (no PyPI, no model
hubs). How much int8 quantization costs a network depends on its weights: a
random deep ResNet amplifies any perturbation, a trained one far less. The
npm registry is reachable, and nsfwjs carries trained weights inside its
tarball: a Keras InceptionV3 (299 x 299 x 3 input, 94 convolutions, each
followed by BatchNormalization and ReLU), fine-tuned with a small dense head
(2048 -> 256 -> 128 -> 5 classes). Its weights are stored quantized by
tfjs, per tensor to uint8 (value = min + scale * byte); they are the trained
values on that grid.

The ONNX model is NCHW (input 'input_1' [1, 3, 299, 299]); 'output' is the
last layer's logits (its softmax dropped, so that errors are measured on
the logits). Conversion, layer by layer:

  Conv2D              Conv (kernel HWIO -> OIHW; 'same' -> SAME_UPPER, as TF
                      pads the extra row and column at the end)
  BatchNormalization  BatchNormalization (gamma 1 where Keras has scale=False)
  Activation relu     Relu
  Max/AveragePooling  MaxPool / AveragePool (padding excluded from averages,
                      as TF does)
  Concatenate         Concat on channels
  Flatten, Dense      Flatten, Gemm (+ Relu); Dropout is dropped

Usage: export_trained_cnn.py --out DIR [--cache DIR]
writes DIR/inception_v3-nsfwjs/model.onnx (re-used if present). The
tarball (25 MB) is downloaded from the npm registry into --cache (default
DIR) and checked against its published sha512 before anything is read.
"""

import argparse
import base64
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import urllib.request

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TARBALL = "https://registry.npmjs.org/nsfwjs/-/nsfwjs-4.4.0.tgz"
# The registry's dist.integrity for nsfwjs@4.4.0, as hex.
SHA512 = ("92b0b57e07932d7b59c20769289d239bb86abf481349141044bf8584e6b1689f"
          "568fddade3604eddcb0eda87708130206607f646f9303eda7447c01aedd73e30")
MODEL_DIR = "package/dist/models/inception_v3/"


def fetch_tarball(cache):
    path = os.path.join(cache, "nsfwjs-4.4.0.tgz")
    if not os.path.exists(path):
        os.makedirs(cache, exist_ok=True)
        with urllib.request.urlopen(TARBALL, timeout=300) as response:
            data = response.read()
        with open(path + ".part", "wb") as f:
            f.write(data)
        os.replace(path + ".part", path)
    with open(path, "rb") as f:
        data = f.read()
    if hashlib.sha512(data).hexdigest() != SHA512:
        sys.exit(f"export_trained_cnn: {path} does not have nsfwjs 4.4.0's "
                 "sha512; delete it to download it again")
    return data


# The model files are browserified JS modules: model.min.js returns the
# model as a JS object literal (bare keys, !0/!1, numbers like .5), each
# weight shard returns one base64 string.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?'
                    r'|[A-Za-z_$][A-Za-z0-9_$]*|!0|!1|\s+|.', re.S)


def js_object_literal(text, start):
    """The JS object literal at text[start] ('{'), as Python data."""
    depth, end = 0, start
    for end in range(start, len(text)):
        if text[end] == "{":
            depth += 1
        elif text[end] == "}":
            depth -= 1
            if depth == 0:
                break
    literal = text[start:end + 1]
    out = []
    for m in _TOKEN.finditer(literal):
        t = m.group(0)
        if t[0] == '"':
            out.append(t)
        elif t in ("!0", "!1"):
            out.append("true" if t == "!0" else "false")
        elif re.match(r"-?[\d.]", t) and t != ".":
            out.append(re.sub(r"^(-?)\.", r"\g<1>0.", t))
        elif re.match(r"[A-Za-z_$]", t) and literal[m.end():m.end() + 1] == ":":
            out.append(f'"{t}"')
        else:
            out.append(t)
    return json.loads("".join(out))


def read_model(tarball):
    with tarfile.open(fileobj=io.BytesIO(tarball)) as tar:
        def text(name):
            return tar.extractfile(MODEL_DIR + name).read().decode()
        model_js = text("model.min.js")
        model = js_object_literal(model_js, model_js.index("{modelTopology"))
        raw = b""
        for group in model["weightsManifest"]:
            for path in group["paths"]:
                base = os.path.basename(path)
                if base.endswith(".bin"):
                    base = base[:-len(".bin")]
                shard = text(base + ".min.js")
                strings = re.findall(r'"([A-Za-z0-9+/=]{1000,})"', shard)
                if len(strings) != 1:
                    sys.exit(f"export_trained_cnn: no weights in {path}")
                raw += base64.b64decode(strings[0])
    weights, offset = {}, 0
    for group in model["weightsManifest"]:
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if q:
                if q["dtype"] != "uint8":
                    sys.exit(f"export_trained_cnn: {q['dtype']} weights")
                v = (np.frombuffer(raw, np.uint8, n, offset).astype(np.float32)
                     * np.float32(q["scale"]) + np.float32(q["min"]))
                offset += n
            else:
                v = np.frombuffer(raw, np.float32, n, offset)
                offset += 4 * n
            weights[w["name"]] = v.reshape(w["shape"]).astype(np.float32)
    if offset != len(raw):
        sys.exit("export_trained_cnn: the weights do not fill the shards")
    return model["modelTopology"]["model_config"]["config"], weights


def to_onnx(config, weights):
    nodes, initializers, values = [], [], {}
    output_layer = config["output_layers"][0][0]

    def const(name, array):
        initializers.append(numpy_helper.from_array(
            np.ascontiguousarray(array, np.float32), name))
        return name

    def activation(x, kind, layer):
        if kind in ("linear", None) or (kind == "softmax" and layer == output_layer):
            return x
        if kind != "relu":
            sys.exit(f"export_trained_cnn: activation {kind}")
        nodes.append(helper.make_node("Relu", [x], [layer + "_relu"]))
        return layer + "_relu"

    def pad(padding):
        return "SAME_UPPER" if padding == "same" else "VALID"

    graph_input = None
    for layer in config["layers"]:
        c, name, kind = layer["config"], layer["name"], layer["class_name"]
        ins = [values[i[0]] for i in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
        if kind == "InputLayer":
            _, h, w, ch = c["batch_input_shape"]
            graph_input = helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, ch, h, w])
            values[name] = name
        elif kind == "Conv2D":
            args = [ins[0], const(name + "_W", weights[name + "/kernel"].transpose(3, 2, 0, 1))]
            if c["use_bias"]:
                args.append(const(name + "_B", weights[name + "/bias"]))
            nodes.append(helper.make_node(
                "Conv", args, [name], kernel_shape=c["kernel_size"], strides=c["strides"],
                dilations=c["dilation_rate"], auto_pad=pad(c["padding"])))
            values[name] = activation(name, c["activation"], name)
        elif kind == "BatchNormalization":
            mean = weights[name + "/moving_mean"]
            beta = weights[name + "/beta"] if c["center"] else np.zeros_like(mean)
            gamma = weights[name + "/gamma"] if c["scale"] else np.ones_like(mean)
            nodes.append(helper.make_node(
                "BatchNormalization",
                [ins[0], const(name + "_g", gamma), const(name + "_b", beta),
                 const(name + "_m", mean), const(name + "_v", weights[name + "/moving_variance"])],
                [name], epsilon=c["epsilon"]))
            values[name] = name
        elif kind == "Activation":
            values[name] = activation(ins[0], c["activation"], name)
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            op = "MaxPool" if kind == "MaxPooling2D" else "AveragePool"
            nodes.append(helper.make_node(op, [ins[0]], [name], kernel_shape=c["pool_size"],
                                          strides=c["strides"], auto_pad=pad(c["padding"])))
            values[name] = name
        elif kind == "Concatenate":
            if c["axis"] not in (-1, 3):
                sys.exit("export_trained_cnn: Concatenate off the channels")
            nodes.append(helper.make_node("Concat", ins, [name], axis=1))
            values[name] = name
        elif kind == "Flatten":
            nodes.append(helper.make_node("Flatten", [ins[0]], [name], axis=1))
            values[name] = name
        elif kind == "Dense":
            nodes.append(helper.make_node(
                "Gemm", [ins[0], const(name + "_W", weights[name + "/kernel"]),
                         const(name + "_B", weights[name + "/bias"])], [name]))
            values[name] = activation(name, c["activation"], name)
        elif kind == "Dropout":
            values[name] = ins[0]
        else:
            sys.exit(f"export_trained_cnn: layer {kind}")
    nodes.append(helper.make_node("Identity", [values[output_layer]], ["output"]))
    graph = helper.make_graph(
        nodes, "inception_v3_nsfwjs", [graph_input],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 5])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="export_trained_cnn.py")
    return onnx.shape_inference.infer_shapes(model)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--cache")
    args = ap.parse_args()
    out_dir = os.path.join(args.out, "inception_v3-nsfwjs")
    path = os.path.join(out_dir, "model.onnx")
    if os.path.exists(path):
        return
    config, weights = read_model(fetch_tarball(args.cache or args.out))
    model = to_onnx(config, weights)
    onnx.checker.check_model(model)
    os.makedirs(out_dir, exist_ok=True)
    onnx.save(model, path + ".part")
    os.replace(path + ".part", path)


if __name__ == "__main__":
    main()
