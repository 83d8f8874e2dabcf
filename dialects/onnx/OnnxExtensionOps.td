//===- OnnxExtensionOps.td - Hand-written ops the graph passes create ----===//
//
// The generated ops stop at libonnx 1.12's opset 17. The graph passes
// (passes/graph/) recognize a few patterns as one op that opset 17 has no
// operator for: GELU (ai.onnx Gelu only exists from opset 20), a
// contraction with its bias and activation epilogue, and scaled dot-product
// attention. Those ops live here, written by hand.
//
// Their names carry an `onnxc.` prefix (`onnx.onnxc.Gelu`, ...) so that
// they can never collide with an op generated from a future schema (a
// generated `onnx.Gelu` would have opset-20 semantics of its own), and so
// that a reader of the IR sees at once that no ONNX model contains them.
// Their C++ classes are Ext...Op for the same reason.
//
// They are generated into their own .inc files (OnnxExtensionOps.h.inc),
// declared by OnnxExtensionOps.h, so that only the code which creates or
// lowers them depends on them.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_ONNX_EXTENSION_OPS_TD
#define ONNXC_ONNX_EXTENSION_OPS_TD

include "dialects/onnx/OnnxBase.td"

def Onnx_FloatTensor : TensorOf<[F16, BF16, F32, F64]>;

def Onnx_ExtGeluOp : Onnx_Op<"onnxc.Gelu", [Pure, AllTypesMatch<["X", "Y"]>]> {
  let summary = "GELU with the semantics of ai.onnx Gelu-20";
  let description = [{
    y = 0.5 * x * (1 + erf(x / sqrt(2)))                       (approximate = "none")
    y = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) (approximate = "tanh")

    Created by onnxc-recognize-decomposed-ops from the chains exporters
    write for opsets before 20, and by the importer from an opset-20+ Gelu
    node.
  }];
  let arguments = (ins Onnx_FloatTensor:$X,
                       DefaultValuedStrAttr<StrAttr, "none">:$approximate);
  let results = (outs Onnx_FloatTensor:$Y);
  let hasVerifier = 1;
}

/// The activation a fused contraction applies to its result. `activation`
/// is empty (none), or the ONNX op name: Relu, LeakyRelu (params: alpha),
/// Clip (params: min, max), Sigmoid, HardSigmoid (params: alpha, beta),
/// HardSwish, Tanh, Gelu (erf form) or GeluTanh (tanh form).
defvar ActivationArgs = (ins
    DefaultValuedStrAttr<StrAttr, "">:$activation,
    DefaultValuedAttr<F32ArrayAttr, "{}">:$activation_params);

