#!/usr/bin/python3
"""Writes small ONNX models for the importer's lit tests.

Usage: make_test_model.py NAME OUT.onnx

Each NAME is one builder below. Lit tests call this to get exactly the
model they check, so the `.onnx` files are never committed. Some builders
write hostile models on purpose (bad external data paths, truncated files,
absurd shapes); a few write extra files beside OUT.onnx.

Needs Debian's python3-onnx (only /usr/bin/python3 has it).
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BUILDERS = {}


def builder(fn):
    BUILDERS[fn.__name__] = fn
    return fn


def tensor_info(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def model_of(nodes, inputs, outputs, initializers=(), opset=17, ir=8,
             domains=(), value_info=(), functions=()):
    graph = helper.make_graph(nodes, "test", inputs, outputs,
                              initializer=list(initializers),
                              value_info=list(value_info))
    imports = [helper.make_opsetid("", opset)]
    imports += [helper.make_opsetid(d, v) for d, v in domains]
    model = helper.make_model(graph, opset_imports=imports,
                              functions=list(functions),
                              producer_name="make_test_model")
    model.ir_version = ir
    return model


# --- Well-formed models -----------------------------------------------------

@builder
def unsorted(out):
    """Nodes listed consumers first; the importer must sort them."""
    nodes = [
        helper.make_node("Relu", ["t1"], ["y"], name="last"),
        helper.make_node("Mul", ["t0", "x"], ["t1"], name="middle"),
        helper.make_node("Add", ["x", "x"], ["t0"], name="first"),
    ]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2, 3])],
                    [tensor_info("y", TensorProto.FLOAT, [2, 3])])


@builder
def weights(out):
    """An initializer and Constant nodes in all their forms."""
    w = numpy_helper.from_array(np.array([[1, 2], [3, 4]], np.float32), "W")
    nodes = [
        helper.make_node("Constant", [], ["c"], name="const_tensor",
                         value=numpy_helper.from_array(
                             np.array([0.5, -1.0], np.float32))),
        helper.make_node("Constant", [], ["f"], name="const_float",
                         value_float=2.0),
        helper.make_node("Constant", [], ["ints"], name="const_ints",
                         value_ints=[1, 2, 3]),
        helper.make_node("MatMul", ["x", "W"], ["m"], name="matmul"),
        helper.make_node("Add", ["m", "c"], ["a"], name="add"),
        helper.make_node("Mul", ["a", "f"], ["y"], name="scale"),
    ]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [1, 2])],
                    [tensor_info("y", TensorProto.FLOAT, [1, 2]),
                     tensor_info("ints", TensorProto.INT64, [3])],
                    initializers=[w])


@builder
def weights_as_inputs(out):
    """Old exporters list initializers among the graph inputs too."""
    w = numpy_helper.from_array(np.ones((2,), np.float32), "B")
    nodes = [helper.make_node("Add", ["x", "B"], ["y"], name="add")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2]),
                            tensor_info("B", TensorProto.FLOAT, [2])],
                    [tensor_info("y", TensorProto.FLOAT, [2])],
                    initializers=[w], opset=7, ir=3)


@builder
def symbolic_dims(out):
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    return model_of(nodes,
                    [tensor_info("x", TensorProto.FLOAT, ["batch", "seq", 4])],
                    [tensor_info("y", TensorProto.FLOAT, ["batch", "seq", 4])])


@builder
def described(out):
    """A model that says what it is: producer name and version, a second
    opset domain, metadata_props, symbolic and static dims, two dtypes."""
    nodes = [
        helper.make_node("Relu", ["x"], ["y"], name="relu"),
        helper.make_node("Cast", ["x"], ["n"], name="cast",
                         to=TensorProto.INT64),
    ]
    model = model_of(nodes,
                     [tensor_info("x", TensorProto.FLOAT, ["batch", 4])],
                     [tensor_info("y", TensorProto.FLOAT, ["batch", 4]),
                      tensor_info("n", TensorProto.INT64, ["batch", 4])],
                     domains=[("ai.onnx.ml", 3)])
    model.producer_version = "9.8.7"
    helper.set_model_props(model, {"author": "lit", "license": "MIT"})
    return model


@builder
def shape_inference(out):
    """No value_info: every intermediate type comes from ONNX inference."""
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], name="transpose",
                         perm=[1, 0]),
        helper.make_node("MatMul", ["t", "x"], ["m"], name="matmul"),
        helper.make_node("ReduceSum", ["m"], ["y"], name="sum", keepdims=0),
    ]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [3, 5])],
                    [tensor_info("y", TensorProto.FLOAT, None)])


@builder
def control_flow(out):
    """If whose branches capture an outer value, and a Loop."""
    then_g = helper.make_graph(
        [helper.make_node("Add", ["x", "x"], ["t"], name="then_add")],
        "then", [], [tensor_info("t", TensorProto.FLOAT, [2])])
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["e"], name="else_neg")],
        "else", [], [tensor_info("e", TensorProto.FLOAT, [2])])
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"],
                          name="body_cond"),
         helper.make_node("Mul", ["acc_in", "x"], ["acc_out"],
                          name="body_mul")],
        "body",
        [tensor_info("iter", TensorProto.INT64, []),
         tensor_info("cond_in", TensorProto.BOOL, []),
         tensor_info("acc_in", TensorProto.FLOAT, [2])],
        [tensor_info("cond_out", TensorProto.BOOL, []),
         tensor_info("acc_out", TensorProto.FLOAT, [2])])
    nodes = [
        helper.make_node("If", ["c"], ["r"], name="branch",
                         then_branch=then_g, else_branch=else_g),
        helper.make_node("Loop", ["n", "", "r"], ["y"], name="loop",
                         body=body),
    ]
    return model_of(nodes, [tensor_info("c", TensorProto.BOOL, []),
                            tensor_info("n", TensorProto.INT64, []),
                            tensor_info("x", TensorProto.FLOAT, [2])],
                    [tensor_info("y", TensorProto.FLOAT, [2])])


@builder
def optional_io(out):
    """Clip without min but with max; Dropout without its mask output."""
    mx = numpy_helper.from_array(np.array(6.0, np.float32), "max")
    nodes = [
        helper.make_node("Clip", ["x", "", "max"], ["c"], name="clip"),
        helper.make_node("Dropout", ["c"], ["y"], name="dropout"),
    ]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [4])],
                    [tensor_info("y", TensorProto.FLOAT, [4])],
                    initializers=[mx])


@builder
def softmax_opset11(out):
    nodes = [helper.make_node("Softmax", ["x"], ["y"], name="softmax")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2, 3])],
                    [tensor_info("y", TensorProto.FLOAT, [2, 3])], opset=11)


@builder
def softmax_opset13(out):
    nodes = [helper.make_node("Softmax", ["x"], ["y"], name="softmax")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2, 3])],
                    [tensor_info("y", TensorProto.FLOAT, [2, 3])], opset=13)


@builder
def matmul_f32(out):
    """A float MatMul big enough for a real hot loop (64x128 by 128x96): the
    codegen tests look for vector FMAs in its machine code."""
    nodes = [helper.make_node("MatMul", ["a", "b"], ["y"], name="matmul")]
    return model_of(nodes, [tensor_info("a", TensorProto.FLOAT, [64, 128]),
                            tensor_info("b", TensorProto.FLOAT, [128, 96])],
                    [tensor_info("y", TensorProto.FLOAT, [64, 96])], opset=13)


@builder
def wide_matmul(out):
    """One MatMul with 4 MiB of constant weights (x [1, 1024] by a fixed
    random [1024, 1024], seed 0): the runtime test that a library's
    embedded weights are mapped when its first session is created."""
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(
        (rng.standard_normal((1024, 1024)) * 0.03).astype(np.float32), "w")
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="matmul")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [1, 1024])],
                    [tensor_info("y", TensorProto.FLOAT, [1, 1024])], [w])


@builder
def strings(out):
    nodes = [helper.make_node(
        "Constant", [], ["s"], name="words",
        value=helper.make_tensor("w", TensorProto.STRING, [2],
                                 [b"hello", b"world"])),
        helper.make_node("StringNormalizer", ["s"], ["y"], name="norm",
                         case_change_action="UPPER")]
    return model_of(nodes, [], [tensor_info("y", TensorProto.STRING, None)],
                    opset=10)


@builder
def model_function(out):
    """A model-local function (IR 8) called twice, with an attribute ref."""
    leaky = helper.make_node("LeakyRelu", ["a"], ["b"], name="leaky")
    leaky.attribute.add().CopyFrom(onnx.AttributeProto(
        name="alpha", ref_attr_name="slope", type=onnx.AttributeProto.FLOAT))
    fn = helper.make_function(
        "custom", "ScaledLeaky", ["a"], ["c"],
        [leaky, helper.make_node("Add", ["b", "b"], ["c"], name="double")],
        [helper.make_opsetid("", 17)], attributes=["slope"])
    nodes = [
        helper.make_node("ScaledLeaky", ["x"], ["h"], name="call1",
                         domain="custom", slope=0.25),
        helper.make_node("ScaledLeaky", ["h"], ["y"], name="call2",
                         domain="custom", slope=0.5),
    ]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [3])],
                    [tensor_info("y", TensorProto.FLOAT, [3])],
                    domains=[("custom", 1)], functions=[fn])


@builder
def unused_domain(out):
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2])],
                    [tensor_info("y", TensorProto.FLOAT, [2])],
                    domains=[("com.microsoft", 1)])


@builder
def ir_version_10(out):
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2])],
                    [tensor_info("y", TensorProto.FLOAT, [2])], ir=10)


@builder
def opset18_reduce(out):
    """ReduceMax-18 takes axes as an input; it becomes the axes attribute."""
    axes = numpy_helper.from_array(np.array([1], np.int64), "axes")
    nodes = [
        helper.make_node("ReduceMax", ["x", "axes"], ["m"], name="rmax",
                         keepdims=1),
        helper.make_node("ReduceMean", ["m"], ["y"], name="rmean_noop",
                         noop_with_empty_axes=1),
    ]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2, 3])],
                    [tensor_info("y", TensorProto.FLOAT, [2, 1])],
                    initializers=[axes], opset=18, ir=8)


@builder
def opset20_dft(out):
    nodes = [helper.make_node("DFT", ["x", "", "axis"], ["y"], name="dft")]
    axis = numpy_helper.from_array(np.array(1, np.int64), "axis")
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [1, 8, 1])],
                    [tensor_info("y", TensorProto.FLOAT, [1, 8, 2])],
                    initializers=[axis], opset=20, ir=9)


@builder
def opset30(out):
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2])],
                    [tensor_info("y", TensorProto.FLOAT, [2])], opset=30)


@builder
def external_ok(out):
    """Weights in a file beside the model, read with offset and length."""
    folder = os.path.dirname(os.path.abspath(out))
    data = np.arange(4, dtype=np.float32)
    with open(os.path.join(folder, "weights.bin"), "wb") as f:
        f.write(b"\0" * 16 + data.tobytes())
    return _external_model("weights.bin", offset=16, length=16)


def _external_model(location, offset=None, length=None):
    w = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[4])
    w.data_location = TensorProto.EXTERNAL
    entries = [("location", location)]
    if offset is not None:
        entries.append(("offset", str(offset)))
    if length is not None:
        entries.append(("length", str(length)))
    for k, v in entries:
        e = w.external_data.add()
        e.key, e.value = k, v
    nodes = [helper.make_node("Add", ["x", "W"], ["y"], name="add_weights")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [4])],
                    [tensor_info("y", TensorProto.FLOAT, [4])],
                    initializers=[w])


# --- Hostile and broken models ----------------------------------------------

@builder
def external_absolute(out):
    return _external_model("/etc/passwd")


@builder
def external_dotdot(out):
    return _external_model("../outside.bin")


@builder
def external_symlink(out):
    folder = os.path.dirname(os.path.abspath(out))
    link = os.path.join(folder, "link.bin")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("/etc/passwd", link)
    return _external_model("link.bin")


@builder
def external_hardlink(out):
    folder = os.path.dirname(os.path.abspath(out))
    first = os.path.join(folder, "data.bin")
    second = os.path.join(folder, "data2.bin")
    for p in (first, second):
        if os.path.lexists(p):
            os.remove(p)
    with open(first, "wb") as f:
        f.write(np.zeros(4, np.float32).tobytes())
    os.link(first, second)
    return _external_model("data2.bin")


@builder
def external_past_end(out):
    folder = os.path.dirname(os.path.abspath(out))
    with open(os.path.join(folder, "short.bin"), "wb") as f:
        f.write(b"\0" * 8)
    return _external_model("short.bin", offset=0, length=16)


@builder
def missing_input(out):
    nodes = [helper.make_node("Add", ["x", "nope"], ["y"], name="add_missing")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2])],
                    [tensor_info("y", TensorProto.FLOAT, [2])])


@builder
def unknown_op(out):
    nodes = [helper.make_node("FooBar", ["x"], ["y"], name="mystery")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2])],
                    [tensor_info("y", TensorProto.FLOAT, [2])])


@builder
def unknown_domain(out):
    nodes = [helper.make_node("FusedGemm", ["x"], ["y"], name="fused",
                              domain="com.microsoft")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2])],
                    [tensor_info("y", TensorProto.FLOAT, [2])],
                    domains=[("com.microsoft", 1)])


@builder
def cycle(out):
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="cyc_a"),
             helper.make_node("Relu", ["a"], ["b"], name="cyc_b")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2])],
                    [tensor_info("a", TensorProto.FLOAT, [2])])


@builder
def unknown_attribute(out):
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu_attr",
                              alpha=0.5)]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2])],
                    [tensor_info("y", TensorProto.FLOAT, [2])])


@builder
def wrong_attribute_type(out):
    nodes = [helper.make_node("Transpose", ["x"], ["y"], name="tr",
                              perm="0,1")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2, 2])],
                    [tensor_info("y", TensorProto.FLOAT, [2, 2])])


@builder
def missing_required_attribute(out):
    nodes = [helper.make_node("Cast", ["x"], ["y"], name="cast_no_to")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2])],
                    [tensor_info("y", TensorProto.INT32, [2])])


@builder
def bad_tensor_size(out):
    w = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[4],
                    raw_data=b"\0" * 12)
    nodes = [helper.make_node("Add", ["x", "W"], ["y"], name="add_w")]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [4])],
                    [tensor_info("y", TensorProto.FLOAT, [4])],
                    initializers=[w])


@builder
def absurd_shape(out):
    w = TensorProto(name="W", data_type=TensorProto.FLOAT,
                    dims=[1 << 40, 1 << 40], raw_data=b"\0" * 4)
    nodes = [helper.make_node("Identity", ["W"], ["y"], name="ident")]
    return model_of(nodes, [], [tensor_info("y", TensorProto.FLOAT, None)],
                    initializers=[w])


@builder
def type_mismatch(out):
    """Sqrt on int32 is not allowed by its schema; the verifier says so."""
    nodes = [helper.make_node("Sqrt", ["x"], ["y"], name="int_sqrt")]
    return model_of(nodes, [tensor_info("x", TensorProto.INT32, [2])],
                    [tensor_info("y", TensorProto.INT32, [2])])


# --- Graph-pass models (passes/graph/) ---------------------------------------

def _np_conv2d(x, w, b, pad):
    """Reference NCHW convolution, stride 1, in float64."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, o, oh, ow))
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("nchw,oc->nohw", xp[:, :, i:i + oh, j:j + ow],
                           w[:, :, i, j])
    return y if b is None else y + b.reshape(1, -1, 1, 1)


