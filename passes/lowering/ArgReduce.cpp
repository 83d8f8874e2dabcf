//===- ArgReduce.cpp - ArgMax, ArgMin, Hardmax and CumSum -----------------===//
//
// Reductions that track positions: ArgMax/ArgMin keep (best value, its
// index) in a two-result linalg.generic; Hardmax is ArgMax compared back
// with each index; CumSum sums, for each position, the positions before it
// along the axis (a masked reduction).
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

#include <cmath>

using namespace mlir;

namespace onnxc {
namespace {

/// Index of the best element along `axis` of `x` (dims other than the axis
/// kept), as i64; ties go to the first index, or the last with `lastIndex`.
Value argReduce(OpBuilder &b, Location loc, Value x, int64_t axis, bool isMax,
                bool lastIndex, bool isUnsigned) {
  auto type = cast<RankedTensorType>(x.getType());
  Type elem = type.getElementType();
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamicSizes; // the kept dims that are dynamic
  for (int64_t d = 0; d < rank; ++d) {
    if (d == axis)
      continue;
    shape.push_back(type.getDimSize(d));
    if (type.isDynamicDim(d))
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, x, d));
  }
  auto valueType = RankedTensorType::get(shape, elem);
  auto indexType = RankedTensorType::get(shape, b.getI64Type());
  double init;
  if (isa<FloatType>(elem))
    init = isMax ? -INFINITY : INFINITY;
  else {
    unsigned w = elem.getIntOrFloatBitWidth();
    if (isUnsigned)
      init = isMax ? 0.0 : std::ldexp(1.0, w) - 1;
    else
      init = isMax ? -std::ldexp(1.0, w - 1) : std::ldexp(1.0, w - 1) - 1;
  }
  Value values = createFilled(b, loc, valueType, init, dynamicSizes);
  Value indices = createFilled(b, loc, indexType, 0.0, dynamicSizes);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> kept;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    iterators.push_back(d == axis ? utils::IteratorType::reduction
                                  : utils::IteratorType::parallel);
    if (d != axis)
      kept.push_back(getAffineDimExpr(d, ctx));
  }
  AffineMap keptMap = AffineMap::get(rank, 0, kept, ctx);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{valueType, indexType}, x, ValueRange{values, indices},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank), keptMap, keptMap},
      iterators, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value v = a[0], best = a[1], bestIdx = a[2];
        Value better;
        if (isa<FloatType>(elem)) {
          auto strict = isMax ? arith::CmpFPredicate::OGT
                              : arith::CmpFPredicate::OLT;
          auto loose = isMax ? arith::CmpFPredicate::OGE
                             : arith::CmpFPredicate::OLE;
          better = arith::CmpFOp::create(nb, l, lastIndex ? loose : strict, v,
                                         best);
        } else {
          arith::CmpIPredicate p;
          if (isUnsigned)
            p = isMax ? (lastIndex ? arith::CmpIPredicate::uge
                                   : arith::CmpIPredicate::ugt)
                      : (lastIndex ? arith::CmpIPredicate::ule
                                   : arith::CmpIPredicate::ult);
          else
            p = isMax ? (lastIndex ? arith::CmpIPredicate::sge
                                   : arith::CmpIPredicate::sgt)
                      : (lastIndex ? arith::CmpIPredicate::sle
                                   : arith::CmpIPredicate::slt);
          better = arith::CmpIOp::create(nb, l, p, v, best);
        }
        Value idx = arith::IndexCastOp::create(
            nb, l, nb.getI64Type(), linalg::IndexOp::create(nb, l, axis));
        // The first element always replaces the initial value, so an
        // all-NaN or all-extreme row still yields a valid index.
        Value first = arith::CmpIOp::create(
            nb, l, arith::CmpIPredicate::eq, idx,
            arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(0)));
        better = arith::OrIOp::create(nb, l, better, first);
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, better, v, best),
                       arith::SelectOp::create(nb, l, better, idx, bestIdx)});
      });
  return generic.getResult(1);
}

struct ArgReduceLowering : ConversionPattern {
  ArgReduceLowering(const TypeConverter &converter, MLIRContext *context,
                    StringRef name, bool isMax)
      : ConversionPattern(converter, name, 1, context), isMax(isMax) {}
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    if (!resultType || !xType)
      return failure();
    int64_t axisAttr = intAttrOr(op, "axis", 0);
    auto axis = normalizeAxis(axisAttr, xType.getRank());
    if (!axis)
      return failure();
    bool last = false;
    if (auto a = op->getAttrOfType<IntegerAttr>("select_last_index"))
      last = a.getInt() != 0;
    Value idx = argReduce(rewriter, op->getLoc(), operands[0], *axis, isMax,
                          last,
                          isUnsignedInt(getElementTypeOrSelf(
                              op->getOperand(0).getType())));
    auto idxType = cast<RankedTensorType>(idx.getType());
    if (idxType != resultType) {
      auto reassoc = getReassociationIndicesForReshape(idxType, resultType);
      if (!reassoc)
        return failure();
      idx = tensor::ExpandShapeOp::create(rewriter, op->getLoc(), resultType,
                                          idx, *reassoc);
    }
    rewriter.replaceOp(op, idx);
    return success();
  }
  bool isMax;
};