def Onnx_ExtFusedConvOp : Onnx_Op<"onnxc.FusedConv", [Pure]> {
  let summary = "Conv, plus an optional residual Z, then an activation";
  let description = [{
    Y = activation(Conv(X, W, B) + Z), where Conv is ai.onnx Conv-11 with
    the same attributes and Z (optional, of Y's shape) is a residual added
    after the bias. Created by onnxc-fuse-contractions; lowered as the
    convolution followed by one elementwise linalg.generic epilogue.
  }];
  let arguments = !con((ins
    Onnx_FloatTensor:$X,
    Onnx_FloatTensor:$W,
    AnyTypeOf<[Onnx_FloatTensor, NoneType]>:$B,
    AnyTypeOf<[Onnx_FloatTensor, NoneType]>:$Z,
    DefaultValuedStrAttr<StrAttr, "NOTSET">:$auto_pad,
    OptionalAttr<I64ArrayAttr>:$dilations,
    DefaultValuedAttr<I64Attr, "1">:$group,
    OptionalAttr<I64ArrayAttr>:$kernel_shape,
    OptionalAttr<I64ArrayAttr>:$pads,
    OptionalAttr<I64ArrayAttr>:$strides), ActivationArgs);
  let results = (outs Onnx_FloatTensor:$Y);
  let hasVerifier = 1;
}

def Onnx_ExtFusedGemmOp : Onnx_Op<"onnxc.FusedGemm", [Pure]> {
  let summary = "Gemm, then an activation";
  let description = [{
    Y = activation(Gemm(A, B, C)), Gemm being ai.onnx Gemm-13 with the same
    attributes. Created by onnxc-fuse-contractions.
  }];
  let arguments = !con((ins
    Onnx_FloatTensor:$A,
    Onnx_FloatTensor:$B,
    AnyTypeOf<[Onnx_FloatTensor, NoneType]>:$C,
    DefaultValuedAttr<F32Attr, "1.0">:$alpha,
    DefaultValuedAttr<F32Attr, "1.0">:$beta,
    DefaultValuedAttr<I64Attr, "0">:$transA,
    DefaultValuedAttr<I64Attr, "0">:$transB), ActivationArgs);
  let results = (outs Onnx_FloatTensor:$Y);
  let hasVerifier = 1;
}

def Onnx_ExtFusedMatMulOp : Onnx_Op<"onnxc.FusedMatMul", [Pure]> {
  let summary = "MatMul, plus an optional bias, then an activation";
  let description = [{
    Y = activation(MatMul(A, B) + Bias), MatMul being ai.onnx MatMul-13 and
    Bias (optional) broadcasting to the product's shape without changing
    it. Created by onnxc-fuse-contractions.
  }];
  let arguments = !con((ins
    Onnx_FloatTensor:$A,
    Onnx_FloatTensor:$B,
    AnyTypeOf<[Onnx_FloatTensor, NoneType]>:$Bias), ActivationArgs);
  let results = (outs Onnx_FloatTensor:$Y);
  let hasVerifier = 1;
}

def Onnx_ExtAttentionOp : Onnx_Op<"onnxc.Attention", [Pure]> {
  let summary = "Scaled dot-product attention";
  let description = [{
    Y = Softmax(scale * MatMul(Q, KT) + Mask, axis = -1) @ V, the key
    given transposed (KT: [..., D, Sk]) as the graph computes it. Q, KT and
    V have the same rank and batch dims; Mask (optional) broadcasts to the
    scores [..., Sq, Sk] without changing their shape. Created by
    onnxc-fuse-attention from MatMul, Div/Mul by a constant, Add and
    Softmax; lowered to the two batch matmuls around one scale-and-mask
    generic and the softmax.
  }];
  let arguments = (ins
    Onnx_FloatTensor:$Q,
    Onnx_FloatTensor:$KT,
    Onnx_FloatTensor:$V,
    AnyTypeOf<[Onnx_FloatTensor, NoneType]>:$Mask,
    DefaultValuedAttr<F64Attr, "1.0">:$scale);
  let results = (outs Onnx_FloatTensor:$Y);
  let hasVerifier = 1;
}

def Onnx_ExtGroupScaledMatMulIntegerOp
    : Onnx_Op<"onnxc.GroupScaledMatMulInteger", [Pure]> {
  let summary = "u8 x s8 product with a scale and zero point per group of K";
  let description = [{
    Y[.., m, n] = sum_g Scale[.., m, g] *
                  sum_{k in group g} (A[.., m, k] - ZeroPoint[.., m, g]) * B[k, n]

    where group g is k in [g * group_size, (g + 1) * group_size). A is u8
    [.., M, K]; B is s8 [K, N]; Scale and ZeroPoint are f32 [.., M, G] with
    G * group_size = K (ZeroPoint holds integers in [0, 255]); Y is f32
    [.., M, N]. This is MatMulInteger on an activation quantized with one
    range per group of K in each row, dequantized group by group: created
    by onnxc-quantize-dynamic with an activation group size, and lowered to
    one contraction generic that the int8 kernel accumulates in i32 within
    a group and in f32 across groups (VectorizeIntegerContractions.cpp).
  }];
  let arguments = (ins
    TensorOf<[UI8]>:$A,
    TensorOf<[I8, SI8]>:$B,
    TensorOf<[F32]>:$Scale,
    TensorOf<[F32]>:$ZeroPoint,
    I64Attr:$group_size);
  let results = (outs TensorOf<[F32]>:$Y);
  let hasVerifier = 1;
}

#endif // ONNXC_ONNX_EXTENSION_OPS_TD