def _np_batchnorm(x, scale, bias, mean, var, eps):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return ((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
            * scale.reshape(shape) + bias.reshape(shape))


@builder
def conv_batchnorm(out):
    """Conv (bias) -> BatchNormalization -> Relu -> Conv 1x1 (no bias) ->
    Identity -> BatchNormalization -> Flatten -> Gemm (transB) ->
    BatchNormalization, random weights; writes test_data_set_0/ beside OUT
    with numpy's outputs, so onnx-run can check the folded weights."""
    rng = np.random.default_rng(5)
    f32 = np.float32
    x = rng.standard_normal((2, 3, 6, 6)).astype(f32)
    w1 = rng.standard_normal((8, 3, 3, 3)).astype(f32)
    b1 = rng.standard_normal(8).astype(f32)
    w2 = rng.standard_normal((4, 8, 1, 1)).astype(f32)
    wg = (rng.standard_normal((5, 4 * 6 * 6)) * 0.1).astype(f32)
    cg = rng.standard_normal(5).astype(f32)

    def bn_params(c, tag):
        return [numpy_helper.from_array(a.astype(f32), f"{tag}_{k}")
                for k, a in (("scale", rng.uniform(0.5, 2.0, c)),
                             ("bias", rng.standard_normal(c)),
                             ("mean", rng.standard_normal(c)),
                             ("var", rng.uniform(0.1, 3.0, c)))]

    bns = {tag: bn_params(c, tag) for tag, c in
           (("bn1", 8), ("bn2", 4), ("bn3", 5))}
    inits = [numpy_helper.from_array(a, n) for a, n in
             ((w1, "w1"), (b1, "b1"), (w2, "w2"), (wg, "wg"), (cg, "cg"))]
    for params in bns.values():
        inits += params

    def bn_node(tag, inp, outp, eps):
        return helper.make_node(
            "BatchNormalization", [inp] + [t.name for t in bns[tag]], [outp],
            name=tag, epsilon=eps)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1",
                         pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        bn_node("bn1", "c1", "n1", 1e-5),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], name="conv2",
                         kernel_shape=[1, 1]),
        helper.make_node("Identity", ["c2"], ["i2"], name="ident"),
        bn_node("bn2", "i2", "n2", 1e-3),
        helper.make_node("Flatten", ["n2"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "wg", "cg"], ["g"], name="gemm",
                         transB=1, beta=0.5),
        bn_node("bn3", "g", "y", 1e-5),
    ]

    def bn_np(tag, v, eps):
        p = [numpy_helper.to_array(t).astype(np.float64) for t in bns[tag]]
        return _np_batchnorm(v, *p, eps)

    x64 = x.astype(np.float64)
    r1 = np.maximum(bn_np("bn1", _np_conv2d(x64, w1.astype(np.float64),
                                            b1.astype(np.float64), 1),
                          1e-5), 0)
    n2 = bn_np("bn2", _np_conv2d(r1, w2.astype(np.float64), None, 0), 1e-3)
    g = n2.reshape(2, -1) @ wg.astype(np.float64).T + 0.5 * cg
    y = bn_np("bn3", g, 1e-5).astype(f32)

    data = os.path.join(os.path.dirname(os.path.abspath(out)),
                        "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    for name, arr in (("input_0.pb", numpy_helper.from_array(x, "x")),
                      ("output_0.pb", numpy_helper.from_array(y, "y"))):
        with open(os.path.join(data, name), "wb") as fh:
            fh.write(arr.SerializeToString())
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2, 3, 6, 6])],
                    [tensor_info("y", TensorProto.FLOAT, [2, 5])], inits)


