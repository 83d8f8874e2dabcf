//===- MatMul.cpp - Lower MatMul, Gemm and Det ----------------------------===//
//
// MatMul follows numpy: 1-D operands are promoted (and the promoted dim
// dropped from the result), batch dims broadcast. One linalg.generic
// contraction covers every case; the CPU pipeline tiles and vectorizes it.
// Det is a sequential LU factorization (scf loops) per batch matrix.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

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
    auto layout =
        matMulLayout(rewriter, loc, adaptor.getA(), adaptor.getB(), resultType);
    if (failed(layout))
      return rewriter.notifyMatchFailure(op, "inconsistent ranks");
    int64_t numLoops = layout->numLoops;
    Value init =
        createFilled(rewriter, loc, resultType, 0.0, layout->dynamicSizes);

    SmallVector<utils::IteratorType> iterators(numLoops,
                                               utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{adaptor.getA(), adaptor.getB()},
        init,
        ArrayRef<AffineMap>{AffineMap::get(numLoops, 0, layout->aExprs, ctx),
                            AffineMap::get(numLoops, 0, layout->bExprs, ctx),
                            AffineMap::get(numLoops, 0, layout->outExprs, ctx)},
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(
              b, l, multiplyAccumulate(b, l, args[0], args[1], args[2], 1.0));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Y = alpha * A' * B' + beta * C, with C broadcast to (M, N).
/// Gemm, every version: Gemm-1/6 mark C's (unidirectional) broadcast with
/// an attribute, which the broadcasting read of C covers either way.
struct GemmLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (operands.size() < 2)
      return failure();
    Value a = operands[0], bOperand = operands[1];
    Value c = operands.size() > 2 ? operands[2] : Value();
    auto aType = dyn_cast<RankedTensorType>(a.getType());
    if (!resultType || !aType || resultType.getRank() != 2 ||
        !isa<RankedTensorType>(bOperand.getType()) ||
        !isa<FloatType, IntegerType>(resultType.getElementType()))
      return failure();
    MLIRContext *ctx = getContext();
    Location loc = op->getLoc();
    double alpha = floatAttrOr(op, "alpha", 1.0);
    double beta = floatAttrOr(op, "beta", 1.0);
    bool transA = intAttrOr(op, "transA", 0) != 0;
    bool transB = intAttrOr(op, "transB", 0) != 0;

    SmallVector<Value> dynamicSizes;
    if (resultType.isDynamicDim(0))
      dynamicSizes.push_back(
          tensor::DimOp::create(rewriter, loc, a, transA ? 1 : 0));
    if (resultType.isDynamicDim(1))
      dynamicSizes.push_back(
          tensor::DimOp::create(rewriter, loc, bOperand, transB ? 0 : 1));

    Value init;
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
        rewriter, loc, resultType, ValueRange{a, bOperand},
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

/// Det of [*, M, M]: Gaussian elimination with partial pivoting on each
/// matrix, the determinant being the product of the pivots, negated per row
/// swap. The pivot is the first largest |a| in its column (never a NaN). A
/// zero pivot makes the determinant 0; its column is then left as is so no
/// inf or NaN enters the later pivots. f16/bf16 are computed in f32.
struct DetLowering : OpConversionPattern<DetOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DetOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    RankedTensorType yType = convertedResultType(*getTypeConverter(), op);
    if (!xType || !yType || !xType.hasStaticShape() || xType.getRank() < 2 ||
        !isa<FloatType>(xType.getElementType()))
      return rewriter.notifyMatchFailure(op, "needs a static float input");
    int64_t rank = xType.getRank();
    int64_t m = xType.getDimSize(rank - 1);
    if (xType.getDimSize(rank - 2) != m ||
        yType.getShape() != xType.getShape().drop_back(2))
      return rewriter.notifyMatchFailure(op, "needs square matrices");
    Location loc = op.getLoc();
    auto elem = cast<FloatType>(xType.getElementType());
    FloatType ct = elem.getWidth() < 32 ? rewriter.getF32Type() : elem;
    int64_t batch = 1;
    for (int64_t d = 0; d + 2 < rank; ++d)
      batch *= xType.getDimSize(d);

    // View as [B, M, M] in the compute type.
    auto cubeType = RankedTensorType::get({batch, m, m}, elem);
    Value x = adaptor.getX();
    if (rank == 2) {
      x = tensor::ExpandShapeOp::create(
          rewriter, loc, cubeType, x,
          ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    } else if (rank > 3) {
      ReassociationIndices batchDims;
      for (int64_t d = 0; d + 2 < rank; ++d)
        batchDims.push_back(d);
      x = tensor::CollapseShapeOp::create(
          rewriter, loc, cubeType, x,
          ArrayRef<ReassociationIndices>{batchDims, {rank - 2}, {rank - 1}});
    }
    if (ct != elem)
      x = buildBroadcastElementwise(
          rewriter, loc, cubeType.clone(ct), x,
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            return arith::ExtFOp::create(b, l, ct, a[0]);
          });

    auto cidx = [](OpBuilder &b, Location l, int64_t v) {
      return arith::ConstantIndexOp::create(b, l, v).getResult();
    };
    auto matType = RankedTensorType::get({m, m}, ct);
    auto vecType = RankedTensorType::get({batch}, ct);
    Value out = tensor::EmptyOp::create(rewriter, loc, vecType.getShape(), ct);
    auto batchLoop = scf::ForOp::create(
        rewriter, loc, cidx(rewriter, loc, 0), cidx(rewriter, loc, batch),
        cidx(rewriter, loc, 1), ValueRange{out},
        [&](OpBuilder &b, Location l, Value bi, ValueRange dets) {
          Value zero = cidx(b, l, 0), one = cidx(b, l, 1), size = cidx(b, l, m);
          Value a0 = tensor::ExtractSliceOp::create(
              b, l, matType, x,
              ArrayRef<OpFoldResult>{bi, b.getIndexAttr(0), b.getIndexAttr(0)},
              ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(m),
                                     b.getIndexAttr(m)},
              ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1),
                                     b.getIndexAttr(1)});
          Value detInit =
              arith::ConstantOp::create(b, l, b.getFloatAttr(ct, 1.0));
          auto columnLoop = scf::ForOp::create(
              b, l, zero, size, one, ValueRange{a0, detInit},
              [&](OpBuilder &cb, Location cl, Value k, ValueRange st) {
                Value a = st[0], det = st[1];
                Value k1 = arith::AddIOp::create(cb, cl, k, one);
                auto at = [&](OpBuilder &ob, Location ol, Value mat, Value r,
                              Value c) {
                  return tensor::ExtractOp::create(ob, ol, mat,
                                                   ValueRange{r, c})
                      .getResult();
                };
                // Pivot row: the first largest |a[i, k]|, i >= k.
                Value absKK = math::AbsFOp::create(cb, cl, at(cb, cl, a, k, k));
                auto search = scf::ForOp::create(
                    cb, cl, k1, size, one, ValueRange{k, absKK},
                    [&](OpBuilder &sb, Location sl, Value i, ValueRange best) {
                      Value v =
                          math::AbsFOp::create(sb, sl, at(sb, sl, a, i, k));
                      Value better = arith::CmpFOp::create(
                          sb, sl, arith::CmpFPredicate::OGT, v, best[1]);
                      scf::YieldOp::create(
                          sb, sl,
                          ValueRange{arith::SelectOp::create(sb, sl, better, i,
                                                             best[0]),
                                     arith::SelectOp::create(sb, sl, better, v,
                                                             best[1])});
                    });
                Value p = search.getResult(0);
                // Swap rows k and p (a no-op when p == k).
                auto swap = scf::ForOp::create(
                    cb, cl, zero, size, one, ValueRange{a},
                    [&](OpBuilder &wb, Location wl, Value j, ValueRange mat) {
                      Value rowK = at(wb, wl, mat[0], k, j);
                      Value rowP = at(wb, wl, mat[0], p, j);
                      Value t = tensor::InsertOp::create(wb, wl, rowP, mat[0],
                                                         ValueRange{k, j});
                      t = tensor::InsertOp::create(wb, wl, rowK, t,
                                                   ValueRange{p, j});
                      scf::YieldOp::create(wb, wl, t);
                    });
                a = swap.getResult(0);
                Value swapped = arith::CmpIOp::create(
                    cb, cl, arith::CmpIPredicate::ne, p, k);
                det = arith::SelectOp::create(
                    cb, cl, swapped, arith::NegFOp::create(cb, cl, det), det);
                Value pivot = at(cb, cl, a, k, k);
                det = arith::MulFOp::create(cb, cl, det, pivot);
                Value zeroPivot = arith::CmpFOp::create(
                    cb, cl, arith::CmpFPredicate::OEQ, pivot,
                    arith::ConstantOp::create(cb, cl,
                                              cb.getFloatAttr(ct, 0.0)));
                // Rows below: a[i, j] -= (a[i, k] / pivot) * a[k, j], j > k.
                auto rows = scf::ForOp::create(
                    cb, cl, k1, size, one, ValueRange{a},
                    [&](OpBuilder &rb, Location rl, Value i, ValueRange mat) {
                      Value f = arith::DivFOp::create(
                          rb, rl, at(rb, rl, mat[0], i, k), pivot);
                      f = arith::SelectOp::create(
                          rb, rl, zeroPivot,
                          arith::ConstantOp::create(rb, rl,
                                                    rb.getFloatAttr(ct, 0.0)),
                          f);
                      auto cols = scf::ForOp::create(
                          rb, rl, k1, size, one, mat,
                          [&](OpBuilder &jb, Location jl, Value j,
                              ValueRange row) {
                            Value v = arith::SubFOp::create(
                                jb, jl, at(jb, jl, row[0], i, j),
                                arith::MulFOp::create(
                                    jb, jl, f, at(jb, jl, row[0], k, j)));
                            scf::YieldOp::create(
                                jb, jl,
                                tensor::InsertOp::create(jb, jl, v, row[0],
                                                         ValueRange{i, j})
                                    .getResult());
                          });
                      scf::YieldOp::create(rb, rl, cols.getResults());
                    });
                scf::YieldOp::create(cb, cl,
                                     ValueRange{rows.getResult(0), det});
              });
          Value next = tensor::InsertOp::create(b, l, columnLoop.getResult(1),
                                                dets[0], ValueRange{bi});
          scf::YieldOp::create(b, l, next);
        });
    Value y = batchLoop.getResult(0);
    if (ct != elem)
      y = buildBroadcastElementwise(
          rewriter, loc, vecType.clone(elem), y,
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            return arith::TruncFOp::create(b, l, elem, a[0]);
          });
    if (yType.getRank() == 0) {
      y = tensor::CollapseShapeOp::create(rewriter, loc, yType, y,
                                          ArrayRef<ReassociationIndices>{});
    } else if (yType.getRank() > 1) {
      ReassociationIndices all;
      for (int64_t d = 0; d < yType.getRank(); ++d)
        all.push_back(d);
      y = tensor::ExpandShapeOp::create(rewriter, loc, yType, y,
                                        ArrayRef<ReassociationIndices>{all});
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

FailureOr<MatMulLayout> matMulLayout(OpBuilder &b, Location loc, Value a,
                                     Value bv, RankedTensorType resultType) {
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(bv.getType());
  MLIRContext *ctx = b.getContext();
  int64_t ra = aType.getRank(), rb = bType.getRank();
  int64_t rr = resultType.getRank();
  bool hasM = ra >= 2, hasN = rb >= 2;
  int64_t nb = rr - int64_t(hasM) - int64_t(hasN);
  if (nb < 0 || ra < 1 || rb < 1 || nb < ra - 2 || nb < rb - 2)
    return failure();
  MatMulLayout layout;
  layout.numLoops = rr + 1;
  layout.resultRank = rr;
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
  if (hasM) {
    layout.aExprs = batchExprs(aType, ra - 2);
    layout.aExprs.append({m, k});
  } else {
    layout.aExprs = {k};
  }
  if (hasN) {
    layout.bExprs = batchExprs(bType, rb - 2);
    layout.bExprs.append({k, n});
  } else {
    layout.bExprs = {k};
  }
  for (int64_t i = 0; i < nb; ++i)
    layout.outExprs.push_back(getAffineDimExpr(i, ctx));
  if (hasM)
    layout.outExprs.push_back(m);
  if (hasN)
    layout.outExprs.push_back(n);

  // Dynamic result sizes: batch dims from whichever operand has them,
  // M from A, N from B.
  for (int64_t d = 0; d < rr; ++d) {
    if (!resultType.isDynamicDim(d))
      continue;
    Value size;
    if (d < nb) {
      for (auto [v, t, batchRank] :
           {std::tuple{a, aType, hasM ? ra - 2 : 0},
            std::tuple{bv, bType, hasN ? rb - 2 : 0}}) {
        int64_t src = d - (nb - batchRank);
        if (src >= 0 && t.getDimSize(src) != 1) {
          size = tensor::DimOp::create(b, loc, v, src);
          break;
        }
      }
      if (!size)
        size = arith::ConstantIndexOp::create(b, loc, 1);
    } else if (hasM && d == nb) {
      size = tensor::DimOp::create(b, loc, a, ra - 2);
    } else {
      size = tensor::DimOp::create(b, loc, bv, rb - 1);
    }
    layout.dynamicSizes.push_back(size);
  }
  return layout;
}

void populateMatMulLoweringPatterns(OnnxTypeConverter &converter,
                                    RewritePatternSet &patterns) {
  patterns.add<MatMulLowering, DetLowering>(converter, patterns.getContext());
  for (StringRef name : {"onnx.Gemm", "onnx.Gemm_v7", "onnx.Gemm_v1"})
    patterns.add<GemmLowering>(converter, patterns.getContext(), name);
}

} // namespace onnxc
