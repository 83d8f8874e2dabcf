//===- RewriteQuantizedMatMul.cpp - Quantized matmuls in the VNNI form ----===//
//
// The integer kernel of VectorizeIntegerContractions multiplies a uint8 A
// by a constant int8 B with no zero points (x86's vpdpbusd is u8 x s8).
// QuantizeDynamic emits exactly that form; the quantized models that other
// tools write do not:
//
//  - onnxruntime's quantize_dynamic: DynamicQuantizeLinear(x) ->
//    MatMulInteger(x_q, W_q, x_zp, W_zp), W_q int8 (zero point 0) or
//    uint8 (with a zero point), per tensor or per column;
//  - QDQ models (static quantization): MatMul(DequantizeLinear(x_q, s_x,
//    z_x), DequantizeLinear(W_q, s_w, z_w)), usually with
//    x_q = QuantizeLinear(x).
//
// Both run through the scalar fallback otherwise (the zero points sit in
// the contraction's body: (a - z_a) * (w - z_w)). Two patterns bring them
// to the kernel's form:
//
//  1. QDQ: with per-tensor s_x, z_x and per-tensor or per-column (axis 1)
//     s_w, z_w, the scales do not vary along k and factor out:
//       MatMul(DQ(x_q), DQ(W_q)) = s_x * s_w[n] * MatMulInteger(x_q, W_q, z_x, z_w).
//     A scale per row of W (axis 0, i.e. along k) does not factor out:
//     such a MatMul stays in f32 as written.
//
//  2. MatMulInteger(a, W, z_a, z_w) with a uint8 A, a constant 8-bit W
//     and a constant (or absent) z_w of one value or one per column:
//       sum_k (a - z_a)(w - z_w) = acc[m, n] - z_w[n] r[m] - z_a (c[n] - K z_w[n])
//     with acc = MatMulInteger(a, W) (no zero points), r[m] = sum_k a[m, k]
//     and c[n] = sum_k w[k, n] computed here. A uint8 W is first shifted
//     to int8, w - 128, with its zero point shifted alike (w - z_w is
//     unchanged), since the kernel's weight operand is signed. The terms
//     are elementwise onnx ops after the product (r only when some z_w is
//     not 0: ORT's default int8 weights are symmetric), all in i32, whose
//     wrap-around is MatMulInteger's own (the result is exact whenever the
//     true sum fits in i32). z_a may be a run-time value (it is
//     DynamicQuantizeLinear's output) but must be one value per tensor.
//
// Left as written (the generic lowering computes them correctly, only
// without the kernel): an int8 A (the kernel needs u8 activations), a
// non-constant W or z_w, a per-row z_a, a W that is not a 2-D matrix. A QDQ
// MatMul is only rewritten when its MatMulInteger then takes the kernel's
// form (uint8 x, constant z_w): otherwise the f32 MatMul's kernel is the
// faster one.
// Other users of an intermediate value (the DequantizeLinear of x or of W,
// the quantized x) keep reading it: nothing here erases or changes a value
// that another op reads, so such users never block a rewrite.
//
//===----------------------------------------------------------------------===//

#include "passes/ConstantBytes.h"
#include "passes/Passes.h"
#include "passes/graph/GraphUtils.h"

#include "dialects/onnx/OnnxDialect.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_REWRITEQUANTIZEDMATMUL
#include "passes/Passes.h.inc"