def _np_dynamic_quantize(x):
    """DynamicQuantizeLinear in f32, as the spec computes it."""
    f32 = np.float32
    lo = min(f32(0), x.min())
    hi = max(f32(0), x.max())
    scale = f32(hi - lo) / f32(255)
    zp = np.clip(np.round(f32(0) - lo / scale), 0, 255)
    q = np.clip(np.round(x / scale) + zp, 0, 255)
    return q.astype(np.uint8), f32(scale), np.uint8(zp)


@builder
def quantized_matmuls(out):
    """Three quantized MatMuls of one activation x [2, 5, 22] f32 by
    [22, 20] weights, as other tools write them: (1) onnxruntime
    quantize_dynamic's default (DynamicQuantizeLinear, MatMulInteger with
    an int8 weight and zero point 0, Cast, Mul by a_scale * w_scale, then a
    bias Add); (2) the same with a uint8 weight and zero points per column;
    (3) QDQ, QuantizeLinear -> DequantizeLinear of x (uint8, zero point
    120) and a per-column (axis 1) DequantizeLinear of an int8 weight with
    zero points. K = 22 and N = 20 are not multiples of the integer
    kernel's 4 and 16. Writes test_data_set_0/ beside OUT with numpy's
    outputs (exact integer sums, f32 scaling as the graph does it)."""
    rng = np.random.default_rng(11)
    f32 = np.float32
    k, n = 22, 20
    x = rng.standard_normal((2, 5, k)).astype(f32)
    w1 = rng.integers(-127, 128, (k, n)).astype(np.int8)
    s1 = f32(0.02)
    b1 = rng.standard_normal(n).astype(f32)
    w2 = rng.integers(0, 256, (k, n)).astype(np.uint8)
    z2 = rng.integers(100, 156, n).astype(np.uint8)
    s2 = rng.uniform(0.01, 0.03, n).astype(f32)
    w3 = rng.integers(-128, 128, (k, n)).astype(np.int8)
    z3 = rng.integers(-5, 6, n).astype(np.int8)
    s3 = rng.uniform(0.01, 0.03, n).astype(f32)
    xs3, xz3 = f32(0.03), np.uint8(120)

    inits = [numpy_helper.from_array(a, name) for a, name in (
        (w1, "w1"), (np.array(s1), "s1"), (np.array(0, np.int8), "z1"), (b1, "b1"),
        (w2, "w2"), (z2, "z2"), (s2, "s2"),
        (w3, "w3"), (z3, "z3"), (s3, "s3"),
        (np.array(xs3), "xs3"), (np.array(xz3), "xz3"))]
    mk = helper.make_node
    nodes = [
        mk("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
        mk("MatMulInteger", ["xq", "w1", "xz", "z1"], ["acc1"]),
        mk("Cast", ["acc1"], ["f1"], to=TensorProto.FLOAT),
        mk("Mul", ["xs", "s1"], ["sc1"]),
        mk("Mul", ["f1", "sc1"], ["m1"]),
        mk("Add", ["m1", "b1"], ["y1"]),
        mk("MatMulInteger", ["xq", "w2", "xz", "z2"], ["acc2"]),
        mk("Cast", ["acc2"], ["f2"], to=TensorProto.FLOAT),
        mk("Mul", ["xs", "s2"], ["sc2"]),
        mk("Mul", ["f2", "sc2"], ["y2"]),
        mk("QuantizeLinear", ["x", "xs3", "xz3"], ["xq3"]),
        mk("DequantizeLinear", ["xq3", "xs3", "xz3"], ["xd3"]),
        mk("DequantizeLinear", ["w3", "s3", "z3"], ["wd3"], axis=1),
        mk("MatMul", ["xd3", "wd3"], ["y3"]),
    ]

    xq, xs, xz = _np_dynamic_quantize(x)
    a = xq.astype(np.int64) - np.int64(xz)
    acc1 = a @ w1.astype(np.int64)
    y1 = acc1.astype(f32) * (xs * s1) + b1
    acc2 = a @ (w2.astype(np.int64) - z2.astype(np.int64))
    y2 = acc2.astype(f32) * (xs * s2)
    xq3 = np.clip(np.round(x / xs3) + f32(xz3), 0, 255)
    xd3 = ((xq3 - f32(xz3)) * xs3).astype(np.float64)
    wd3 = ((w3.astype(f32) - z3.astype(f32)) * s3).astype(np.float64)
    y3 = (xd3 @ wd3).astype(f32)

    data = os.path.join(os.path.dirname(os.path.abspath(out)),
                        "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    tensors = [("input_0.pb", x, "x"), ("output_0.pb", y1, "y1"),
               ("output_1.pb", y2, "y2"), ("output_2.pb", y3, "y3")]
    for file, arr, name in tensors:
        with open(os.path.join(data, file), "wb") as fh:
            fh.write(numpy_helper.from_array(arr, name).SerializeToString())
    shape = [2, 5, n]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [2, 5, k])],
                    [tensor_info(f"y{i}", TensorProto.FLOAT, shape)
                     for i in (1, 2, 3)], inits)


