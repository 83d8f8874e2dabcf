//===- MatMul.cpp - Lower MatMul and Gemm to linalg contractions ----------===//
//
// MatMul follows numpy: 1-D operands are promoted (and the promoted dim
// dropped from the result), batch dims broadcast. One linalg.generic
// contraction covers every case; the CPU pipeline tiles and vectorizes it.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

/// acc + a*b (times `alpha` when it is not 1) in the element type.
Value multiplyAccumulate(OpBuilder &b, Location loc, Value a, Value bv,
                         Value acc, double alpha) {
  if (isa<FloatType>(acc.getType())) {
    Value prod = arith::MulFOp::create(b, loc, a, bv);
    if (alpha != 1.0)
      prod = arith::MulFOp::create(b, loc, prod,
                                   scalarConstant(b, loc, acc.getType(), alpha));
    return arith::AddFOp::create(b, loc, acc, prod);
  }
  Value prod = arith::MulIOp::create(b, loc, a, bv);
  return arith::AddIOp::create(b, loc, acc, prod);
}

struct MatMulLowering : OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto aType = dyn_cast<RankedTensorType>(adaptor.getA().getType());
    auto bType = dyn_cast<RankedTensorType>(adaptor.getB().getType());
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!aType || !bType || !resultType)
      return rewriter.notifyMatchFailure(op, "needs ranked operands");
    if (!isa<FloatType, IntegerType>(resultType.getElementType()))
      return failure();
    MLIRContext *ctx = getContext();
    Location loc = op.getLoc();
    int64_t ra = aType.getRank(), rb = bType.getRank();
    int64_t rr = resultType.getRank();
    bool hasM = ra >= 2, hasN = rb >= 2;
    int64_t nb = rr - int64_t(hasM) - int64_t(hasN);
    if (nb < 0 || ra < 1 || rb < 1)
      return rewriter.notifyMatchFailure(op, "inconsistent ranks");
    int64_t numLoops = rr + 1;
    AffineExpr m = getAffineDimExpr(nb, ctx);
    AffineExpr n = getAffineDimExpr(nb + (hasM ? 1 : 0), ctx);
    AffineExpr k = getAffineDimExpr(rr, ctx);

    // Batch dims of an operand, right-aligned against the result's.
    auto batchExprs = [&](RankedTensorType t, int64_t batchRank) {
      SmallVector<AffineExpr> exprs;
      for (int64_t i = 0; i < batchRank; ++i) {
        int64_t out = nb - batchRank + i;
        if (t.getDimSize(i) == 1 && resultType.getDimSize(out) != 1)
          exprs.push_back(getAffineConstantExpr(0, ctx));
        else
          exprs.push_back(getAffineDimExpr(out, ctx));
      }
      return exprs;
    };
    SmallVector<AffineExpr> aExprs, bExprs, outExprs;
    if (hasM) {
      aExprs = batchExprs(aType, ra - 2);
      aExprs.append({m, k});
    } else {
      aExprs = {k};
    }
    if (hasN) {
      bExprs = batchExprs(bType, rb - 2);
      bExprs.append({k, n});
    } else {
      bExprs = {k};
    }
    for (int64_t i = 0; i < nb; ++i)
      outExprs.push_back(getAffineDimExpr(i, ctx));
    if (hasM)
      outExprs.push_back(m);
    if (hasN)
      outExprs.push_back(n);

    // Dynamic result sizes: batch dims from whichever operand has them,
    // M from A, N from B.
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < rr; ++d) {
      if (!resultType.isDynamicDim(d))
        continue;
      Value size;
      if (d < nb) {
        for (auto [v, t, batchRank] :
             {std::tuple{adaptor.getA(), aType, hasM ? ra - 2 : 0},
              std::tuple{adaptor.getB(), bType, hasN ? rb - 2 : 0}}) {
          int64_t src = d - (nb - batchRank);
          if (src >= 0 && t.getDimSize(src) != 1) {
            size = tensor::DimOp::create(rewriter, loc, v, src);
            break;
          }
        }
        if (!size)
          size = arith::ConstantIndexOp::create(rewriter, loc, 1);
      } else if (hasM && d == nb) {
        size = tensor::DimOp::create(rewriter, loc, adaptor.getA(), ra - 2);
      } else {
        size = tensor::DimOp::create(rewriter, loc, adaptor.getB(), rb - 1);
      }
      dynamicSizes.push_back(size);
    }
    Value init = createFilled(rewriter, loc, resultType, 0.0, dynamicSizes);

    SmallVector<utils::IteratorType> iterators(numLoops,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{adaptor.getA(), adaptor.getB()},
        init,
        ArrayRef<AffineMap>{AffineMap::get(numLoops, 0, aExprs, ctx),
                            AffineMap::get(numLoops, 0, bExprs, ctx),
                            AffineMap::get(numLoops, 0, outExprs, ctx)},
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(
              b, l, multiplyAccumulate(b, l, args[0], args[1], args[2], 1.0));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Y = alpha * A' * B' + beta * C, with C broadcast to (M, N).
struct GemmLowering : OpConversionPattern<GemmOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto aType = dyn_cast<RankedTensorType>(adaptor.getA().getType());
    if (!resultType || !aType || resultType.getRank() != 2 ||
        !isa<FloatType, IntegerType>(resultType.getElementType()))
      return failure();
    MLIRContext *ctx = getContext();
    Location loc = op.getLoc();
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    bool transA = op.getTransA() != 0, transB = op.getTransB() != 0;

    SmallVector<Value> dynamicSizes;
    if (resultType.isDynamicDim(0))
      dynamicSizes.push_back(
          tensor::DimOp::create(rewriter, loc, adaptor.getA(), transA ? 1 : 0));
    if (resultType.isDynamicDim(1))
      dynamicSizes.push_back(
          tensor::DimOp::create(rewriter, loc, adaptor.getB(), transB ? 0 : 1));

    Value init;
    Value c = adaptor.getC();
    if (!isNoValue(c) && beta != 0.0) {
      // Start from beta*C, broadcast.
      auto cType = cast<RankedTensorType>(c.getType());
      Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                            resultType.getElementType(),
                                            dynamicSizes);
      AffineMap cMap = broadcastIndexingMap(cType, resultType, ctx);
      init = linalg::GenericOp::create(
                 rewriter, loc, resultType, c, empty,
                 ArrayRef<AffineMap>{cMap, rewriter.getMultiDimIdentityMap(2)},
                 SmallVector<utils::IteratorType>(
                     2, utils::IteratorType::parallel),
                 [&](OpBuilder &b, Location l, ValueRange args) {
                   Value v = args[0];
                   if (beta != 1.0 && isa<FloatType>(v.getType()))
                     v = arith::MulFOp::create(
                         b, l, v, scalarConstant(b, l, v.getType(), beta));
                   linalg::YieldOp::create(b, l, v);
                 })
                 .getResult(0);
    } else {
      init = createFilled(rewriter, loc, resultType, 0.0, dynamicSizes);
    }

    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    auto aMap = AffineMap::get(3, 0, transA ? ArrayRef<AffineExpr>{k, m}
                                            : ArrayRef<AffineExpr>{m, k},
                               ctx);
    auto bMap = AffineMap::get(3, 0, transB ? ArrayRef<AffineExpr>{n, k}
                                            : ArrayRef<AffineExpr>{k, n},
                               ctx);
    auto outMap = AffineMap::get(3, 0, {m, n}, ctx);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{adaptor.getA(), adaptor.getB()},
        init, ArrayRef<AffineMap>{aMap, bMap, outMap},
        {utils::IteratorType::parallel, utils::IteratorType::parallel,
         utils::IteratorType::reduction},
        [&](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(
              b, l, multiplyAccumulate(b, l, args[0], args[1], args[2], alpha));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void populateMatMulLoweringPatterns(OnnxTypeConverter &converter,
                                    RewritePatternSet &patterns) {
  patterns.add<MatMulLowering, GemmLowering>(converter, patterns.getContext());
}

} // namespace onnxc
