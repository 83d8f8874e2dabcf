//===- QuantizeDynamic.cpp - int8 weights, activations quantized at run time //
//
// `onnx-compile --quantize=dynamic-int8`: every MatMul and Gemm whose B is a
// constant f32 matrix runs in integers, and so does every Conv with group 1
// and a constant filter (see below). The weights are quantized here, at
// compile time, per output column and symmetrically:
//
//   s_w[n] = max_k |w[k, n]| / 127,  q[k, n] = round_half_even(w / s_w[n])
//
// in [-127, 127] (never -128: the u8 x s8 dot products then cannot reach
// the i32 wrap-around for any K below 2^16). The activation is quantized
// at run time, per row (one scale and zero point for each of the M rows of
// A, i.e. per token of a transformer), to uint8 with a zero point: the
// range [min(0, min_k a[m, k]), max(0, max_k a[m, k])] maps onto [0, 255]
// as DynamicQuantizeLinear maps a whole tensor's. Per tensor, one outlier
// row coarsens every row's grid (BERT-base: 2.2% relative L2 error per
// tensor, under 1% per row). u8 x s8 is what the x86 VNNI dot product
// (vpdpbusd) multiplies. With a_q = a / s_a[m] + zp_a[m],
//
//   y[m, n] = s_a[m] * s_w[n] * (sum_k a_q[m, k] q[k, n] - zp_a[m] * c[n])
//
// where c[n] = sum_k q[k, n] is computed here too. The product stays a
// plain MatMulInteger (no zero points, so the integer kernel of
// VectorizeIntegerContractions sees a bare u8 x s8 -> i32 contraction,
// with the row quantization fused into it as an elementwise producer);
// the row ranges are ReduceMin/ReduceMax over the last axis, and the
// correction and the scales are elementwise onnx ops that fuse into one
// loop after the product. All standard ops, so every later pass and the
// fallback lowering need nothing new.
//
// An A that a LayerNormalization with constant gamma and beta produces is
// first smoothed (channel k divided by s_k, row k of the weight multiplied
// by it; see layerNormSmoothing in QuantizeCommon.cpp): exact in real
// arithmetic, it moves the range of large channels from the activation to
// the weight.
//
// With `activation-group` G (onnx-compile --quantize-group, 128 by
// default there), the range is taken per run of G values along K in each
// row instead, where K holds two or more such groups: the activation then
// carries a scale and zero point per (row, group), and the product is an
// onnx.onnxc.GroupScaledMatMulInteger, which the int8 kernel accumulates in
// i32 within a group and in f32 across groups. The f32 result is then
// scaled by s_w[n] as above.
//
// A Conv with group 1 and a constant filter runs in integers too: its
// filter quantized per output channel as above, its input quantized per
// tensor (one range over the whole activation, as ONNX Runtime's dynamic
// ConvInteger does: a per-pixel range would have to cover every window
// that reads the pixel), and a ConvInteger that takes the zero point, so
// its padding reads as the zero point, i.e. as 0.0. Grouped
// (depthwise) convolutions stay f32.
//
// The weight quantization, the smoothing and the integer product are
// shared with --quantize=static-int8 (QuantizeCommon.h); only the per-row
// quantization of the activation is this pass's own.
//
// Left in f32 (the pass never guesses): non-constant B, B not a 2-D f32
// matrix, non-finite weights, A of rank < 2, transposed A; for a Conv, a
// non-constant filter or bias, and group > 1.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/QuantizeCommon.h"

#include "dialects/onnx/OnnxDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

#include <limits>

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_QUANTIZEDYNAMIC
#include "passes/Passes.h.inc"