@builder
def same_shape_matmuls(out):
    """Three MatMuls of one input x [10, 64] by constant [64, 40] weights:
    products of one shape (their zero-filled accumulators are one value
    after CSE) with at most 16 rows. Writes test_data_set_0/ beside OUT
    with numpy's outputs."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((10, 64)).astype(np.float32)
    ws = [rng.standard_normal((64, 40)).astype(np.float32) for _ in range(3)]
    nodes = [helper.make_node("MatMul", ["x", f"w{i}"], [f"y{i}"])
             for i in range(3)]
    data = os.path.join(os.path.dirname(os.path.abspath(out)),
                        "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    tensors = [("input_0.pb", x, "x")] + [
        (f"output_{i}.pb", (x.astype(np.float64) @ w).astype(np.float32), f"y{i}")
        for i, w in enumerate(ws)]
    for file, arr, name in tensors:
        with open(os.path.join(data, file), "wb") as fh:
            fh.write(numpy_helper.from_array(arr, name).SerializeToString())
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [10, 64])],
                    [tensor_info(f"y{i}", TensorProto.FLOAT, [10, 40])
                     for i in range(3)],
                    [numpy_helper.from_array(w, f"w{i}") for i, w in enumerate(ws)])


def _quantizable_convs(batch):
    """Conv 3x3 pad 1 (3 -> 16, bias) + Relu, Conv 3x3 stride 2 pad 1
    (16 -> 20, bias) + Relu, Conv 1x1 (20 -> 36, no bias), then a depthwise
    Conv 3x3 (group 36, which --quantize=dynamic-int8 leaves in f32), on a
    [batch, 3, 13, 13] input with random weights. Outputs: the 1x1 conv's
    result c2 and the depthwise conv's y."""
    rng = np.random.default_rng(2)
    shapes = {"w0": (16, 3, 3, 3), "w1": (20, 16, 3, 3), "w2": (36, 20, 1, 1),
              "w3": (36, 1, 3, 3)}
    inits = [numpy_helper.from_array(
        (rng.standard_normal(s) / np.sqrt(np.prod(s[1:]))).astype(np.float32),
        n) for n, s in shapes.items()]
    inits += [numpy_helper.from_array(
        rng.standard_normal(c).astype(np.float32), n)
        for n, c in (("b0", 16), ("b1", 20))]
    nodes = [
        helper.make_node("Conv", ["x", "w0", "b0"], ["c0"], pads=[1] * 4),
        helper.make_node("Relu", ["c0"], ["r0"]),
        helper.make_node("Conv", ["r0", "w1", "b1"], ["c1"], pads=[1] * 4,
                         strides=[2, 2]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"]),
        helper.make_node("Conv", ["c2", "w3"], ["y"], pads=[1] * 4, group=36),
    ]
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [batch, 3, 13, 13])],
                    [tensor_info("c2", TensorProto.FLOAT, [batch, 36, 7, 7]),
                     tensor_info("y", TensorProto.FLOAT, [batch, 36, 7, 7])],
                    inits)


@builder
def quantizable_convs(out):
    """_quantizable_convs for one image."""
    return _quantizable_convs(1)


@builder
def quantizable_convs_batch2(out):
    """_quantizable_convs for a batch of 2."""
    return _quantizable_convs(2)


def _np_depthwise(x, w, pads, stride, dil):
    """Reference depthwise NCHW convolution in float64; pads are ONNX's
    [top, left, bottom, right]."""
    t, l, b, r = pads
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (t, b), (l, r)))
    k = w.shape[2]
    oh = (xp.shape[2] - dil * (k - 1) - 1) // stride + 1
    ow = (xp.shape[3] - dil * (k - 1) - 1) // stride + 1
    y = np.zeros((x.shape[0], x.shape[1], oh, ow))
    for i in range(k):
        for j in range(k):
            win = xp[:, :, i * dil:i * dil + stride * (oh - 1) + 1:stride,
                     j * dil:j * dil + stride * (ow - 1) + 1:stride]
            y += win * w[:, 0, i, j].reshape(1, -1, 1, 1)
    return y


