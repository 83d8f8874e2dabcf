//===- Loss.cpp - NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss ---===//
//
// Both pick, for every target position, the (log-)probability of the
// target class, weight it, and reduce: none, sum, or mean (divided by the
// total weight of the positions not ignored).
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

/// -input[n, target[n, d...], d...] * weight[target] per target position,
/// then reduced as `reduction` says. Returns null when shapes do not fit.
Value negativeLogLikelihood(OpBuilder &b, Location loc, Value input,
                            Value target, Value weight,
                            std::optional<int64_t> ignoreIndex,
                            StringRef reduction, RankedTensorType resultType) {
  auto inType = cast<RankedTensorType>(input.getType());
  auto tType = dyn_cast<RankedTensorType>(target.getType());
  if (!tType || !inType.hasStaticShape() || !tType.hasStaticShape())
    return {};
  Type elem = inType.getElementType();
  int64_t rank = tType.getRank();
  auto lossType = RankedTensorType::get(tType.getShape(), elem);
  Value lossInit = tensor::EmptyOp::create(b, loc, tType.getShape(), elem);
  Value weightInit = tensor::EmptyOp::create(b, loc, tType.getShape(), elem);
  bool hasWeight = !isNoValue(weight);
  auto perElement = linalg::GenericOp::create(
      b, loc, TypeRange{lossType, lossType}, target,
      ValueRange{lossInit, weightInit},
      SmallVector<AffineMap>(3, b.getMultiDimIdentityMap(rank)),
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value t = a[0];
        Value valid = arith::ConstantOp::create(nb, l, nb.getBoolAttr(true));
        if (ignoreIndex)
          valid = arith::CmpIOp::create(
              nb, l, arith::CmpIPredicate::ne, t,
              scalarConstant(nb, l, t.getType(), double(*ignoreIndex)));
        Value zeroT = scalarConstant(nb, l, t.getType(), 0);
        Value cls = arith::IndexCastOp::create(
            nb, l, nb.getIndexType(),
            arith::SelectOp::create(nb, l, valid, t, zeroT));
        SmallVector<Value> coords{linalg::IndexOp::create(nb, l, 0), cls};
        for (int64_t d = 1; d < rank; ++d)
          coords.push_back(linalg::IndexOp::create(nb, l, d));
        Value logProb = tensor::ExtractOp::create(nb, l, input, coords);
        Value w = hasWeight ? (Value)tensor::ExtractOp::create(nb, l, weight,
                                                              ValueRange{cls})
                            : scalarConstant(nb, l, elem, 1.0);
        w = arith::SelectOp::create(nb, l, valid, w,
                                    scalarConstant(nb, l, elem, 0.0));
        Value loss = arith::NegFOp::create(
            nb, l, arith::MulFOp::create(nb, l, logProb, w));
        linalg::YieldOp::create(nb, l, ValueRange{loss, w});
      });
  Value loss = perElement.getResult(0), weights = perElement.getResult(1);
  if (reduction == "none")
    return loss;
  auto scalar = RankedTensorType::get({}, elem);
  auto total = [&](Value v) {
    Value acc = createFilled(b, loc, scalar, 0.0);
    return linalg::GenericOp::create(
               b, loc, scalar, v, acc,
               ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank),
                                   AffineMap::get(rank, 0, {}, b.getContext())},
               SmallVector<utils::IteratorType>(rank,
                                                utils::IteratorType::reduction),
               [](OpBuilder &nb, Location l, ValueRange a) {
                 Value s = arith::AddFOp::create(nb, l, a[0], a[1]);
                 linalg::YieldOp::create(nb, l, s);
               })
        .getResult(0);
  };
  Value sum = total(loss);
  if (reduction == "sum")
    return sum;
  if (reduction != "mean")
    return {};
  Value weightSum = total(weights);
  return buildBroadcastElementwise(
      b, loc, scalar, {sum, weightSum},
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::DivFOp::create(nb, l, a[0], a[1]);
      });
}

std::optional<int64_t> ignoreIndexOf(Operation *op) {
  if (auto a = op->getAttrOfType<IntegerAttr>("ignore_index"))
    return a.getInt();
  return std::nullopt;
}

StringRef reductionOf(Operation *op) {
  return stringAttrOr(op, "reduction", "mean");
}

struct NllLossLowering : OpConversionPattern<NegativeLogLikelihoodLossOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(NegativeLogLikelihoodLossOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto inType = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
    if (!resultType || !inType || !isa<FloatType>(inType.getElementType()))
      return failure();
    Value v = negativeLogLikelihood(rewriter, op.getLoc(), adaptor.getInput(),
                                    adaptor.getTarget(), adaptor.getWeight(),
                                    ignoreIndexOf(op), reductionOf(op),
                                    resultType);
    if (!v || v.getType() != resultType)
      return rewriter.notifyMatchFailure(op, "unsupported shapes");
    rewriter.replaceOp(op, v);
    return success();
  }
};

struct SoftmaxCrossEntropyLowering
    : OpConversionPattern<SoftmaxCrossEntropyLossOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SoftmaxCrossEntropyLossOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto inType = dyn_cast<RankedTensorType>(adaptor.getScores().getType());
    if (!resultType || !inType || !isa<FloatType>(inType.getElementType()) ||
        inType.getRank() < 2)
      return failure();
    Location loc = op.getLoc();
    Value logProb = buildSoftmax(rewriter, loc, adaptor.getScores(), 1, true);
    Value v = negativeLogLikelihood(rewriter, loc, logProb, adaptor.getLabels(),
                                    adaptor.getWeights(), ignoreIndexOf(op),
                                    reductionOf(op), resultType);
    if (!v || v.getType() != resultType)
      return rewriter.notifyMatchFailure(op, "unsupported shapes");
    Value second;
    if (!isa<NoneType>(op.getLogProb().getType()))
      second = logProb;
    rewriter.replaceOp(op, {v, second});
    return success();
  }
};

} // namespace

void populateLossLoweringPatterns(OnnxTypeConverter &converter,
                                  RewritePatternSet &patterns) {
  patterns.add<NllLossLowering, SoftmaxCrossEntropyLowering>(
      converter, patterns.getContext());
}

} // namespace onnxc