namespace {

// TensorProto.DataType values, for Cast's `to`.
constexpr int64_t kOnnxUint8 = 2;
constexpr int64_t kOnnxInt32 = 6;

/// An activation quantized to u8, in onnx ops, with its scale and zero
/// point: per row ([.., M, 1], quantizeRows) or per tensor (rank 0,
/// quantizeTensor).
struct Quantized {
  Value q;         // u8, a's shape
  Value scale;     // f32
  Value zeroPoint; // f32, an integer in [0, 255]
};

/// `a` quantized to u8 over [lo, hi] (f32, broadcasting against `a`, lo <=
/// 0 <= hi), mapped onto [0, 255] as DynamicQuantizeLinear maps a tensor's
/// range; `zero` is the f32 scalar constant 0.
Quantized quantizeInRange(PatternRewriter &rewriter, Location loc, Value a,
                          Value lo, Value hi, Value zero) {
  auto rangeType = cast<RankedTensorType>(lo.getType());
  Value width = SubOp::create(rewriter, loc, rangeType, hi, lo);
  Value hi255 = scalarF32(rewriter, loc, 255.0f);
  // An all-zero range has width 0: the smallest normal float keeps the
  // divisions finite, and its values then quantize to zero point 0, q = 0
  // (and contribute exactly 0).
  Value scale = MaxOp::create(
      rewriter, loc, rangeType,
      ValueRange{DivOp::create(rewriter, loc, rangeType, width, hi255),
                 scalarF32(rewriter, loc, std::numeric_limits<float>::min())});
  // zero point = saturate(round(-lo / scale)), round half to even.
  Value zp = ClipOp::create(
      rewriter, loc, rangeType,
      RoundOp::create(rewriter, loc, rangeType,
                      DivOp::create(rewriter, loc, rangeType,
                                    NegOp::create(rewriter, loc, rangeType, lo),
                                    scale)),
      zero, hi255);
  return {quantizeToU8(rewriter, loc, a, scale, zp, zero, hi255), scale, zp};
}

/// The per-row quantization of `a` ([.., M, K] f32) to u8: each row r (a
/// token of a transformer, a sample of an MLP) gets its own range
/// [min(0, min_k a), max(0, max_k a)] mapped onto [0, 255], as
/// DynamicQuantizeLinear does for a whole tensor. One outlier row (BERT's
/// [CLS] and separator tokens have activations many times larger than the
/// rest) then no longer coarsens the grid of every other row.
Quantized quantizeRows(PatternRewriter &rewriter, Location loc, Value a) {
  auto aType = cast<RankedTensorType>(a.getType());
  int64_t rank = aType.getRank();
  SmallVector<int64_t> rowShape(aType.getShape());
  rowShape.back() = 1;
  auto rowType = RankedTensorType::get(rowShape, rewriter.getF32Type());
  ArrayAttr lastAxis = rewriter.getI64ArrayAttr({rank - 1});
  IntegerAttr keep = rewriter.getI64IntegerAttr(1);
  Value zero = scalarF32(rewriter, loc, 0.0f);
  Value lo = MinOp::create(
      rewriter, loc, rowType,
      ValueRange{ReduceMinOp::create(rewriter, loc, rowType, a, lastAxis, keep),
                 zero});
  Value hi = MaxOp::create(
      rewriter, loc, rowType,
      ValueRange{ReduceMaxOp::create(rewriter, loc, rowType, a, lastAxis, keep),
                 zero});
  return quantizeInRange(rewriter, loc, a, lo, hi, zero);
}

/// The per-group quantization of `a` ([.., M, K] f32, K = G * group) to
/// u8: each run of `group` consecutive values of a row gets its own range
/// [min(0, min), max(0, max)] mapped onto [0, 255]. Returns q [.., M, K]
/// and the scale and zero point [.., M, G]. A row of BERT's FFN input
/// spans values of very different size along K; one grid per 128 values
/// instead of one per row roughly halves its rounding error (1.19% -> see
/// docs/user-guide.md, Quantization).
Quantized quantizeGroups(PatternRewriter &rewriter, Location loc, Value a,
                         int64_t group) {
  auto aType = cast<RankedTensorType>(a.getType());
  int64_t rank = aType.getRank(), k = aType.getDimSize(rank - 1),
          groups = k / group;
  // onnx.Reshape to `tail` after the first rank - 1 dims (0: copy the dim).
  auto reshape = [&](Value v, ArrayRef<int64_t> tail, Type element) {
    SmallVector<int64_t> spec(rank - 1, 0), shape(aType.getShape().drop_back());
    spec.append(tail.begin(), tail.end());
    shape.append(tail.begin(), tail.end());
    auto specType =
        RankedTensorType::get({int64_t(spec.size())}, rewriter.getI64Type());
    Value specValue = onnxConstant(
        rewriter, loc, DenseElementsAttr::get(specType, ArrayRef<int64_t>(spec)));
    return ReshapeOp::create(rewriter, loc,
                             RankedTensorType::get(shape, element), v, specValue)
        .getResult();
  };
  Type f32 = rewriter.getF32Type();
  // Each group is a row of A viewed [.., M, G, group].
  Quantized q = quantizeRows(rewriter, loc, reshape(a, {groups, group}, f32));
  Type u8 = IntegerType::get(rewriter.getContext(), 8, IntegerType::Unsigned);
  return {reshape(q.q, {k}, u8), reshape(q.scale, {groups}, f32),
          reshape(q.zeroPoint, {groups}, f32)};
}

/// The per-tensor quantization of `x` to u8: one range [min(0, min x),
/// max(0, max x)] mapped onto [0, 255]; scale and zero point rank 0 f32.
Quantized quantizeTensor(PatternRewriter &rewriter, Location loc, Value x) {
  auto scalarType = RankedTensorType::get({}, rewriter.getF32Type());
  IntegerAttr drop = rewriter.getI64IntegerAttr(0);
  Value zero = scalarF32(rewriter, loc, 0.0f);
  // In two steps, over the rows of x viewed as [N * C, spatial] and then
  // over those: the first is a row reduction, which the row-reduction
  // kernel vectorizes and spreads over the threads, where one reduction to
  // a scalar would run one element at a time on one thread.
  auto xType = cast<RankedTensorType>(x.getType());
  Value rows = x;
  if (xType.hasStaticShape() && xType.getRank() >= 3) {
    int64_t n = xType.getDimSize(0) * xType.getDimSize(1);
    auto rowsType =
        RankedTensorType::get({n, xType.getNumElements() / std::max<int64_t>(n, 1)},
                              xType.getElementType());
    auto shapeType = RankedTensorType::get({2}, rewriter.getI64Type());
    Value shape = onnxConstant(
        rewriter, loc,
        DenseElementsAttr::get(shapeType,
                               ArrayRef<int64_t>(rowsType.getShape())));
    rows = ReshapeOp::create(rewriter, loc, rowsType, x, shape);
  }
  auto reduceAll = [&](auto opTag, Value v) -> Value {
    using ReduceOp = decltype(opTag);
    auto vType = cast<RankedTensorType>(v.getType());
    if (vType.getRank() == 2) {
      auto perRow = RankedTensorType::get({vType.getDimSize(0)},
                                          vType.getElementType());
      v = ReduceOp::create(rewriter, loc, perRow, v,
                           rewriter.getI64ArrayAttr({1}), drop);
    }
    // No axes: every axis is reduced.
    return ReduceOp::create(rewriter, loc, scalarType, v, ArrayAttr(), drop);
  };
  Value lo = MinOp::create(rewriter, loc, scalarType,
                           ValueRange{reduceAll(ReduceMinOp(), rows), zero});
  Value hi = MaxOp::create(rewriter, loc, scalarType,
                           ValueRange{reduceAll(ReduceMaxOp(), rows), zero});
  return quantizeInRange(rewriter, loc, x, lo, hi, zero);
}

/// Conv (group 1, constant filter) -> per-tensor u8 input, ConvInteger.
struct QuantizeConv : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvOp op,
                                PatternRewriter &rewriter) const override {
    std::string why;
    std::optional<QuantizableConv> p = matchQuantizableConv(op, why);
    if (!p)
      return rewriter.notifyMatchFailure(op, why);
    Location loc = op.getLoc();
    Quantized x = quantizeTensor(rewriter, loc, p->x);
    Type u8 = IntegerType::get(getContext(), 8, IntegerType::Unsigned);
    Value zp = CastOp::create(rewriter, loc, RankedTensorType::get({}, u8),
                              x.zeroPoint,
                              rewriter.getI64IntegerAttr(kOnnxUint8));
    rewriter.replaceOp(op, buildIntegerConv(rewriter, loc, x.q, x.scale, zp, *p));
    return success();
  }
};