@builder
def depthwise_borders(out):
    """Depthwise convolutions of one [1, 4, 11, 11] input whose windows
    reach past every border: 3x3 pad 1; 3x3 pads (0, 1, 2, 1) stride 2;
    3x3 pad 2 dilation 2; 5x5 pads (2, 3, 2, 0); 7x7 pad 3 stride 2.
    Writes test_data_set_0/ beside OUT with numpy's outputs."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 4, 11, 11)).astype(np.float32)
    cases = [(3, [1, 1, 1, 1], 1, 1), (3, [0, 1, 2, 1], 2, 1),
             (3, [2, 2, 2, 2], 1, 2), (5, [2, 3, 2, 0], 1, 1),
             (7, [3, 3, 3, 3], 2, 1)]
    nodes, inits, outputs, expected = [], [], [], []
    for i, (k, pads, stride, dil) in enumerate(cases):
        w = rng.standard_normal((4, 1, k, k)).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        nodes.append(helper.make_node("Conv", ["x", f"w{i}"], [f"y{i}"],
                                      group=4, pads=pads, strides=[stride] * 2,
                                      dilations=[dil] * 2))
        y = _np_depthwise(x, w, pads, stride, dil).astype(np.float32)
        outputs.append(tensor_info(f"y{i}", TensorProto.FLOAT, list(y.shape)))
        expected.append((f"y{i}", y))
    _write_test_data(out, [("x", x)], expected)
    return model_of(nodes, [tensor_info("x", TensorProto.FLOAT, [1, 4, 11, 11])],
                    outputs, inits)


@builder
def nan_propagation(out):
    """Relu, Clip (opset 11+ bounds as inputs, and opset 6 attributes) and
    MaxPool 3x3 stride 2 of an input holding NaNs: each NaN must come out
    as NaN, as in numpy and ONNX Runtime (the lowerings use a
    NaN-propagating max/min that leaves the two zeros unordered). Writes
    test_data_set_0/ beside OUT with numpy's outputs."""
    rng = np.random.default_rng(29)
    f32 = np.float32
    x = rng.standard_normal((1, 2, 7, 7)).astype(f32)
    x[0, 0, 1, 1] = np.nan
    x[0, 1, 6, 3] = np.nan
    lo, hi = np.array(-0.5, f32), np.array(0.5, f32)
    nodes = [
        helper.make_node("Relu", ["x"], ["relu"]),
        helper.make_node("Clip", ["x", "lo", "hi"], ["clip"]),
        helper.make_node("Clip", ["x", "lo"], ["clip_min"]),
        helper.make_node("MaxPool", ["x"], ["pool"], kernel_shape=[3, 3],
                         strides=[2, 2]),
    ]
    pool = np.full((1, 2, 3, 3), np.nan, f32)
    for i in range(3):
        for j in range(3):
            win = x[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            pool[:, :, i, j] = win.max(axis=(2, 3))  # NaN when one is NaN
    results = [("relu", np.maximum(x, 0)), ("clip", np.clip(x, lo, hi)),
               ("clip_min", np.maximum(x, lo)), ("pool", pool)]
    _write_test_data(out, [("x", x)], results)
    return model_of(
        nodes, [tensor_info("x", TensorProto.FLOAT, [1, 2, 7, 7])],
        [tensor_info(n, TensorProto.FLOAT, list(v.shape)) for n, v in results],
        [numpy_helper.from_array(lo, "lo"), numpy_helper.from_array(hi, "hi")])


def _np_conv(x, w, b, pads, stride, dil, group):
    """ONNX Conv (2-D, NCHW) in float64: pads (top, left, bottom, right)."""
    x64 = np.pad(x.astype(np.float64),
                 ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, hp, wp = x64.shape
    m, cg, kh, kw = w.shape
    oh = (hp - dil * (kh - 1) - 1) // stride + 1
    ow = (wp - dil * (kw - 1) - 1) // stride + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // group
    for o in range(m):
        g = o // mg
        for i in range(kh):
            for j in range(kw):
                win = x64[:, g * cg:(g + 1) * cg,
                          i * dil:i * dil + stride * (oh - 1) + 1:stride,
                          j * dil:j * dil + stride * (ow - 1) + 1:stride]
                y[:, o] += np.einsum("nchw,c->nhw", win, w[o, :, i, j])
        if b is not None:
            y[:, o] += b[o]
    return y


@builder
def direct_convs(out):
    """Convolutions that passes/VectorizeDirectConv.cpp computes without an
    im2col copy, on a batch of 2 [32, 13, 13] inputs: 3x3 pad 1 with 40
    output channels (a partial block of channels) + bias + Relu (the
    epilogue); 3x3 pads (2, 1, 0, 2) stride 2, 24 channels, no bias; 3x3
    dilation 2 pad 2 in 2 groups; and a 1x1 + Relu, which stays a matrix
    product. 169 pixels are not a whole number of 6-pixel blocks. A second
    input, [1, 96, 7, 7], feeds a 3x3 pad 1 convolution to 64 channels with
    bias + Relu whose 4-vector blocks would hold 864 x 64 floats of weights
    (over max-panel-bytes): it takes the narrow blocks, 2 vectors by 10
    pixels (49 pixels: the last block has 9). Writes test_data_set_0/
    beside OUT with numpy's outputs."""
    rng = np.random.default_rng(23)
    f32 = np.float32
    x = rng.standard_normal((2, 32, 13, 13)).astype(f32)
    cases = [  # name, out channels, k, pads, stride, dilation, group, bias, relu
        ("y0", 40, 3, [1, 1, 1, 1], 1, 1, 1, True, True),
        ("y1", 24, 3, [2, 1, 0, 2], 2, 1, 1, False, False),
        ("y2", 32, 3, [2, 2, 2, 2], 1, 2, 2, True, False),
        ("y3", 16, 1, [0, 0, 0, 0], 1, 1, 1, True, True),  # 1x1: not taken
    ]
    nodes, inits, outputs, expected = [], [], [], []
    for name, m, k, pads, stride, dil, group, bias, relu in cases:
        w = (rng.standard_normal((m, 32 // group, k, k)) * 0.1).astype(f32)
        b = rng.standard_normal(m).astype(f32) if bias else None
        inits.append(numpy_helper.from_array(w, f"w_{name}"))
        ins = ["x", f"w_{name}"]
        if bias:
            inits.append(numpy_helper.from_array(b, f"b_{name}"))
            ins.append(f"b_{name}")
        conv_out = f"c_{name}" if relu else name
        nodes.append(helper.make_node("Conv", ins, [conv_out], pads=pads,
                                      strides=[stride] * 2,
                                      dilations=[dil] * 2, group=group))
        y = _np_conv(x, w, b, pads, stride, dil, group)
        if relu:
            nodes.append(helper.make_node("Relu", [conv_out], [name]))
            y = np.maximum(y, 0)
        outputs.append(tensor_info(name, TensorProto.FLOAT, list(y.shape)))
        expected.append((name, y.astype(f32)))
    x2 = rng.standard_normal((1, 96, 7, 7)).astype(f32)
    w = (rng.standard_normal((64, 96, 3, 3)) * 0.05).astype(f32)
    b = rng.standard_normal(64).astype(f32)
    inits += [numpy_helper.from_array(w, "w_y4"),
              numpy_helper.from_array(b, "b_y4")]
    nodes += [helper.make_node("Conv", ["x2", "w_y4", "b_y4"], ["c_y4"],
                               pads=[1, 1, 1, 1]),
              helper.make_node("Relu", ["c_y4"], ["y4"])]
    y = np.maximum(_np_conv(x2, w, b, [1, 1, 1, 1], 1, 1, 1), 0)
    outputs.append(tensor_info("y4", TensorProto.FLOAT, list(y.shape)))
    expected.append(("y4", y.astype(f32)))
    _write_test_data(out, [("x", x), ("x2", x2)], expected)
    return model_of(nodes,
                    [tensor_info("x", TensorProto.FLOAT, [2, 32, 13, 13]),
                     tensor_info("x2", TensorProto.FLOAT, [1, 96, 7, 7])],
                    outputs, inits)


def _write_test_data(out, inputs, outputs):
    """test_data_set_0/ beside OUT: inputs and expected outputs, in order."""
    data = os.path.join(os.path.dirname(os.path.abspath(out)),
                        "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    for kind, arrays in (("input", inputs), ("output", outputs)):
        for i, (name, arr) in enumerate(arrays):
            with open(os.path.join(data, f"{kind}_{i}.pb"), "wb") as fh:
                fh.write(numpy_helper.from_array(arr, name)
                         .SerializeToString())


@builder
def fused_epilogues(out):
    """GELU written out as exporters do before opset 20 (PyTorch's erf form
    after MatMul + bias, its tanh form after a plain MatMul), Conv + bias +
    residual Add + Relu, Conv + Clip(0, 6), Conv + HardSwish, Gemm +
    LeakyRelu and MatMul + Sigmoid, random weights; writes test_data_set_0/
    with numpy's float64 outputs, so onnx-run checks the fused ops."""
    import math
    rng = np.random.default_rng(11)
    f32 = np.float32
    x = rng.standard_normal((2, 4, 16)).astype(f32)
    w1 = (rng.standard_normal((16, 32)) * 0.5).astype(f32)
    b1 = rng.standard_normal(32).astype(f32)
    w2 = (rng.standard_normal((32, 8)) * 0.5).astype(f32)
    w3 = (rng.standard_normal((8, 6)) * 0.5).astype(f32)
    img = rng.standard_normal((1, 4, 6, 6)).astype(f32)
    wc = (rng.standard_normal((4, 4, 3, 3)) * 0.3).astype(f32)
    bc = rng.standard_normal(4).astype(f32)
    wc2 = (rng.standard_normal((4, 4, 1, 1)) * 0.5).astype(f32)
    wc3 = (rng.standard_normal((5, 4, 3, 3)) * 0.3).astype(f32)
    wg = (rng.standard_normal((7, 5 * 6 * 6)) * 0.1).astype(f32)
    cg = rng.standard_normal(7).astype(f32)
    inits = [numpy_helper.from_array(a, n) for a, n in (
        (w1, "w1"), (b1, "b1"), (w2, "w2"), (w3, "w3"), (wc, "wc"),
        (bc, "bc"), (wc2, "wc2"), (wc3, "wc3"), (wg, "wg"), (cg, "cg"))]

    def const(name, value):
        return helper.make_node("Constant", [], [name], value=helper.make_tensor(
            name + "_t", TensorProto.FLOAT, [], [value]))

    nodes = [
        # y1 = gelu_erf(x @ w1 + b1), PyTorch's opset-13 export order.
        helper.make_node("MatMul", ["x", "w1"], ["m1"]),
        helper.make_node("Add", ["m1", "b1"], ["a1"]),
        const("sqrt2", 1.4142135381698608),
        helper.make_node("Div", ["a1", "sqrt2"], ["d1"]),
        helper.make_node("Erf", ["d1"], ["e1"]),
        const("one", 1.0),
        helper.make_node("Add", ["e1", "one"], ["t1"]),
        helper.make_node("Mul", ["a1", "t1"], ["p1"]),
        const("half", 0.5),
        helper.make_node("Mul", ["p1", "half"], ["g1"]),
        # y2 = gelu_tanh(g1 @ w2)
        helper.make_node("MatMul", ["g1", "w2"], ["m2"]),
        helper.make_node("Mul", ["m2", "m2"], ["sq"]),
        helper.make_node("Mul", ["m2", "sq"], ["cube"]),
        const("kappa", 0.044715),
        helper.make_node("Mul", ["kappa", "cube"], ["kc"]),
        helper.make_node("Add", ["m2", "kc"], ["inner"]),
        const("beta", math.sqrt(2 / math.pi)),
        helper.make_node("Mul", ["beta", "inner"], ["scaled"]),
        helper.make_node("Tanh", ["scaled"], ["th"]),
        helper.make_node("Add", ["one", "th"], ["t2"]),
        helper.make_node("Mul", ["m2", "t2"], ["p2"]),
        helper.make_node("Mul", ["half", "p2"], ["y_gelu"]),
        # y3 = sigmoid(y_gelu @ w3); y_gelu is an output too.
        helper.make_node("MatMul", ["y_gelu", "w3"], ["m3"]),
        helper.make_node("Sigmoid", ["m3"], ["y_sigmoid"]),
        # Residual block: r = relu(conv(c0) + c0), c0 = clip(conv(img), 0, 6)
        helper.make_node("Conv", ["img", "wc", "bc"], ["c0raw"],
                         pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        const("zero", 0.0), const("six", 6.0),
        helper.make_node("Clip", ["c0raw", "zero", "six"], ["c0"]),
        helper.make_node("Conv", ["c0", "wc2"], ["c1"], kernel_shape=[1, 1]),
        helper.make_node("Add", ["c1", "c0"], ["res"]),
        helper.make_node("Relu", ["res"], ["r"]),
        helper.make_node("Conv", ["r", "wc3"], ["c3"], pads=[1, 1, 1, 1],
                         kernel_shape=[3, 3]),
        helper.make_node("HardSwish", ["c3"], ["hs"]),
        helper.make_node("Flatten", ["hs"], ["flat"]),
        helper.make_node("Gemm", ["flat", "wg", "cg"], ["gm"], transB=1),
        helper.make_node("LeakyRelu", ["gm"], ["y_conv"], alpha=0.1),
    ]

    d = np.float64
    erf = np.vectorize(math.erf)
    a1 = x.astype(d) @ w1.astype(d) + b1.astype(d)
    g1 = 0.5 * a1 * (1 + erf(a1 / math.sqrt(2)))
    m2 = g1 @ w2.astype(d)
    y_gelu = 0.5 * m2 * (1 + np.tanh(math.sqrt(2 / math.pi)
                                     * (m2 + 0.044715 * m2 ** 3)))
    y_sigmoid = 1 / (1 + np.exp(-(y_gelu @ w3.astype(d))))
    c0 = np.clip(_np_conv2d(img.astype(d), wc.astype(d), bc.astype(d), 1),
                 0, 6)
    r = np.maximum(_np_conv2d(c0, wc2.astype(d), None, 0) + c0, 0)
    c3 = _np_conv2d(r, wc3.astype(d), None, 1)
    hs = c3 * np.clip(c3 / 6 + 0.5, 0, 1)
    gm = hs.reshape(1, -1) @ wg.astype(d).T + cg.astype(d)
    y_conv = np.where(gm < 0, 0.1 * gm, gm)
    _write_test_data(out, [("x", x), ("img", img)],
                     [("y_gelu", y_gelu.astype(f32)),
                      ("y_sigmoid", y_sigmoid.astype(f32)),
                      ("y_conv", y_conv.astype(f32))])
    return model_of(
        nodes,
        [tensor_info("x", TensorProto.FLOAT, [2, 4, 16]),
         tensor_info("img", TensorProto.FLOAT, [1, 4, 6, 6])],
        [tensor_info("y_gelu", TensorProto.FLOAT, [2, 4, 8]),
         tensor_info("y_sigmoid", TensorProto.FLOAT, [2, 4, 6]),
         tensor_info("y_conv", TensorProto.FLOAT, [1, 7])],
        inits, opset=17)


@builder
def attention_chains(out):
    """Scaled dot-product attention as exporters write it: with a mask
    (scores Div by sqrt(d), Add mask, Softmax, MatMul by V, K transposed by
    the graph) and without (Q Mul by 1/sqrt(d) before the product); writes
    test_data_set_0/ with numpy's float64 outputs."""
    rng = np.random.default_rng(13)
    f32 = np.float32
    b, h, s, d = 2, 3, 5, 8
    q, k, v = (rng.standard_normal((b, h, s, d)).astype(f32)
               for _ in range(3))
    mask = np.where(rng.random((b, 1, 1, s)) < 0.3, -1e4, 0).astype(f32)

    def const(name, value):
        return helper.make_node("Constant", [], [name], value=helper.make_tensor(
            name + "_t", TensorProto.FLOAT, [], [value]))

    nodes = [
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "kt"], ["s1"]),
        const("sqrt_d", float(np.sqrt(d))),
        helper.make_node("Div", ["s1", "sqrt_d"], ["d1"]),
        helper.make_node("Add", ["d1", "mask"], ["m1"]),
        helper.make_node("Softmax", ["m1"], ["p1"], axis=-1),
        helper.make_node("MatMul", ["p1", "v"], ["y_masked"]),
        const("inv_sqrt_d", float(1 / np.sqrt(d))),
        helper.make_node("Mul", ["q", "inv_sqrt_d"], ["qs"]),
        helper.make_node("Transpose", ["k"], ["kt2"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["qs", "kt2"], ["s2"]),
        helper.make_node("Softmax", ["s2"], ["p2"], axis=3),
        helper.make_node("MatMul", ["p2", "v"], ["y_plain"]),
    ]

    def softmax(x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    q64, k64, v64 = (a.astype(np.float64) for a in (q, k, v))
    scores = q64 @ np.swapaxes(k64, -1, -2) / np.sqrt(d)
    y_masked = softmax(scores + mask.astype(np.float64)) @ v64
    y_plain = softmax(scores) @ v64
    _write_test_data(out, [("q", q), ("k", k), ("v", v), ("mask", mask)],
                     [("y_masked", y_masked.astype(f32)),
                      ("y_plain", y_plain.astype(f32))])
    shape = [b, h, s, d]
    return model_of(
        nodes,
        [tensor_info(n, TensorProto.FLOAT, shape) for n in ("q", "k", "v")]
        + [tensor_info("mask", TensorProto.FLOAT, [b, 1, 1, s])],
        [tensor_info("y_masked", TensorProto.FLOAT, shape),
         tensor_info("y_plain", TensorProto.FLOAT, shape)], opset=17)


@builder
def panel_products(out):
    """Products whose operands the CPU kernels read from packed panels
    (passes/ColumnPanels.h): x [20, 1024] by a constant [1024, 1000] (B
    packed at compile time, its last panel zero-padded; A's rows 4 KiB apart,
    packed at run time); Gemm(a [48, 64], b [40, 64], transB=1) with b an
    input (B read across its rows: packed at run time, 40 columns a partial
    last panel); q [2, 3, 40, 64] by k's transpose; and, for contrast, a
    product by an input [1000, 96] read in place. Writes test_data_set_0/
    with numpy's float64 outputs."""
    rng = np.random.default_rng(17)
    f32 = np.float32
    x = rng.standard_normal((20, 1024)).astype(f32)
    w = rng.standard_normal((1024, 1000)).astype(f32)
    a = rng.standard_normal((48, 64)).astype(f32)
    b = rng.standard_normal((40, 64)).astype(f32)
    q = rng.standard_normal((2, 3, 40, 64)).astype(f32)
    k = rng.standard_normal((2, 3, 40, 64)).astype(f32)
    # Scaled so that xwv (sums of 1000 products of xw ~ 32) stays near 1.
    v = (rng.standard_normal((1000, 96)) / 32).astype(f32)
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["xw"]),
        helper.make_node("Gemm", ["a", "b"], ["abt"], transB=1),
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "kt"], ["scores"]),
        helper.make_node("MatMul", ["xw", "v"], ["xwv"]),
    ]
    f64 = np.float64
    xw = x.astype(f64) @ w.astype(f64)
    abt = a.astype(f64) @ b.astype(f64).T
    scores = q.astype(f64) @ np.swapaxes(k.astype(f64), -1, -2)
    xwv = xw.astype(f32).astype(f64) @ v.astype(f64)
    _write_test_data(out, [("x", x), ("a", a), ("b", b), ("q", q), ("k", k),
                           ("v", v)],
                     [("xw", xw.astype(f32)), ("abt", abt.astype(f32)),
                      ("scores", scores.astype(f32)), ("xwv", xwv.astype(f32))])
    return model_of(
        nodes,
        [tensor_info("x", TensorProto.FLOAT, [20, 1024]),
         tensor_info("a", TensorProto.FLOAT, [48, 64]),
         tensor_info("b", TensorProto.FLOAT, [40, 64]),
         tensor_info("q", TensorProto.FLOAT, [2, 3, 40, 64]),
         tensor_info("k", TensorProto.FLOAT, [2, 3, 40, 64]),
         tensor_info("v", TensorProto.FLOAT, [1000, 96])],
        [tensor_info("xw", TensorProto.FLOAT, [20, 1000]),
         tensor_info("abt", TensorProto.FLOAT, [48, 40]),
         tensor_info("scores", TensorProto.FLOAT, [2, 3, 40, 40]),
         tensor_info("xwv", TensorProto.FLOAT, [20, 96])],
        [numpy_helper.from_array(w, "w")], opset=17)


@builder
def row_reductions(out):
    """Reductions along the last axis that the CPU pipeline vectorizes
    (passes/VectorizeRowReductions.cpp), rows of 37 (two vectors of 16 and
    a partial one) and 100: ReduceMax (one row holds a NaN, which must come
    out), ReduceMin, ReduceSum, ReduceMean, ReduceLogSumExp, ReduceL2,
    Softmax, LogSoftmax and LayerNormalization, and a ReduceMin over all
    axes and a ReduceMax over the last two (several reduced dims); opset 17 (axes attributes
    for ReduceMax/Min/Mean, inputs for ReduceSum). Writes test_data_set_0/
    with numpy's float64 results."""
    rng = np.random.default_rng(19)
    f32, f64 = np.float32, np.float64
    x = rng.standard_normal((6, 37)).astype(f32)
    x[2, 17] = np.nan
    z = rng.standard_normal((3, 4, 100)).astype(f32)
    scale = rng.standard_normal(100).astype(f32)
    bias = rng.standard_normal(100).astype(f32)
    axes = np.array([-1], dtype=np.int64)
    nodes = [
        helper.make_node("ReduceMax", ["x"], ["max"], axes=[-1], keepdims=0),
        helper.make_node("ReduceMin", ["z"], ["min"], axes=[2]),
        helper.make_node("ReduceSum", ["z", "axes"], ["sum"], keepdims=0),
        helper.make_node("ReduceMean", ["z"], ["mean"], axes=[-1], keepdims=0),
        helper.make_node("ReduceLogSumExp", ["z"], ["lse"], axes=[-1],
                         keepdims=0),
        helper.make_node("ReduceL2", ["z"], ["l2"], axes=[-1], keepdims=0),
        helper.make_node("Softmax", ["z"], ["softmax"], axis=-1),
        helper.make_node("LogSoftmax", ["z"], ["logsoftmax"], axis=-1),
        helper.make_node("LayerNormalization", ["z", "scale", "bias"], ["ln"],
                         axis=-1, epsilon=1e-5),
        helper.make_node("ReduceMin", ["z"], ["zmin"], keepdims=0),
        helper.make_node("ReduceMax", ["z"], ["zmax"], axes=[1, 2],
                         keepdims=0),
    ]
    x64, z64 = x.astype(f64), z.astype(f64)
    e = np.exp(z64 - z64.max(axis=-1, keepdims=True))
    mu = z64.mean(axis=-1, keepdims=True)
    var = ((z64 - mu) ** 2).mean(axis=-1, keepdims=True)
    results = [
        ("max", x64.max(axis=-1)),  # NaN where the row has one
        ("min", z64.min(axis=-1, keepdims=True)),
        ("sum", z64.sum(axis=-1)),
        ("mean", z64.mean(axis=-1)),
        ("lse", np.log(np.exp(z64).sum(axis=-1))),
        ("l2", np.sqrt((z64 ** 2).sum(axis=-1))),
        ("softmax", e / e.sum(axis=-1, keepdims=True)),
        ("logsoftmax", np.log(e / e.sum(axis=-1, keepdims=True))),
        ("ln", (z64 - mu) / np.sqrt(var + 1e-5) * scale + bias),
        ("zmin", np.array(z64.min())),
        ("zmax", z64.max(axis=(1, 2))),
    ]
    _write_test_data(out, [("x", x), ("z", z)],
                     [(n, v.astype(f32)) for n, v in results])
    return model_of(
        nodes,
        [tensor_info("x", TensorProto.FLOAT, [6, 37]),
         tensor_info("z", TensorProto.FLOAT, [3, 4, 100])],
        [tensor_info(n, TensorProto.FLOAT, list(v.shape)) for n, v in results],
        [numpy_helper.from_array(axes, "axes"),
         numpy_helper.from_array(scale, "scale"),
         numpy_helper.from_array(bias, "bias")], opset=17)


# --- Limits: sizes, overflow, nesting (test/lit/importer/limits.test) -------

@builder
def huge_initializer(out):
    """128 GiB of declared float weight in a few bytes: above the default
    16 GiB limit, and refused before any data is read."""
    w = TensorProto(name="W", data_type=TensorProto.FLOAT,
                    dims=[1 << 20, 1 << 15], raw_data=b"\0" * 4)
    nodes = [helper.make_node("Identity", ["W"], ["y"], name="ident")]
    return model_of(nodes, [], [tensor_info("y", TensorProto.FLOAT, None)],
                    initializers=[w])


@builder
def huge_input_shape(out):
    """A graph input whose declared static shape needs 2^52 bytes."""
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    return model_of(nodes,
                    [tensor_info("x", TensorProto.FLOAT,
                                 [1 << 20, 1 << 20, 1 << 10])],
                    [tensor_info("y", TensorProto.FLOAT, None)])


@builder
def overflowing_input_shape(out):
    """A graph input whose static dims multiply past int64."""
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu")]
    return model_of(nodes,
                    [tensor_info("x", TensorProto.FLOAT,
                                 [0, 1 << 40, 1 << 40])],
                    [tensor_info("y", TensorProto.FLOAT, None)])


@builder
def huge_inferred_shape(out):
    """ConstantOfShape of a constant 2^20 x 2^20 shape: too big to fold
    (4,096 elements at most), and ONNX's inference gives its output a
    static type of 4 TiB, which the importer refuses naming the node."""
    shape = helper.make_tensor("shape", TensorProto.INT64, [2],
                               [1 << 20, 1 << 20])
    nodes = [helper.make_node("ConstantOfShape", ["shape"], ["y"],
                              name="fill")]
    return model_of(nodes, [], [tensor_info("y", TensorProto.FLOAT, None)],
                    initializers=[shape])


def _nested_ifs(depth):
    """`depth` Ifs, each the only node of its parent's then-branch."""
    inner = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["r0"], name="leaf")],
        "leaf", [], [tensor_info("r0", TensorProto.FLOAT, [1])])
    for level in range(depth, 0, -1):
        other = helper.make_graph(
            [helper.make_node("Identity", ["x"], ["o%d" % level],
                              name="else_%d" % level)],
            "else_%d" % level, [],
            [tensor_info("o%d" % level, TensorProto.FLOAT, [1])])
        node = helper.make_node("If", ["c"], ["r%d" % level],
                                name="if_%d" % level, then_branch=inner,
                                else_branch=other)
        if level == 1:
            return model_of([node], [tensor_info("c", TensorProto.BOOL, []),
                                     tensor_info("x", TensorProto.FLOAT, [1])],
                            [tensor_info("r1", TensorProto.FLOAT, [1])])
        inner = helper.make_graph(
            [node], "then_%d" % level, [],
            [tensor_info("r%d" % level, TensorProto.FLOAT, [1])])


