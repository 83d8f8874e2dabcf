//===- QuantizeDynamic.cpp - int8 weights, activations quantized at run time //
//
// `onnx-compile --quantize=dynamic-int8`: every MatMul and Gemm whose B is a
// constant f32 matrix runs in integers. The weights are quantized here, at
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
// by it; see layerNormSmoothing): exact in real arithmetic, it moves the
// range of large channels from the activation to the weight.
//
// Left in f32 (the pass never guesses): non-constant B, B not a 2-D f32
// matrix, non-finite weights, A of rank < 2, transposed A.
//
//===----------------------------------------------------------------------===//

#include "passes/ConstantBytes.h"
#include "passes/Passes.h"

#include "dialects/onnx/OnnxDialect.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_QUANTIZEDYNAMIC
#include "passes/Passes.h.inc"

namespace {

// TensorProto.DataType values for Cast's `to`.
constexpr int64_t kOnnxFloat = 1;
constexpr int64_t kOnnxUint8 = 2;
constexpr int64_t kOnnxInt32 = 6;

/// The f32 values of a constant of rank `rank`, row-major, or nullopt when
/// `v` is not such a constant.
std::optional<std::vector<float>> constantF32Values(Value v, int64_t rank) {
  auto cst = v.getDefiningOp<ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!cst || !type || type.getRank() != rank || !type.hasStaticShape() ||
      !type.getElementType().isF32() || !cst.getValueAttr())
    return std::nullopt;
  ElementsAttr value = cst.getValueAttr();
  if (value.getType() != type)
    return std::nullopt;
  std::vector<float> out(type.getNumElements());
  ArrayRef<char> bytes = rawConstantBytes(value);
  if (!bytes.empty()) {
    if (bytes.size() != out.size() * sizeof(float))
      return std::nullopt;
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return std::nullopt;
  size_t i = 0;
  for (float f : dense.getValues<float>())
    out[i++] = f;
  return out;
}

/// A constant 2-D weight [rows, cols].
std::optional<std::vector<float>> constantF32Matrix(Value v) {
  return constantF32Values(v, 2);
}

/// Smoothing of an activation that a LayerNormalization over the last axis
/// produces, with constant scale (gamma) and bias (beta) of K values.
///
/// Such activations have a few channels far larger than the rest (large
/// |gamma_k| or |beta_k|: BERT's "outlier dimensions"), and a row's
/// quantization grid must span them, which leaves the other channels few
/// levels. A[m, k] W[k, n] = (A[m, k] / s_k) (s_k W[k, n]) for any s_k > 0,
/// so dividing channel k by s_k and multiplying row k of W by it moves
/// range from the activation to the weight (whose columns are quantized
/// separately, so a larger row costs less). With no calibration data the
/// channel's typical magnitude is estimated from the normalization itself:
/// its normalized values have unit variance, so |gamma_k| + |beta_k|; and
/// s_k = sqrt(that / max_n |W[k, n]|) balances the two (SmoothQuant's
/// alpha = 1/2). Empty when A has no such producer: nothing is smoothed.
std::vector<float> layerNormSmoothing(Value a, const std::vector<float> &w,
                                      int64_t k, int64_t n, bool transposed) {
  auto ln = a.getDefiningOp<LayerNormalizationOp>();
  if (!ln || ln.getY() != a)
    return {};
  auto aType = cast<RankedTensorType>(a.getType());
  int64_t axis = int64_t(ln.getAxis());
  if (axis != -1 && axis != aType.getRank() - 1)
    return {};
  std::optional<std::vector<float>> gamma = constantF32Values(ln.getScale(), 1);
  std::optional<std::vector<float>> beta =
      isa<NoneType>(ln.getB().getType())
          ? std::optional<std::vector<float>>(std::vector<float>(k, 0.0f))
          : constantF32Values(ln.getB(), 1);
  if (!gamma || !beta || int64_t(gamma->size()) != k ||
      int64_t(beta->size()) != k)
    return {};
  std::vector<float> s(k, 1.0f);
  for (int64_t r = 0; r < k; ++r) {
    float act = std::fabs((*gamma)[r]) + std::fabs((*beta)[r]);
    float wMax = 0;
    for (int64_t c = 0; c < n; ++c)
      wMax = std::max(wMax, std::fabs(transposed ? w[c * k + r] : w[r * n + c]));
    if (act > 0 && wMax > 0 && std::isfinite(act) && std::isfinite(wMax))
      s[r] = std::sqrt(act / wMax);
  }
  return s;
}

/// A weight quantized per column: q [K, N] row-major, s[n], c[n] = sum_k q.
struct QuantizedWeight {
  std::vector<int8_t> q;
  std::vector<float> scale;
  std::vector<int32_t> columnSum;
};

/// `w` is [k, n] row-major (`transposed`: [n, k]); `alpha` is folded into
/// the scales. Nullopt for a non-finite weight.
std::optional<QuantizedWeight> quantizeColumns(const std::vector<float> &w,
                                               int64_t k, int64_t n,
                                               bool transposed, float alpha) {
  auto at = [&](int64_t r, int64_t c) {
    return transposed ? w[c * k + r] : w[r * n + c];
  };
  QuantizedWeight out;
  out.q.resize(k * n);
  out.scale.resize(n);
  out.columnSum.resize(n);
  for (int64_t c = 0; c < n; ++c) {
    float maxAbs = 0;
    for (int64_t r = 0; r < k; ++r) {
      float x = at(r, c);
      if (!std::isfinite(x))
        return std::nullopt;
      maxAbs = std::max(maxAbs, std::fabs(x));
    }
    // An all-zero column: any scale gives q = 0; 1 keeps it finite.
    float s = maxAbs > 0 ? maxAbs / 127.0f : 1.0f;
    int32_t sum = 0;
    for (int64_t r = 0; r < k; ++r) {
      float qf = std::nearbyint(at(r, c) / s); // half to even (default mode)
      int8_t qi = int8_t(std::clamp(qf, -127.0f, 127.0f));
      out.q[r * n + c] = qi;
      sum += qi;
    }
    out.scale[c] = s * alpha;
    out.columnSum[c] = sum;
  }
  return out;
}

Value onnxConstant(OpBuilder &b, Location loc, ElementsAttr attr) {
  return ConstantOp::create(b, loc, attr.getType(), ElementsAttr(), attr,
                            FloatAttr(), ArrayAttr(), IntegerAttr(),
                            ArrayAttr(), StringAttr(), ArrayAttr());
}

/// Multiplies row k of `w` by s_k (see layerNormSmoothing), in place.
void smoothWeight(std::vector<float> &w, int64_t k, int64_t n,
                  bool transposed, const std::vector<float> &s) {
  if (s.empty())
    return; // not smoothed
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < n; ++c)
      (transposed ? w[c * k + r] : w[r * n + c]) *= s[r];
}