/// Hardmax-13: 1 at the first maximum along `axis`, 0 elsewhere.
struct HardmaxLowering : OpConversionPattern<HardmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(HardmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
    if (!xType || !isa<FloatType>(xType.getElementType()))
      return failure();
    auto axis = normalizeAxis(op.getAxis(), xType.getRank());
    if (!axis)
      return failure();
    Location loc = op.getLoc();
    Value idx = argReduce(rewriter, loc, adaptor.getInput(), *axis, true,
                          false, false);
    MLIRContext *ctx = getContext();
    int64_t rank = xType.getRank();
    SmallVector<AffineExpr> kept;
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis)
        kept.push_back(getAffineDimExpr(d, ctx));
    Value init = createBroadcastEmpty(rewriter, loc, xType,
                                      ValueRange{adaptor.getInput()});
    int64_t a = *axis;
    Value y = linalg::GenericOp::create(
                  rewriter, loc, xType, idx, init,
                  ArrayRef<AffineMap>{AffineMap::get(rank, 0, kept, ctx),
                                      rewriter.getMultiDimIdentityMap(rank)},
                  SmallVector<utils::IteratorType>(
                      rank, utils::IteratorType::parallel),
                  [&](OpBuilder &b, Location l, ValueRange args) {
                    Value i = arith::IndexCastOp::create(
                        b, l, b.getI64Type(), linalg::IndexOp::create(b, l, a));
                    Value hit = arith::CmpIOp::create(
                        b, l, arith::CmpIPredicate::eq, i, args[0]);
                    Type t = args[1].getType();
                    linalg::YieldOp::create(
                        b, l,
                        arith::SelectOp::create(b, l, hit,
                                                scalarConstant(b, l, t, 1),
                                                scalarConstant(b, l, t, 0))
                            .getResult());
                  })
                  .getResult(0);
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// CumSum as a masked reduction: y[..i..] = sum_j x[..j..] over j <= i
/// (j < i exclusive; reversed with `reverse`). Quadratic in the axis size.
Value buildCumSum(OpBuilder &b, Location loc, Value x, int64_t axis,
                  bool exclusive, bool reverse) {
  auto xType = cast<RankedTensorType>(x.getType());
  Type elem = xType.getElementType();
  MLIRContext *ctx = b.getContext();
  int64_t rank = xType.getRank();
  // Loops: the output dims, then j along the axis.
  SmallVector<AffineExpr> xExprs;
  for (int64_t d = 0; d < rank; ++d)
    xExprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value init = linalg::FillOp::create(
                   b, loc, scalarConstant(b, loc, elem, 0.0),
                   createBroadcastEmpty(b, loc, xType, ValueRange{x}))
                   .getResult(0);
  int64_t a = axis;
  Value y = linalg::GenericOp::create(
                b, loc, xType, x, init,
                ArrayRef<AffineMap>{AffineMap::get(rank + 1, 0, xExprs, ctx),
                                    AffineMap::getMultiDimIdentityMap(rank + 1, ctx)
                                        .getMajorSubMap(rank)},
                iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
                  Value i = linalg::IndexOp::create(nb, l, a);
                  Value j = linalg::IndexOp::create(nb, l, rank);
                  arith::CmpIPredicate p =
                      reverse ? (exclusive ? arith::CmpIPredicate::ugt
                                           : arith::CmpIPredicate::uge)
                              : (exclusive ? arith::CmpIPredicate::ult
                                           : arith::CmpIPredicate::ule);
                  Value take = arith::CmpIOp::create(nb, l, p, j, i);
                  Value sum = isa<FloatType>(elem)
                                  ? (Value)arith::AddFOp::create(nb, l, args[1],
                                                                 args[0])
                                  : (Value)arith::AddIOp::create(nb, l, args[1],
                                                                 args[0]);
                  linalg::YieldOp::create(
                      nb, l,
                      arith::SelectOp::create(nb, l, take, sum, args[1])
                          .getResult());
                })
                .getResult(0);
  return y;
}

/// CumSum with a constant axis, or one read at run time.
struct CumSumLowering : OpConversionPattern<CumSumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CumSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    auto axisType = dyn_cast<RankedTensorType>(adaptor.getAxis().getType());
    if (!xType || !xType.hasStaticShape() || xType.getRank() == 0 ||
        !axisType || !axisType.hasStaticShape() ||
        axisType.getNumElements() != 1)
      return rewriter.notifyMatchFailure(op, "needs a static input and a "
                                             "one-element axis");
    bool exclusive = op.getExclusive() != 0, reverse = op.getReverse() != 0;
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    Value y;
    if (auto axisValues = constantIntValues(op.getAxis())) {
      auto axis = normalizeAxis((*axisValues)[0], xType.getRank());
      if (!axis)
        return rewriter.notifyMatchFailure(op, "axis out of range");
      y = buildCumSum(rewriter, loc, x, *axis, exclusive, reverse);
    } else if (xType.getRank() == 1) {
      y = buildCumSum(rewriter, loc, x, 0, exclusive, reverse);
    } else {
      // The axis is a run-time input: one variant per axis, picked then.
      y = buildSwitchOnAxis(
          rewriter, loc, adaptor.getAxis(), xType.getRank(), xType,
          [&](OpBuilder &b, Location l, int64_t axis) {
            return buildCumSum(b, l, x, axis, exclusive, reverse);
          });
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void populateArgReduceLoweringPatterns(OnnxTypeConverter &converter,
                                       RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  for (StringRef name : {"onnx.ArgMax", "onnx.ArgMax_v1"})
    patterns.add<ArgReduceLowering>(converter, ctx, name, true);
  for (StringRef name : {"onnx.ArgMin", "onnx.ArgMin_v1"})
    patterns.add<ArgReduceLowering>(converter, ctx, name, false);
  patterns.add<HardmaxLowering, CumSumLowering>(converter, ctx);
}

} // namespace onnxc
