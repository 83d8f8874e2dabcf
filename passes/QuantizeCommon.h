//===- QuantizeCommon.h - What dynamic and static int8 share ----*- C++ -*-===//
//
// `--quantize=dynamic-int8` (QuantizeDynamic.cpp) and `--quantize=static-int8`
// (QuantizeStatic.cpp) differ only in where the activation's scale and zero
// point come from: reduced from each row at run time, or calibrated at
// compile time. Everything else is here, once: which MatMul/Gemm qualify
// (and so which activations calibration must observe), the LayerNorm
// smoothing, the weight quantization (int8 per output column, symmetric),
// the activation's u8 quantization and the integer product with its
// zero-point correction and rescaling.
//
// A Conv (group 1) with a constant filter takes the same scheme in its own
// form (matchQuantizableConv, buildIntegerConv): weight scales per output
// channel, and a ConvInteger with the activation's zero point in place of
// MatMulInteger (its padding must read as the zero point, which
// ConvInteger's semantics give).
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_PASSES_QUANTIZECOMMON_H
#define ONNXC_PASSES_QUANTIZECOMMON_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>
#include <string>
#include <vector>

namespace onnxc {

/// A weight quantized per column: q [K, N] row-major, s[n] (Gemm's alpha
/// folded in), c[n] = sum_k q[k, n].
struct QuantizedWeight {
  std::vector<int8_t> q;
  std::vector<float> scale;
  std::vector<int32_t> columnSum;
};

/// A MatMul or a Gemm (transA = 0) whose B is a constant 2-D f32 weight,
/// with everything needed to rewrite it, weight already quantized.
struct QuantizableProduct {
  mlir::Operation *op = nullptr;
  /// The activation: op's A, f32 of rank >= 2.
  mlir::Value a;
  /// LayerNorm smoothing factors s_k (empty: none): the activation the
  /// integer product sees is A / s_k (smoothedActivation), and that is the
  /// activation calibration observes.
  std::vector<float> smoothing;
  QuantizedWeight weight;
  int64_t k = 0, n = 0;
  /// Gemm: beta * C is added after dequantization; null when there is none.
  mlir::Value c;
  float beta = 1.0f;
  mlir::RankedTensorType resultType;
};

/// The quantizable form of `op`, or nullopt with `why` set (no op is
/// created either way). Only ops directly in a function body count when
/// `topLevelOnly` (calibration can only observe those).
std::optional<QuantizableProduct>
matchQuantizableProduct(mlir::Operation *op, std::string &why,
                        bool topLevelOnly = false);

/// An onnx.Constant of `attr`.
mlir::Value onnxConstant(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::ElementsAttr attr);
/// An onnx.Constant f32 scalar (rank 0).
mlir::Value scalarF32(mlir::OpBuilder &b, mlir::Location loc, float v);

/// A as the integer product sees it: A * (1 / s_k) when smoothed, else A.
mlir::Value smoothedActivation(mlir::OpBuilder &b, mlir::Location loc,
                               const QuantizableProduct &p);

/// saturate(round_half_even(a / scale) + zeroPoint) to [0, 255], as u8, in
/// elementwise onnx ops (which fuse into the integer kernel's operand).
/// `scale` and `zeroPoint` are f32 and broadcast against `a`; `zero` and
/// `hi255` are the f32 scalar constants 0 and 255 when the caller has them
/// already (created here when null).
mlir::Value quantizeToU8(mlir::OpBuilder &b, mlir::Location loc, mlir::Value a,
                         mlir::Value scale, mlir::Value zeroPoint,
                         mlir::Value zero = {}, mlir::Value hi255 = {});

/// The f32 result of the quantized product of `qA` (u8, [.., M, K]) with
/// zero point `zeroPoint` (i32) and scale `scale` (f32), both broadcasting
/// against [.., M, 1], and the quantized weight:
///
///   y[.., m, n] = s_a * s_w[n] * (acc[m, n] - zp_a * c[n])
///
/// with acc = MatMulInteger(qA, q) (no zero points: a bare u8 x s8 -> i32
/// contraction for the integer kernel), then beta * C added for a Gemm.
mlir::Value buildIntegerProduct(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value qA, mlir::Value scale,
                                mlir::Value zeroPoint,
                                const QuantizableProduct &p);

/// The f32 result of the quantized product of `qA` (u8, [.., M, K]) whose
/// scale and zero point (f32, [.., M, G]) hold for each group of `group`
/// consecutive values along K (K = G * group):
///
///   y[.., m, n] = s_w[n] * sum_g s_a[m, g] * (acc_g[m, n] - zp_a[m, g] * c_g[n])
///
/// with acc_g and c_g the integer product and the weight's column sums
/// over group g: one onnx.onnxc.GroupScaledMatMulInteger, then beta * C
/// added for a Gemm.
mlir::Value buildGroupScaledProduct(mlir::OpBuilder &b, mlir::Location loc,
                                    mlir::Value qA, mlir::Value scale,
                                    mlir::Value zeroPoint, int64_t group,
                                    const QuantizableProduct &p);

/// A Conv with group 1 whose filter W [M, C, k...] is a constant f32
/// tensor, filter already quantized: per output channel m, symmetric, over
/// the K = C * prod(k) values of W[m] (`weight.q` is [M, K] row-major).
struct QuantizableConv {
  mlir::Operation *op = nullptr;
  mlir::Value x; // [N, C, spatial...] f32
  QuantizedWeight weight;
  /// The bias B [M], if any (it must be constant).
  std::vector<float> bias;
  mlir::RankedTensorType filterType; // W's type (f32)
  mlir::RankedTensorType resultType;
};

/// The quantizable form of Conv `op`, or nullopt with `why` set.
std::optional<QuantizableConv> matchQuantizableConv(mlir::Operation *op,
                                                    std::string &why);

/// The f32 result of Conv `p` on the u8 activation `qX` with per-tensor
/// `scale` (f32) and `zeroPoint` (u8), both rank 0:
///
///   y[n, m, ..] = s_a * s_w[m] * ConvInteger(qX, q, zp)[n, m, ..] + B[m]
mlir::Value buildIntegerConv(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value qX, mlir::Value scale,
                             mlir::Value zeroPoint, const QuantizableConv &p);

/// Which kinds of ops --quantize quantizes (onnx-compile --quantize-ops).
struct QuantizeOps {
  bool matmul = true; // MatMul and Gemm
  bool conv = true;
  /// Whether `op` is of a kind to quantize (ops of no such kind are).
  bool includes(mlir::Operation *op) const;
};

/// An op that --quantize=static-int8 can quantize: a MatMul/Gemm (with its
/// product form) or a Conv.
struct CalibrationSite {
  mlir::Operation *op = nullptr;
  std::optional<QuantizableProduct> product; // MatMul/Gemm only
};

/// The ops of `func`'s body (not of subgraphs) that --quantize=static-int8
/// can quantize, in program order: the calibration variant exposes their
/// activations (calibratedActivation) as extra results in this order, and
/// the driver gives the ranges back to the ops of the real module in this
/// order.
std::vector<CalibrationSite> calibrationSites(mlir::Operation *func,
                                              QuantizeOps ops = {});

/// The activation of `site` whose range calibration observes, as the
/// integer op will quantize it: a product's smoothed A (built at `b`'s
/// insertion point), a Conv's input.
mlir::Value calibratedActivation(mlir::OpBuilder &b, const CalibrationSite &site);

/// The discardable attribute through which calibration gives
/// --quantize=static-int8 an activation's range: [lo, hi] (f32 array) of
/// the smoothed activation of a quantizable MatMul/Gemm.
inline constexpr const char *kActivationRangeAttr = "onnxc.activation_range";

} // namespace onnxc

#endif // ONNXC_PASSES_QUANTIZECOMMON_H