/// A / s_k: an elementwise Mul by 1 / s_k, which fuses into the row
/// quantization.
Value smoothActivation(PatternRewriter &rewriter, Location loc, Value a,
                       const std::vector<float> &s) {
  std::vector<float> inverse;
  for (float x : s)
    inverse.push_back(1.0f / x);
  auto vecType =
      RankedTensorType::get({int64_t(s.size())}, rewriter.getF32Type());
  Value inv = onnxConstant(
      rewriter, loc, DenseElementsAttr::get(vecType, ArrayRef<float>(inverse)));
  return MulOp::create(rewriter, loc, a.getType(), a, inv);
}

/// The per-row quantization of `a` ([.., M, K] f32) to u8, in onnx ops:
/// each row r (a token of a transformer, a sample of an MLP) gets its own
/// range [min(0, min_k a), max(0, max_k a)] mapped onto [0, 255], as
/// DynamicQuantizeLinear does for a whole tensor. One outlier row (BERT's
/// [CLS] and separator tokens have activations many times larger than the
/// rest) then no longer coarsens the grid of every other row.
struct RowQuantized {
  Value q;     // [.., M, K] u8
  Value scale; // [.., M, 1] f32
  Value zeroPoint; // [.., M, 1] f32, an integer in [0, 255]
};

