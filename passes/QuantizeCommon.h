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
// A Conv with a constant filter fits the same scheme: per output channel
// weight scales, the filter's per-channel sums for the correction, and a
// ConvInteger in place of MatMulInteger; only matchQuantizableProduct and
// buildIntegerProduct would need a Conv form.
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

/// The ops of `func`'s body (not of subgraphs) that --quantize=static-int8
/// can quantize, in program order: the calibration variant exposes their
/// smoothed activations as extra results in this order, and the driver
/// gives the ranges back to the ops of the real module in this order.
std::vector<QuantizableProduct> calibrationSites(mlir::Operation *func);

/// The discardable attribute through which calibration gives
/// --quantize=static-int8 an activation's range: [lo, hi] (f32 array) of
/// the smoothed activation of a quantizable MatMul/Gemm.
inline constexpr const char *kActivationRangeAttr = "onnxc.activation_range";

} // namespace onnxc

#endif // ONNXC_PASSES_QUANTIZECOMMON_H