@builder
def nested_ifs_70(out):
    """If inside If, 70 deep: past the 64 levels the importer allows."""
    return _nested_ifs(70)


@builder
def nested_ifs_8(out):
    """If inside If, 8 deep: imports."""
    return _nested_ifs(8)


# --- External data: more hostile locations (external-data.test) -------------

@builder
def external_nul(out):
    """A NUL byte would cut the C path short: 'w.bin' would be checked, a
    different string used."""
    return _external_model("w.bin\0/../../etc/passwd")


@builder
def external_negative_offset(out):
    return _external_model("w.bin", offset=-4)


@builder
def external_overflowing_range(out):
    """offset + length is past 2^63: no file offset can hold it."""
    return _external_model("w.bin", offset=(1 << 63) - 8, length=16)


@builder
def external_length_mismatch(out):
    """A length that is not the 16 bytes the [4] float tensor needs; refused
    before the file is opened or any memory allocated."""
    return _external_model("w.bin", offset=0, length=1 << 40)


@builder
def external_fifo(out):
    """A FIFO inside the folder: opening it for reading would wait for a
    writer forever; it must be refused as not a regular file, at once."""
    folder = os.path.dirname(os.path.abspath(out))
    fifo = os.path.join(folder, "w.fifo")
    if os.path.lexists(fifo):
        os.remove(fifo)
    os.mkfifo(fifo)
    return _external_model("w.fifo")