RowQuantized quantizeRows(PatternRewriter &rewriter, Location loc, Value a) {
  MLIRContext *ctx = rewriter.getContext();
  auto aType = cast<RankedTensorType>(a.getType());
  int64_t rank = aType.getRank();
  Type f32 = rewriter.getF32Type();
  SmallVector<int64_t> rowShape(aType.getShape());
  rowShape.back() = 1;
  auto rowType = RankedTensorType::get(rowShape, f32);
  auto scalarConst = [&](float v) {
    return onnxConstant(
        rewriter, loc,
        DenseElementsAttr::get(RankedTensorType::get({}, f32), v));
  };
  ArrayAttr lastAxis = rewriter.getI64ArrayAttr({rank - 1});
  IntegerAttr keep = rewriter.getI64IntegerAttr(1);
  Value zero = scalarConst(0.0f);
  Value lo = MinOp::create(
      rewriter, loc, rowType,
      ValueRange{ReduceMinOp::create(rewriter, loc, rowType, a, lastAxis, keep),
                 zero});
  Value hi = MaxOp::create(
      rewriter, loc, rowType,
      ValueRange{ReduceMaxOp::create(rewriter, loc, rowType, a, lastAxis, keep),
                 zero});
  Value width = SubOp::create(rewriter, loc, rowType, hi, lo);
  Value hi255 = scalarConst(255.0f);
  // An all-zero row has width 0: the smallest normal float keeps the
  // divisions finite, and the row then quantizes to zero point 0, q = 0
  // (and contributes exactly 0).
  Value scale = MaxOp::create(
      rewriter, loc, rowType,
      ValueRange{DivOp::create(rewriter, loc, rowType, width,
                               hi255),
                 scalarConst(std::numeric_limits<float>::min())});
  // zero point = saturate(round(-lo / scale)), round half to even.
  Value zp = ClipOp::create(
      rewriter, loc, rowType,
      RoundOp::create(rewriter, loc, rowType,
                      DivOp::create(rewriter, loc, rowType,
                                    NegOp::create(rewriter, loc, rowType, lo),
                                    scale)),
      zero, hi255);
  Value scaled = DivOp::create(rewriter, loc, aType, a, scale);
  Value shifted = AddOp::create(
      rewriter, loc, aType, RoundOp::create(rewriter, loc, aType, scaled), zp);
  Value clipped = ClipOp::create(rewriter, loc, aType, shifted, zero, hi255);
  Type u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  Value q = CastOp::create(rewriter, loc, aType.clone(u8), clipped,
                           rewriter.getI64IntegerAttr(kOnnxUint8));
  return {q, scale, zp};
}

/// Builds the quantized product of `a` ([.., M, K] f32) and the quantized
/// weight ([K, N]) as f32 of `resultType`:
///
///   y[.., m, n] = s_a[m] * s_w[n] * (acc[m, n] - zp_a[m] * c[n])
Value buildQuantizedProduct(PatternRewriter &rewriter, Location loc, Value a,
                            const QuantizedWeight &w, int64_t k, int64_t n,
                            RankedTensorType resultType) {
  Type i8 = rewriter.getI8Type(), i32 = rewriter.getI32Type(),
       f32 = rewriter.getF32Type();

  RowQuantized rows = quantizeRows(rewriter, loc, a);
  // The int8 weight as a blob, like the importer's weights (the object
  // emitter embeds those without translating them element by element).
  auto qType = RankedTensorType::get({k, n}, i8);
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef<char>(reinterpret_cast<const char *>(w.q.data()), w.q.size()),
      alignof(std::max_align_t));
  Value qWeight = onnxConstant(
      rewriter, loc,
      DenseResourceElementsAttr::get(qType, "onnxc_q8", std::move(blob)));
  Value none = NoValueOp::create(rewriter, loc, rewriter.getNoneType());
  auto accType = resultType.clone(i32);
  Value acc = MatMulIntegerOp::create(rewriter, loc, accType, rows.q,
                                      qWeight, none, none);
  // acc - zp_a[m] * c[n], in i32 (exact: |zp_a * c| <= 255 * 127 * K; f32
  // would round it from K = 518 on).
  auto vecType = [&](Type t) { return RankedTensorType::get({n}, t); };
  auto rowType = cast<RankedTensorType>(rows.scale.getType());
  Value zp = CastOp::create(rewriter, loc, rowType.clone(i32), rows.zeroPoint,
                            rewriter.getI64IntegerAttr(kOnnxInt32));
  Value colSum = onnxConstant(
      rewriter, loc,
      DenseElementsAttr::get(vecType(i32), ArrayRef<int32_t>(w.columnSum)));
  Value correction = MulOp::create(rewriter, loc, accType, zp, colSum);
  Value corrected = SubOp::create(rewriter, loc, accType, acc, correction);
  Value accF = CastOp::create(rewriter, loc, resultType, corrected,
                              rewriter.getI64IntegerAttr(kOnnxFloat));
  Value wScale = onnxConstant(
      rewriter, loc,
      DenseElementsAttr::get(vecType(f32), ArrayRef<float>(w.scale)));
  Value rowScaled = MulOp::create(rewriter, loc, resultType, accF, rows.scale);
  return MulOp::create(rewriter, loc, resultType, rowScaled, wScale);
}