/// MatMul, and Gemm (Y = alpha * A B' + beta * C: alpha goes into the
/// weight scales, beta * C is added after dequantization).
template <typename OpTy>
struct QuantizeProduct : OpRewritePattern<OpTy> {
  /// `group`: the activation's range per run of that many values along K
  /// (0: per row).
  QuantizeProduct(MLIRContext *ctx, int64_t group)
      : OpRewritePattern<OpTy>(ctx), group(group) {}
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    std::string why;
    // Fails before any op is created.
    std::optional<QuantizableProduct> p = matchQuantizableProduct(op, why);
    if (!p)
      return rewriter.notifyMatchFailure(op, why);
    Location loc = op.getLoc();
    Value a = smoothedActivation(rewriter, loc, *p);
    // Groups where K holds at least two (one group is the row itself).
    if (group > 0 && p->k % group == 0 && p->k / group >= 2) {
      Quantized groups = quantizeGroups(rewriter, loc, a, group);
      rewriter.replaceOp(op, buildGroupScaledProduct(
                                 rewriter, loc, groups.q, groups.scale,
                                 groups.zeroPoint, group, *p));
      return success();
    }
    Quantized rows = quantizeRows(rewriter, loc, a);
    auto rowType = cast<RankedTensorType>(rows.scale.getType());
    Value zp = CastOp::create(rewriter, loc,
                              rowType.clone(rewriter.getI32Type()),
                              rows.zeroPoint,
                              rewriter.getI64IntegerAttr(kOnnxInt32));
    rewriter.replaceOp(
        op, buildIntegerProduct(rewriter, loc, rows.q, rows.scale, zp, *p));
    return success();
  }

private:
  int64_t group;
};

struct QuantizeDynamicPass : impl::QuantizeDynamicBase<QuantizeDynamicPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (matmuls)
      patterns.add<QuantizeProduct<MatMulOp>, QuantizeProduct<GemmOp>>(
          &getContext(), activationGroup.getValue());
    if (convs)
      patterns.add<QuantizeConv>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace
} // namespace onnxc