namespace {

// TensorProto.DataType values for Cast's `to`.
constexpr int64_t kOnnxFloat = 1;
constexpr int64_t kOnnxInt32 = 6;

bool isNone(Value v) { return !v || isa<NoneType>(v.getType()); }

/// True for a ranked tensor whose every dim is a static 1 (a scalar, [1],
/// [1, 1]...): one value for the whole tensor.
bool isSingleValue(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  return t && llvm::all_of(t.getShape(), [](int64_t d) { return d == 1; });
}

bool isEightBit(Type type) {
  auto t = dyn_cast<RankedTensorType>(type);
  return t && t.getElementType().isInteger(8);
}

Value constantOf(OpBuilder &b, Location loc, ElementsAttr attr) {
  return ConstantOp::create(b, loc, attr.getType(), ElementsAttr(), attr,
                            FloatAttr(), ArrayAttr(), IntegerAttr(),
                            ArrayAttr(), StringAttr(), ArrayAttr());
}

Value i32Vector(OpBuilder &b, Location loc, ArrayRef<int32_t> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, b.getI32Type());
  return constantOf(b, loc, DenseElementsAttr::get(type, values));
}

/// Pattern 1: MatMul(DequantizeLinear(x_q), DequantizeLinear(W_q const)).
struct QdqMatMulToInteger : CountingPattern<MatMulOp> {
  using CountingPattern::CountingPattern;

  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto dqA = op.getA().getDefiningOp<DequantizeLinearOp>();
    auto dqB = op.getB().getDefiningOp<DequantizeLinearOp>();
    if (!dqA || !dqB)
      return rewriter.notifyMatchFailure(op, "operands not both dequantized");
    auto resultType = dyn_cast<RankedTensorType>(op.getType());
    auto xType = dyn_cast<RankedTensorType>(dqA.getX().getType());
    auto wType = dyn_cast<RankedTensorType>(dqB.getX().getType());
    if (!resultType || !xType || !wType || !isEightBit(xType) ||
        !isEightBit(wType))
      return rewriter.notifyMatchFailure(op, "needs ranked 8-bit x and W");
    if (xType.getRank() < 2 || wType.getRank() != 2 || !wType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs A of rank >= 2, 2-D W");
    if (!constantAttr(dqB.getX()))
      return rewriter.notifyMatchFailure(op, "W is not a constant");
    // Only where pattern 2 then reaches the kernel: an integer product on
    // the scalar fallback would be slower than the f32 MatMul's kernel.
    if (!xType.getElementType().isUnsignedInteger(8))
      return rewriter.notifyMatchFailure(op, "x is not uint8");
    if (!isNone(dqB.getXZeroPoint()) && !constantAttr(dqB.getXZeroPoint()))
      return rewriter.notifyMatchFailure(op, "W's zero point is not a constant");
    // Activation: one scale and zero point for the tensor, of a rank the
    // result's broadcast cannot grow.
    Value sA = dqA.getXScale(), zA = dqA.getXZeroPoint();
    if (!isSingleValue(sA.getType()) ||
        cast<RankedTensorType>(sA.getType()).getRank() > resultType.getRank() ||
        (!isNone(zA) && !isSingleValue(zA.getType())))
      return rewriter.notifyMatchFailure(op, "x is not quantized per tensor");
    // Weight: one scale, or one per column (axis 1 of [K, N]).
    Value sB = dqB.getXScale(), zB = dqB.getXZeroPoint();
    int64_t n = wType.getDimSize(1);
    auto perColumn = [&](Type t) {
      auto r = dyn_cast<RankedTensorType>(t);
      return r && r.getRank() == 1 && r.getDimSize(0) == n;
    };
    int64_t axis = int64_t(dqB.getAxis());
    bool columns = (axis == 1 || axis == -1) && perColumn(sB.getType()) &&
                   (isNone(zB) || perColumn(zB.getType()));
    bool single = isSingleValue(sB.getType()) &&
                  cast<RankedTensorType>(sB.getType()).getRank() <= 1 &&
                  (isNone(zB) || isSingleValue(zB.getType()));
    if (!columns && !single)
      return rewriter.notifyMatchFailure(
          op, "W's scale varies along k (per-axis on axis 0): no integer form");

    Location loc = op.getLoc();
    Value none = NoValueOp::create(rewriter, loc, rewriter.getNoneType());
    Value acc = MatMulIntegerOp::create(
        rewriter, loc, resultType.clone(rewriter.getI32Type()), dqA.getX(),
        dqB.getX(), isNone(zA) ? none : zA, isNone(zB) ? none : zB);
    Value y = CastOp::create(rewriter, loc, resultType, acc,
                             rewriter.getI64IntegerAttr(kOnnxFloat));
    y = MulOp::create(rewriter, loc, resultType, y, sA);
    y = MulOp::create(rewriter, loc, resultType, y, sB);
    rewriter.replaceOp(op, y);
    ++count;
    return success();
  }
};