/// Checks A (f32, ranked, rank >= 2) and the result type.
LogicalResult checkActivation(PatternRewriter &rewriter, Operation *op,
                              Value a, RankedTensorType &resultType) {
  auto aType = dyn_cast<RankedTensorType>(a.getType());
  resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!aType || !resultType || !aType.getElementType().isF32() ||
      !resultType.getElementType().isF32())
    return rewriter.notifyMatchFailure(op, "needs ranked f32 A and result");
  if (aType.getRank() < 2)
    return rewriter.notifyMatchFailure(op, "A of rank < 2 is left in f32");
  return success();
}

struct QuantizeMatMul : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType resultType;
    if (failed(checkActivation(rewriter, op, op.getA(), resultType)))
      return failure();
    std::optional<std::vector<float>> w = constantF32Matrix(op.getB());
    if (!w)
      return rewriter.notifyMatchFailure(
          op, "B is not a constant 2-D f32 weight");
    auto bType = cast<RankedTensorType>(op.getB().getType());
    int64_t k = bType.getDimSize(0), n = bType.getDimSize(1);
    Value a = op.getA();
    std::vector<float> s = layerNormSmoothing(a, *w, k, n, false);
    smoothWeight(*w, k, n, false, s);
    // Fails before any op is created.
    std::optional<QuantizedWeight> q = quantizeColumns(*w, k, n, false, 1.0f);
    if (!q)
      return rewriter.notifyMatchFailure(op, "non-finite weight");
    if (!s.empty())
      a = smoothActivation(rewriter, op.getLoc(), a, s);
    rewriter.replaceOp(op, buildQuantizedProduct(rewriter, op.getLoc(), a, *q,
                                                 k, n, resultType));
    return success();
  }
};

/// Y = alpha * A B' + beta * C: alpha goes into the weight scales, beta * C
/// is added after dequantization.
struct QuantizeGemm : OpRewritePattern<GemmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GemmOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType resultType;
    if (failed(checkActivation(rewriter, op, op.getA(), resultType)))
      return failure();
    if (op.getTransA() != 0)
      return rewriter.notifyMatchFailure(op, "transA is left in f32");
    std::optional<std::vector<float>> w = constantF32Matrix(op.getB());
    if (!w)
      return rewriter.notifyMatchFailure(
          op, "B is not a constant 2-D f32 weight");
    auto bType = cast<RankedTensorType>(op.getB().getType());
    bool transB = op.getTransB() != 0;
    int64_t k = bType.getDimSize(transB ? 1 : 0),
            n = bType.getDimSize(transB ? 0 : 1);
    float alpha = op.getAlpha().convertToFloat();
    float beta = op.getBeta().convertToFloat();
    if (!std::isfinite(alpha) || !std::isfinite(beta))
      return rewriter.notifyMatchFailure(op, "non-finite alpha or beta");
    Value c = op.getC();
    bool addC = c && !isa<NoneType>(c.getType());
    auto cType = addC ? dyn_cast<RankedTensorType>(c.getType()) : nullptr;
    if (addC && (!cType || !cType.getElementType().isF32()))
      return rewriter.notifyMatchFailure(op, "needs a ranked f32 C");
    Location loc = op.getLoc();
    Value a = op.getA();
    std::vector<float> s = layerNormSmoothing(a, *w, k, n, transB);
    smoothWeight(*w, k, n, transB, s);
    // Fails before any op is created.
    std::optional<QuantizedWeight> q = quantizeColumns(*w, k, n, transB, alpha);
    if (!q)
      return rewriter.notifyMatchFailure(op, "non-finite weight");
    if (!s.empty())
      a = smoothActivation(rewriter, loc, a, s);
    Value y = buildQuantizedProduct(rewriter, loc, a, *q, k, n, resultType);
    if (addC) {
      if (beta != 1.0f) {
        Value b = onnxConstant(
            rewriter, loc,
            DenseElementsAttr::get(
                RankedTensorType::get({}, rewriter.getF32Type()), beta));
        c = MulOp::create(rewriter, loc, cType, c, b);
      }
      y = AddOp::create(rewriter, loc, resultType, y, c);
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct QuantizeDynamicPass : impl::QuantizeDynamicBase<QuantizeDynamicPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<QuantizeMatMul, QuantizeGemm>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace
} // namespace onnxc