@builder
def external_symlinked_dir(out):
    """A folder inside the model's folder that is a symlink to one outside,
    holding a FIFO. Following the link would open the FIFO and hang; the
    link must be refused before anything behind it is opened."""
    folder = os.path.dirname(os.path.abspath(out))
    outside = os.path.join(os.path.dirname(folder), "outside-dir")
    os.makedirs(outside, exist_ok=True)
    fifo = os.path.join(outside, "w.bin")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    link = os.path.join(folder, "sub")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(outside, link)
    return _external_model("sub/w.bin")


@builder
def external_absolute_fifo(out):
    """An absolute location naming a FIFO outside the folder: refused from
    the text alone, so the FIFO is never opened (which would hang)."""
    folder = os.path.dirname(os.path.abspath(out))
    fifo = os.path.join(os.path.dirname(folder), "outside.fifo")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    return _external_model(fifo)


@builder
def fold_int64_extremes(out):
    """Shape folding on int64 values beyond 2^53: Concat must copy
    INT64_MAX exactly (Slice ends use it), and a Mul that overflows must
    stay a computation rather than fold to a wrapped value."""
    big = helper.make_tensor("big", TensorProto.INT64, [1], [(1 << 63) - 1])
    two = helper.make_tensor("two", TensorProto.INT64, [1], [2])
    nodes = [
        helper.make_node("Concat", ["big", "big"], ["ends"], name="concat",
                         axis=0),
        helper.make_node("Mul", ["big", "two"], ["wrapped"], name="overflow"),
    ]
    return model_of(nodes, [],
                    [tensor_info("ends", TensorProto.INT64, [2]),
                     tensor_info("wrapped", TensorProto.INT64, [1])],
                    initializers=[big, two])


def write_truncated(out):
    data = unsorted(out).SerializeToString()
    with open(out, "wb") as f:
        f.write(data[:len(data) // 2])


def write_not_protobuf(out):
    with open(out, "w") as f:
        f.write("this is not an onnx model\n")


RAW_WRITERS = {"truncated": write_truncated, "not_protobuf": write_not_protobuf}


def main():
    if len(sys.argv) != 3 or (sys.argv[1] not in BUILDERS and
                              sys.argv[1] not in RAW_WRITERS):
        names = sorted(list(BUILDERS) + list(RAW_WRITERS))
        sys.exit("usage: make_test_model.py NAME OUT.onnx\nnames: " +
                 " ".join(names))
    name, out = sys.argv[1], sys.argv[2]
    if name in RAW_WRITERS:
        RAW_WRITERS[name](out)
        return
    model = BUILDERS[name](out)
    with open(out, "wb") as f:
        f.write(model.SerializeToString())


if __name__ == "__main__":
    main()