/// Pattern 2: MatMulInteger with zero points or a uint8 W -> the bare
/// u8 x s8 product and an elementwise correction.
struct MatMulIntegerToUnsignedSigned : CountingPattern<MatMulIntegerOp> {
  using CountingPattern::CountingPattern;

  LogicalResult matchAndRewrite(MatMulIntegerOp op,
                                PatternRewriter &rewriter) const override {
    auto aType = dyn_cast<RankedTensorType>(op.getA().getType());
    auto wType = dyn_cast<RankedTensorType>(op.getB().getType());
    auto resultType = dyn_cast<RankedTensorType>(op.getY().getType());
    if (!aType || !wType || !resultType || aType.getRank() < 2)
      return rewriter.notifyMatchFailure(op, "needs ranked A of rank >= 2");
    if (!aType.getElementType().isUnsignedInteger(8))
      return rewriter.notifyMatchFailure(
          op, "A is not uint8 (the kernel multiplies u8 x s8)");
    if (wType.getRank() != 2 || !wType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "W is not a static 2-D matrix");
    bool wUnsigned = wType.getElementType().isUnsignedInteger(8);
    Value zA = op.getAZeroPoint(), zB = op.getBZeroPoint();
    if (isNone(zA) && isNone(zB) && !wUnsigned)
      return rewriter.notifyMatchFailure(op, "already the u8 x s8 form");
    int64_t k = wType.getDimSize(0), n = wType.getDimSize(1);
    std::optional<std::vector<int64_t>> w = integerConstantValues(op.getB());
    if (!w || int64_t(w->size()) != k * n)
      return rewriter.notifyMatchFailure(op, "W is not a constant");
    // z_w: absent, one value, or one per column ([N] or [1, N]).
    std::vector<int64_t> zw(n, 0);
    if (!isNone(zB)) {
      auto zType = dyn_cast<RankedTensorType>(zB.getType());
      std::optional<std::vector<int64_t>> z = integerConstantValues(zB);
      if (!zType || !z)
        return rewriter.notifyMatchFailure(op, "W's zero point is not a constant");
      bool perColumn = zType.getRank() >= 1 && zType.getRank() <= 2 &&
                       zType.getShape().back() == n &&
                       (zType.getRank() == 1 || zType.getDimSize(0) == 1);
      if (z->size() == 1)
        zw.assign(n, (*z)[0]);
      else if (perColumn)
        zw = *z;
      else
        return rewriter.notifyMatchFailure(
            op, "W's zero point is neither per tensor nor per column");
    }
    // z_a: one value (run-time or constant); per-row ones are left alone.
    if (!isNone(zA) && (!isSingleValue(zA.getType()) ||
                        cast<RankedTensorType>(zA.getType()).getRank() >
                            resultType.getRank()))
      return rewriter.notifyMatchFailure(op, "A's zero point is not per tensor");

    // W and z_w shifted to signed (w - z_w unchanged); column sums.
    int64_t shift = wUnsigned ? 128 : 0;
    std::vector<int8_t> q(k * n);
    std::vector<int64_t> colSum(n, 0);
    for (int64_t r = 0; r < k; ++r)
      for (int64_t c = 0; c < n; ++c) {
        int64_t v = (*w)[r * n + c] - shift;
        q[r * n + c] = int8_t(v);
        colSum[c] += v;
      }
    bool anyZw = false;
    std::vector<int32_t> zwShifted(n), aTerm(n);
    for (int64_t c = 0; c < n; ++c) {
      int64_t z = zw[c] - shift;
      int64_t d = colSum[c] - k * z;
      if (d < std::numeric_limits<int32_t>::min() ||
          d > std::numeric_limits<int32_t>::max())
        return rewriter.notifyMatchFailure(op, "K too large for i32 sums");
      zwShifted[c] = int32_t(z);
      aTerm[c] = int32_t(d);
      anyZw |= z != 0;
    }

    Location loc = op.getLoc();
    Type i32 = rewriter.getI32Type();
    auto qType = RankedTensorType::get({k, n}, rewriter.getI8Type());
    // A blob, as the importer stores weights and QuantizeDynamic its int8
    // ones (nothing uniques megabytes in the context).
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        ArrayRef<char>(reinterpret_cast<const char *>(q.data()), q.size()),
        alignof(std::max_align_t));
    Value qW = constantOf(
        rewriter, loc,
        DenseResourceElementsAttr::get(qType, "onnxc_q8", std::move(blob)));
    Value none = NoValueOp::create(rewriter, loc, rewriter.getNoneType());
    Value y = MatMulIntegerOp::create(rewriter, loc, resultType, op.getA(), qW,
                                      none, none);
    if (!isNone(zA)) {
      // - z_a (c[n] - K z_w[n])
      auto zType = cast<RankedTensorType>(zA.getType());
      Value za = CastOp::create(rewriter, loc, zType.clone(i32), zA,
                                rewriter.getI64IntegerAttr(kOnnxInt32));
      SmallVector<int64_t> shape(std::max<int64_t>(zType.getRank(), 1), 1);
      shape.back() = n;
      Value term = MulOp::create(rewriter, loc,
                                 RankedTensorType::get(shape, i32), za,
                                 i32Vector(rewriter, loc, aTerm));
      y = SubOp::create(rewriter, loc, resultType, y, term);
    }
    if (anyZw) {
      // - z_w[n] r[m], r = the row sums of A.
      SmallVector<int64_t> rowShape(aType.getShape());
      rowShape.back() = 1;
      auto rowType = RankedTensorType::get(rowShape, i32);
      Value a32 = CastOp::create(rewriter, loc, aType.clone(i32), op.getA(),
                                 rewriter.getI64IntegerAttr(kOnnxInt32));
      auto axesType = RankedTensorType::get({1}, rewriter.getI64Type());
      Value axes = constantOf(
          rewriter, loc, DenseElementsAttr::get(axesType, ArrayRef<int64_t>{-1}));
      Value rows = ReduceSumOp::create(rewriter, loc, rowType, a32, axes,
                                       rewriter.getI64IntegerAttr(1),
                                       rewriter.getI64IntegerAttr(0));
      Value term = MulOp::create(rewriter, loc, resultType, rows,
                                 i32Vector(rewriter, loc, zwShifted));
      y = SubOp::create(rewriter, loc, resultType, y, term);
    }
    rewriter.replaceOp(op, y);
    ++count;
    return success();
  }
};

struct RewriteQuantizedMatMulPass
    : impl::RewriteQuantizedMatMulBase<RewriteQuantizedMatMulPass> {
  using impl::RewriteQuantizedMatMulBase<
      RewriteQuantizedMatMulPass>::RewriteQuantizedMatMulBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    int64_t qdq = 0, integer = 0;
    RewritePatternSet patterns(ctx);
    patterns.add<QdqMatMulToInteger>(ctx, qdq);
    patterns.add<MatMulIntegerToUnsignedSigned>(ctx, integer);
    applyGraphRewrites(getOperation(), std::move(patterns));
    if (report)
      getOperation().emitRemark()
          << "onnxc-rewrite-quantized-matmul: " << qdq
          << " QDQ MatMuls to MatMulInteger, " << integer
          << " MatMulIntegers to the u8 x s8 form";
  }
};

} // namespace
} // namespace onnxc
