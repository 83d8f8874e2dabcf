//===- Normalization.cpp - Reductions, Softmax and normalizations ---------===//
//
// Everything that reduces over some dims: Reduce*, Softmax and
// LogSoftmax, BatchNormalization (inference), LayerNormalization, LRN,
// MeanVarianceNormalization and the global pools. Two helpers carry the
// structure: a reduction into a tensor without the reduced dims, and an
// elementwise map over the input that reads such a reduced tensor back
// with broadcasting.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>
#include <functional>

using namespace mlir;

namespace onnxc {
namespace {

using Combine =
    llvm::function_ref<Value(OpBuilder &, Location, Value elem, Value acc)>;

/// The map from the full iteration space to the dims kept by `reduced`.
AffineMap keptDimsMap(ArrayRef<bool> reduced, MLIRContext *ctx) {
  SmallVector<AffineExpr> exprs;
  for (size_t d = 0; d < reduced.size(); ++d)
    if (!reduced[d])
      exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(reduced.size(), 0, exprs, ctx);
}

/// Reduces `x` over the dims marked in `reduced`, starting from `init`.
/// The result has the reduced dims removed.
Value reduceDims(OpBuilder &b, Location loc, Value x, ArrayRef<bool> reduced,
                 double init, Combine combine) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamicSizes;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (reduced[d])
      continue;
    shape.push_back(type.getDimSize(d));
    if (type.isDynamicDim(d))
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, x, d));
  }
  auto outType = RankedTensorType::get(shape, type.getElementType());
  Value acc = createFilled(b, loc, outType, init, dynamicSizes);
  SmallVector<utils::IteratorType> iterators;
  for (bool r : reduced)
    iterators.push_back(r ? utils::IteratorType::reduction
                          : utils::IteratorType::parallel);
  MLIRContext *ctx = b.getContext();
  return linalg::GenericOp::create(
             b, loc, outType, x, acc,
             ArrayRef<AffineMap>{b.getMultiDimIdentityMap(type.getRank()),
                                 keptDimsMap(reduced, ctx)},
             iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, combine(nb, l, args[0], args[1]));
             })
      .getResult(0);
}

/// An elementwise map over `x`'s shape reading `x` and each of
/// `reducedInputs` (tensors with the `reduced` dims removed).
Value mapWithReduced(OpBuilder &b, Location loc, Value x,
                     ValueRange reducedInputs, ArrayRef<bool> reduced,
                     ElementBody body, Type resultElem = {}) {
  auto type = cast<RankedTensorType>(x.getType());
  auto outType = type.clone(resultElem ? resultElem : type.getElementType());
  MLIRContext *ctx = b.getContext();
  SmallVector<Value> inputs{x};
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(type.getRank())};
  for (Value r : reducedInputs) {
    inputs.push_back(r);
    maps.push_back(keptDimsMap(reduced, ctx));
  }
  maps.push_back(b.getMultiDimIdentityMap(type.getRank()));
  SmallVector<Value> dynamicSizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, x, d));
  Value init = tensor::EmptyOp::create(b, loc, outType.getShape(),
                                       outType.getElementType(), dynamicSizes);
  return linalg::GenericOp::create(
             b, loc, outType, inputs, init, maps,
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, body(nb, l, args.drop_back()));
             })
      .getResult(0);
}

Value cst(OpBuilder &b, Location l, Value like, double v) {
  return scalarConstant(b, l, like.getType(), v);
}

/// Reshapes a reduced tensor to the op's result type (keepdims).
Value toResultType(OpBuilder &b, Location loc, Value v,
                   RankedTensorType resultType) {
  auto vType = cast<RankedTensorType>(v.getType());
  if (vType == resultType)
    return v;
  auto reassoc = getReassociationIndicesForReshape(vType, resultType);
  if (!reassoc)
    return {};
  if (vType.getRank() < resultType.getRank())
    return tensor::ExpandShapeOp::create(b, loc, resultType, v, *reassoc);
  return tensor::CollapseShapeOp::create(b, loc, resultType, v, *reassoc);
}

//===----------------------------------------------------------------------===//
// Reduce*
//===----------------------------------------------------------------------===//

enum class ReduceKind { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp,
                        SumSquare };

struct ReduceLowering : ConversionPattern {
  ReduceLowering(const TypeConverter &converter, MLIRContext *context,
                 StringRef name, ReduceKind kind)
      : ConversionPattern(converter, name, 1, context), kind(kind) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    if (!resultType || !xType)
      return failure();
    Type elem = xType.getElementType();
    bool isF = isa<FloatType>(elem);
    if (!isF && !(isa<IntegerType>(elem) &&
                  (kind == ReduceKind::Sum || kind == ReduceKind::Max ||
                   kind == ReduceKind::Min || kind == ReduceKind::Prod)))
      return rewriter.notifyMatchFailure(op, "element type");
    int64_t rank = xType.getRank();

    // Axes: an attribute (most versions) or ReduceSum-13's input.
    std::optional<SmallVector<int64_t>> axes;
    Value runtimeAxes;
    if (auto attr = op->getAttrOfType<ArrayAttr>("axes")) {
      axes.emplace();
      for (Attribute a : attr)
        axes->push_back(cast<IntegerAttr>(a).getInt());
    } else if (operands.size() > 1 && !isNoValue(operands[1])) {
      axes = constantIntValues(op->getOperand(1));
      auto axesType = dyn_cast<RankedTensorType>(operands[1].getType());
      if (!axes && axesType && axesType.hasStaticShape() &&
          axesType.getNumElements() == 0)
        axes.emplace(); // an empty run-time list is still empty
      else if (!axes)
        runtimeAxes = operands[1];
    }
    bool noop = false;
    if (auto a = op->getAttrOfType<IntegerAttr>("noop_with_empty_axes"))
      noop = a.getInt() != 0;
    if (runtimeAxes)
      return lowerWithRuntimeAxes(op, operands[0], runtimeAxes, resultType,
                                  rewriter);
    SmallVector<bool> reduced(rank, false);
    if (!axes || axes->empty()) {
      if (noop) {
        rewriter.replaceOp(op, operands[0]);
        return success();
      }
      reduced.assign(rank, true);
    } else {
      for (int64_t a : *axes) {
        auto n = normalizeAxis(a, rank);
        if (!n)
          return failure();
        reduced[*n] = true;
      }
    }
    Value result = buildReduction(rewriter, op, operands[0], reduced,
                                  resultType);
    if (!result)
      return rewriter.notifyMatchFailure(op, "cannot reduce these dims");
    rewriter.replaceOp(op, result);
    return success();
  }

  /// ReduceSum-13 with axes known only at run time. The result type says
  /// which dims go: with keepdims they are the dims that become 1 (reducing
  /// a dim of size 1 changes nothing); without, every set of dims whose
  /// removal gives the result shape is a candidate, and the run-time axes
  /// pick one.
  LogicalResult lowerWithRuntimeAxes(Operation *op, Value x, Value axesValue,
                                     RankedTensorType resultType,
                                     ConversionPatternRewriter &rewriter) const {
    auto xType = cast<RankedTensorType>(x.getType());
    auto axesType = dyn_cast<RankedTensorType>(axesValue.getType());
    if (!xType.hasStaticShape() || !resultType.hasStaticShape() || !axesType ||
        axesType.getRank() != 1 || !axesType.hasStaticShape())
      return rewriter.notifyMatchFailure(
          op, "run-time axes need static shapes");
    int64_t rank = xType.getRank();
    ArrayRef<int64_t> in = xType.getShape(), out = resultType.getShape();
    bool keepDims = intAttrOr(op, "keepdims", 1) != 0;
    SmallVector<SmallVector<bool>> candidates;
    if (keepDims) {
      if (resultType.getRank() != rank)
        return failure();
      SmallVector<bool> reduced(rank, false);
      for (int64_t d = 0; d < rank; ++d) {
        if (out[d] == in[d])
          continue;
        if (out[d] != 1)
          return rewriter.notifyMatchFailure(op, "result shape disagrees");
        reduced[d] = true;
      }
      candidates.push_back(reduced);
    } else {
      int64_t dropped = rank - resultType.getRank();
      if (dropped <= 0 || dropped > axesType.getDimSize(0) || rank > 16)
        return rewriter.notifyMatchFailure(op, "result shape disagrees");
      for (uint32_t mask = 0; mask < (1u << rank); ++mask) {
        if (llvm::popcount(mask) != dropped)
          continue;
        SmallVector<int64_t> kept;
        for (int64_t d = 0; d < rank; ++d)
          if (!(mask & (1u << d)))
            kept.push_back(in[d]);
        if (ArrayRef<int64_t>(kept) != out)
          continue;
        SmallVector<bool> reduced(rank);
        for (int64_t d = 0; d < rank; ++d)
          reduced[d] = mask & (1u << d);
        candidates.push_back(reduced);
      }
    }
    if (candidates.empty())
      return rewriter.notifyMatchFailure(op, "result shape disagrees");
    Location loc = op->getLoc();
    // Does every run-time axis name a dim of the candidate?
    auto matches = [&](OpBuilder &b, ArrayRef<bool> reduced) -> Value {
      Value all = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
      for (int64_t k = 0; k < axesType.getDimSize(0); ++k) {
        Value raw = tensor::ExtractOp::create(
            b, loc, axesValue,
            ValueRange{arith::ConstantIndexOp::create(b, loc, k)});
        Value axis = wrapNegative(b, loc, toIndex(b, loc, raw),
                                  arith::ConstantIndexOp::create(b, loc, rank));
        Value any = arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
        for (int64_t d = 0; d < rank; ++d)
          if (reduced[d])
            any = arith::OrIOp::create(
                b, loc, any,
                arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::eq, axis,
                    arith::ConstantIndexOp::create(b, loc, d)));
        all = arith::AndIOp::create(b, loc, all, any);
      }
      return all;
    };
    // if (axes match candidate 0) ... else if (candidate 1) ... else last.
    std::function<Value(OpBuilder &, size_t)> choose =
        [&](OpBuilder &b, size_t i) -> Value {
      if (i + 1 == candidates.size())
        return buildReduction(b, op, x, candidates[i], resultType);
      Value cond = matches(b, candidates[i]);
      bool ok = true;
      auto ifOp = scf::IfOp::create(
          b, loc, cond,
          [&](OpBuilder &tb, Location l) {
            Value v = buildReduction(tb, op, x, candidates[i], resultType);
            ok &= bool(v);
            scf::YieldOp::create(tb, l, v ? v : x);
          },
          [&](OpBuilder &eb, Location l) {
            Value v = choose(eb, i + 1);
            ok &= bool(v);
            scf::YieldOp::create(eb, l, v ? v : x);
          });
      return ok ? ifOp.getResult(0) : Value();
    };
    Value result = choose(rewriter, 0);
    if (!result)
      return rewriter.notifyMatchFailure(op, "cannot reduce these dims");
    rewriter.replaceOp(op, result);
    return success();
  }

  /// `x` reduced over the dims marked in `reduced`, in `resultType`; null
  /// where that cannot be done.
  Value buildReduction(OpBuilder &rewriter, Operation *op, Value x,
                       ArrayRef<bool> reduced,
                       RankedTensorType resultType) const {
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t rank = xType.getRank();
    Type elem = xType.getElementType();
    bool isF = isa<FloatType>(elem);
    Type origElem = getElementTypeOrSelf(op->getOperand(0).getType());
    int64_t count = 1;
    for (int64_t d = 0; d < rank; ++d)
      if (reduced[d]) {
        if (xType.isDynamicDim(d))
          return {};
        count *= xType.getDimSize(d);
      }

    Location loc = op->getLoc();
    bool uns = isUnsignedInt(origElem);
    double init = 0.0;
    if (kind == ReduceKind::Max)
      init = isF ? -INFINITY
                 : (uns ? 0.0
                        : -std::ldexp(1.0, elem.getIntOrFloatBitWidth() - 1));
    else if (kind == ReduceKind::Min)
      init = isF ? INFINITY
                 : (uns ? std::ldexp(1.0, elem.getIntOrFloatBitWidth()) - 1
                        : std::ldexp(1.0, elem.getIntOrFloatBitWidth() - 1) - 1);
    else if (kind == ReduceKind::Prod)
      init = 1.0;
    if (!isF && (kind == ReduceKind::Max || kind == ReduceKind::Min) &&
        elem.getIntOrFloatBitWidth() > 32)
      init = kind == ReduceKind::Max ? (uns ? 0.0 : double(INT64_MIN))
                                     : (uns ? -1.0 : double(INT64_MAX));

    Value maxForLse;
    if (kind == ReduceKind::LogSumExp) {
      // log(sum(exp(x - m))) + m, for stability.
      maxForLse = reduceDims(rewriter, loc, x, reduced, -INFINITY,
                             [](OpBuilder &b, Location l, Value e, Value a) {
                               return (Value)arith::MaximumFOp::create(b, l, e, a);
                             });
      x = mapWithReduced(rewriter, loc, x, maxForLse, reduced,
                         [](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Value d = arith::SubFOp::create(b, l, a[0], a[1]);
                           return math::ExpOp::create(b, l, d);
                         });
    }
    ReduceKind k = kind;
    Value r = reduceDims(
        rewriter, loc, x, reduced, init,
        [&](OpBuilder &b, Location l, Value e, Value a) -> Value {
          switch (k) {
          case ReduceKind::Max:
            return isF ? (Value)arith::MaximumFOp::create(b, l, e, a)
                       : uns ? (Value)arith::MaxUIOp::create(b, l, e, a)
                             : (Value)arith::MaxSIOp::create(b, l, e, a);
          case ReduceKind::Min:
            return isF ? (Value)arith::MinimumFOp::create(b, l, e, a)
                       : uns ? (Value)arith::MinUIOp::create(b, l, e, a)
                             : (Value)arith::MinSIOp::create(b, l, e, a);
          case ReduceKind::Prod:
            return isF ? (Value)arith::MulFOp::create(b, l, e, a)
                       : (Value)arith::MulIOp::create(b, l, e, a);
          case ReduceKind::L1:
            return arith::AddFOp::create(b, l, math::AbsFOp::create(b, l, e), a);
          case ReduceKind::L2:
          case ReduceKind::SumSquare:
            return arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, e, e),
                                         a);
          default:
            return isF ? (Value)arith::AddFOp::create(b, l, e, a)
                       : (Value)arith::AddIOp::create(b, l, e, a);
          }
        });
    if (kind == ReduceKind::Mean || kind == ReduceKind::L2 ||
        kind == ReduceKind::LogSum || kind == ReduceKind::LogSumExp) {
      SmallVector<Value> extra;
      if (maxForLse)
        extra.push_back(maxForLse);
      SmallVector<bool> none(cast<RankedTensorType>(r.getType()).getRank(),
                             false);
      r = mapWithReduced(rewriter, loc, r, extra, none,
                         [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Value v = a[0];
                           switch (k) {
                           case ReduceKind::Mean:
                             return arith::DivFOp::create(b, l, v,
                                                          cst(b, l, v, count));
                           case ReduceKind::L2:
                             return math::SqrtOp::create(b, l, v);
                           case ReduceKind::LogSum:
                             return math::LogOp::create(b, l, v);
                           default:
                             return arith::AddFOp::create(
                                 b, l, math::LogOp::create(b, l, v), a[1]);
                           }
                         });
    }
    return toResultType(rewriter, loc, r, resultType);
  }

  ReduceKind kind;
};

//===----------------------------------------------------------------------===//
// Softmax, LogSoftmax
//===----------------------------------------------------------------------===//

/// softmax (or log-softmax) of `x` over the dims marked in `reduced`.
Value buildSoftmaxOverDims(OpBuilder &rewriter, Location loc, Value x,
                           ArrayRef<bool> reduced, bool isLog) {
    Value m = reduceDims(rewriter, loc, x, reduced, -INFINITY,
                         [](OpBuilder &b, Location l, Value e, Value a) {
                           return (Value)arith::MaximumFOp::create(b, l, e, a);
                         });
    Value e = mapWithReduced(rewriter, loc, x, m, reduced,
                             [](OpBuilder &b, Location l, ValueRange a) -> Value {
                               return math::ExpOp::create(
                                   b, l, arith::SubFOp::create(b, l, a[0], a[1]));
                             });
    Value s = reduceDims(rewriter, loc, e, reduced, 0.0,
                         [](OpBuilder &b, Location l, Value v, Value a) {
                           return (Value)arith::AddFOp::create(b, l, v, a);
                         });
    Value y;
    if (isLog) {
      y = mapWithReduced(rewriter, loc, x, {m, s}, reduced,
                         [](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Value d = arith::SubFOp::create(b, l, a[0], a[1]);
                           return arith::SubFOp::create(
                               b, l, d, math::LogOp::create(b, l, a[2]));
                         });
    } else {
      y = mapWithReduced(rewriter, loc, e, s, reduced,
                         [](OpBuilder &b, Location l, ValueRange a) -> Value {
                           return arith::DivFOp::create(b, l, a[0], a[1]);
                         });
    }
  return y;
}


struct SoftmaxLowering : ConversionPattern {
  SoftmaxLowering(const TypeConverter &converter, MLIRContext *context,
                  StringRef name, bool isLog, bool coerced2D)
      : ConversionPattern(converter, name, 1, context), isLog(isLog),
        coerced2D(coerced2D) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    if (!xType || !isa<FloatType>(xType.getElementType()))
      return failure();
    int64_t rank = xType.getRank();
    int64_t axisAttr = coerced2D ? 1 : -1;
    if (auto a = op->getAttrOfType<IntegerAttr>("axis"))
      axisAttr = a.getInt();
    auto axis = normalizeAxis(axisAttr, rank);
    if (!axis)
      return failure();
    // Opset < 13 flattens to 2-D at `axis`: all dims from it are reduced.
    SmallVector<bool> reduced(rank, false);
    for (int64_t d = *axis; d < rank; ++d)
      reduced[d] = coerced2D || d == *axis;
    Value y = buildSoftmaxOverDims(rewriter, op->getLoc(), operands[0],
                                   reduced, isLog);
    rewriter.replaceOp(op, y);
    return success();
  }

  bool isLog, coerced2D;
};

//===----------------------------------------------------------------------===//
// BatchNormalization (inference), LayerNormalization, LRN, MVN, global pools
//===----------------------------------------------------------------------===//

struct BatchNormLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (auto t = op->getAttrOfType<IntegerAttr>("training_mode"))
      if (t.getInt() != 0)
        return rewriter.notifyMatchFailure(op, "training mode");
    if (auto s = op->getAttrOfType<IntegerAttr>("spatial"))
      if (s.getInt() != 1)
        return rewriter.notifyMatchFailure(op, "spatial=0");
    for (unsigned i = 1; i < op->getNumResults(); ++i)
      if (!op->getResult(i).use_empty())
        return rewriter.notifyMatchFailure(op, "running stats are used");
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    if (!xType || xType.getRank() < 2 ||
        !isa<FloatType>(xType.getElementType()) || operands.size() < 5)
      return failure();
    double eps = 1e-5;
    if (auto e = op->getAttrOfType<FloatAttr>("epsilon"))
      eps = e.getValueAsDouble();
    MLIRContext *ctx = getContext();
    int64_t rank = xType.getRank();
    Location loc = op->getLoc();
    AffineMap channel = AffineMap::get(rank, 0, getAffineDimExpr(1, ctx), ctx);
    SmallVector<Value> inputs{operands[0]};
    SmallVector<AffineMap> maps{rewriter.getMultiDimIdentityMap(rank)};
    for (int i = 1; i <= 4; ++i) {
      auto t = dyn_cast<RankedTensorType>(operands[i].getType());
      if (!t || t.getRank() != 1)
        return failure();
      inputs.push_back(operands[i]);
      maps.push_back(channel);
    }
    maps.push_back(rewriter.getMultiDimIdentityMap(rank));
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < rank; ++d)
      if (xType.isDynamicDim(d))
        dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, operands[0], d));
    Value init = tensor::EmptyOp::create(rewriter, loc, xType.getShape(),
                                         xType.getElementType(), dynamicSizes);
    Value y = linalg::GenericOp::create(
                  rewriter, loc, xType, inputs, init, maps,
                  SmallVector<utils::IteratorType>(
                      rank, utils::IteratorType::parallel),
                  [&](OpBuilder &b, Location l, ValueRange a) {
                    // (x - mean) * scale / sqrt(var + eps) + bias
                    Value x = a[0], scale = a[1], bias = a[2], mean = a[3],
                          var = a[4];
                    Value denom = math::SqrtOp::create(
                        b, l, arith::AddFOp::create(b, l, var, cst(b, l, var, eps)));
                    Value n = arith::DivFOp::create(
                        b, l, arith::SubFOp::create(b, l, x, mean), denom);
                    Value v = arith::AddFOp::create(
                        b, l, arith::MulFOp::create(b, l, n, scale), bias);
                    linalg::YieldOp::create(b, l, v);
                  })
                  .getResult(0);
    SmallVector<Value> results{y};
    for (unsigned i = 1; i < op->getNumResults(); ++i)
      results.push_back(Value());
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct LayerNormLowering : OpConversionPattern<LayerNormalizationOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LayerNormalizationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!xType || !isa<FloatType>(xType.getElementType()))
      return failure();
    int64_t rank = xType.getRank();
    auto axis = normalizeAxis(op.getAxis(), rank);
    if (!axis)
      return failure();
    SmallVector<bool> reduced(rank, false);
    int64_t count = 1;
    for (int64_t d = *axis; d < rank; ++d) {
      reduced[d] = true;
      if (xType.isDynamicDim(d))
        return rewriter.notifyMatchFailure(op, "dynamic normalized dim");
      count *= xType.getDimSize(d);
    }
    Location loc = op.getLoc();
    double eps = op.getEpsilon().convertToDouble();
    auto add = [](OpBuilder &b, Location l, Value e, Value a) {
      return (Value)arith::AddFOp::create(b, l, e, a);
    };
    Value x = adaptor.getX();
    Value sum = reduceDims(rewriter, loc, x, reduced, 0.0, add);
    Value centered = mapWithReduced(
        rewriter, loc, x, sum, reduced,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value mean = arith::DivFOp::create(b, l, a[1], cst(b, l, a[1], count));
          return arith::SubFOp::create(b, l, a[0], mean);
        });
    Value sq = reduceDims(rewriter, loc, centered, reduced, 0.0,
                          [](OpBuilder &b, Location l, Value e, Value a) {
                            return (Value)arith::AddFOp::create(
                                b, l, arith::MulFOp::create(b, l, e, e), a);
                          });
    Value normalized = mapWithReduced(
        rewriter, loc, centered, sq, reduced,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value var = arith::DivFOp::create(b, l, a[1], cst(b, l, a[1], count));
          Value denom = math::SqrtOp::create(
              b, l, arith::AddFOp::create(b, l, var, cst(b, l, var, eps)));
          return arith::DivFOp::create(b, l, a[0], denom);
        });
    // Scale and bias broadcast against the normalized dims.
    SmallVector<Value> params{normalized, adaptor.getScale()};
    bool hasBias = !isNoValue(adaptor.getB());
    if (hasBias)
      params.push_back(adaptor.getB());
    Value y = buildBroadcastElementwise(
        rewriter, loc, xType, params,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value v = arith::MulFOp::create(b, l, a[0], a[1]);
          return hasBias ? (Value)arith::AddFOp::create(b, l, v, a[2]) : v;
        });
    // Mean and InvStdDev, when asked for, keep the reduced dims as 1.
    SmallVector<Value> results{y};
    SmallVector<bool> none(*axis, false);
    for (auto [index, source, isMean] :
         {std::tuple{1u, sum, true}, std::tuple{2u, sq, false}}) {
      if (isa<NoneType>(op->getResult(index).getType()) ||
          op->getResult(index).use_empty()) {
        results.push_back(Value());
        continue;
      }
      RankedTensorType t = convertedResultType(*getTypeConverter(), op, index);
      if (!t || t.getElementType() != xType.getElementType())
        return rewriter.notifyMatchFailure(op, "statistics type");
      bool mean = isMean;
      Value stat = mapWithReduced(
          rewriter, loc, source, {}, none,
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value v = arith::DivFOp::create(b, l, a[0], cst(b, l, a[0], count));
            if (mean)
              return v;
            Value s = math::SqrtOp::create(
                b, l, arith::AddFOp::create(b, l, v, cst(b, l, v, eps)));
            return arith::DivFOp::create(b, l, cst(b, l, s, 1.0), s);
          });
      Value shaped = toResultType(rewriter, loc, stat, t);
      if (!shaped)
        return failure();
      results.push_back(shaped);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// InstanceNormalization: per (n, c), normalize over the spatial dims, then
/// scale and shift per channel.
struct InstanceNormLowering : OpConversionPattern<InstanceNormalizationOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(InstanceNormalizationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
    if (!xType || !xType.hasStaticShape() || xType.getRank() < 3 ||
        !isa<FloatType>(xType.getElementType()))
      return failure();
    int64_t rank = xType.getRank(), count = 1;
    SmallVector<bool> reduced(rank, false);
    for (int64_t d = 2; d < rank; ++d) {
      reduced[d] = true;
      count *= xType.getDimSize(d);
    }
    Location loc = op.getLoc();
    double eps = op.getEpsilon().convertToDouble();
    Value x = adaptor.getInput();
    Value sum = reduceDims(rewriter, loc, x, reduced, 0.0,
                           [](OpBuilder &b, Location l, Value e, Value a) {
                             return (Value)arith::AddFOp::create(b, l, e, a);
                           });
    Value centered = mapWithReduced(
        rewriter, loc, x, sum, reduced,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value mean = arith::DivFOp::create(b, l, a[1], cst(b, l, a[1], count));
          return arith::SubFOp::create(b, l, a[0], mean);
        });
    Value sq = reduceDims(rewriter, loc, centered, reduced, 0.0,
                          [](OpBuilder &b, Location l, Value e, Value a) {
                            return (Value)arith::AddFOp::create(
                                b, l, arith::MulFOp::create(b, l, e, e), a);
                          });
    MLIRContext *ctx = getContext();
    AffineMap channel = AffineMap::get(rank, 0, getAffineDimExpr(1, ctx), ctx);
    SmallVector<AffineExpr> nc{getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)};
    Value init = tensor::EmptyOp::create(rewriter, loc, xType.getShape(),
                                         xType.getElementType());
    Value y = linalg::GenericOp::create(
                  rewriter, loc, xType,
                  ValueRange{centered, sq, adaptor.getScale(), adaptor.getB()},
                  init,
                  ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(rank),
                                      AffineMap::get(rank, 0, nc, ctx), channel,
                                      channel,
                                      rewriter.getMultiDimIdentityMap(rank)},
                  SmallVector<utils::IteratorType>(
                      rank, utils::IteratorType::parallel),
                  [&](OpBuilder &b, Location l, ValueRange a) {
                    Value var = arith::DivFOp::create(b, l, a[1],
                                                      cst(b, l, a[1], count));
                    Value denom = math::SqrtOp::create(
                        b, l, arith::AddFOp::create(b, l, var, cst(b, l, var, eps)));
                    Value n = arith::DivFOp::create(b, l, a[0], denom);
                    Value v = arith::AddFOp::create(
                        b, l, arith::MulFOp::create(b, l, n, a[2]), a[3]);
                    linalg::YieldOp::create(b, l, v);
                  })
                  .getResult(0);
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// LRN: y = x / (bias + alpha/size * sum of x^2 over the channels
/// [c - floor((size-1)/2), c + ceil((size-1)/2)] that exist)^beta. The
/// squares are zero-padded along C, so the window is one affine read.
struct LRNLowering : OpConversionPattern<LRNOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LRNOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!xType || xType.getRank() < 2 ||
        !isa<FloatType>(xType.getElementType()))
      return rewriter.notifyMatchFailure(op, "needs a float N C ... input");
    int64_t size = op.getSize();
    if (size < 1)
      return rewriter.notifyMatchFailure(op, "size < 1");
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    double bias = op.getBias().convertToDouble();
    MLIRContext *ctx = getContext();
    Location loc = op.getLoc();
    int64_t rank = xType.getRank();
    Type elem = xType.getElementType();
    Value x = adaptor.getX();
    SmallVector<bool> none(rank, false);
    Value sq = mapWithReduced(
        rewriter, loc, x, {}, none, [](OpBuilder &b, Location l, ValueRange a) {
          return (Value)arith::MulFOp::create(b, l, a[0], a[0]);
        });
    SmallVector<int64_t> low(rank, 0), high(rank, 0);
    low[1] = (size - 1) / 2;
    high[1] = size - 1 - low[1];
    Value padded = tensor::PadOp::create(
        rewriter, loc, RankedTensorType(), sq, getAsIndexOpFoldResult(ctx, low),
        getAsIndexOpFoldResult(ctx, high),
        scalarConstant(rewriter, loc, elem, 0.0));
    // Loops: the dims of x | the window j; reads padded[n, c + j, ...].
    SmallVector<AffineExpr> readExprs;
    for (int64_t d = 0; d < rank; ++d)
      readExprs.push_back(d == 1 ? getAffineDimExpr(1, ctx) +
                                       getAffineDimExpr(rank, ctx)
                                 : getAffineDimExpr(d, ctx));
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < rank; ++d)
      if (xType.isDynamicDim(d))
        dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, x, d));
    Value acc = createFilled(rewriter, loc, xType, 0.0, dynamicSizes);
    Value window = tensor::EmptyOp::create(rewriter, loc, {size}, elem);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, xType, ValueRange{padded, window}, acc,
            ArrayRef<AffineMap>{
                AffineMap::get(rank + 1, 0, readExprs, ctx),
                AffineMap::get(rank + 1, 0, getAffineDimExpr(rank, ctx), ctx),
                AffineMap::getMultiDimIdentityMap(rank + 1, ctx)
                    .getMajorSubMap(rank)},
            iterators,
            [](OpBuilder &b, Location l, ValueRange a) {
              linalg::YieldOp::create(
                  b, l, (Value)arith::AddFOp::create(b, l, a[0], a[2]));
            })
            .getResult(0);
    Value y = mapWithReduced(
        rewriter, loc, x, sum, none,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value scaled = arith::MulFOp::create(
              b, l, cst(b, l, a[1], alpha / double(size)), a[1]);
          Value base =
              arith::AddFOp::create(b, l, cst(b, l, a[1], bias), scaled);
          Value denom = math::PowFOp::create(b, l, base, cst(b, l, a[1], beta));
          return arith::DivFOp::create(b, l, a[0], denom);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// MeanVarianceNormalization as its ONNX function body computes it:
/// (x - mean) / (sqrt(mean(x^2) - mean^2) + 1e-9), the means over `axes`
/// (default [0, 2, 3]) and epsilon the float constant 1e-9 cast to the
/// element type.
struct MVNLowering : OpConversionPattern<MeanVarianceNormalizationOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MeanVarianceNormalizationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!xType || !isa<FloatType>(xType.getElementType()))
      return rewriter.notifyMatchFailure(op, "needs a float input");
    int64_t rank = xType.getRank();
    SmallVector<int64_t> axes{0, 2, 3};
    if (auto a = op->getAttrOfType<ArrayAttr>("axes")) {
      axes.clear();
      for (Attribute v : a)
        axes.push_back(cast<IntegerAttr>(v).getInt());
    }
    SmallVector<bool> reduced(rank, false);
    int64_t count = 1;
    for (int64_t axis : axes) {
      auto d = normalizeAxis(axis, rank);
      if (!d || reduced[*d])
        return rewriter.notifyMatchFailure(op, "bad or repeated axis");
      if (xType.isDynamicDim(*d))
        return rewriter.notifyMatchFailure(op, "dynamic normalized dim");
      reduced[*d] = true;
      count *= xType.getDimSize(*d);
    }
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    auto add = [](OpBuilder &b, Location l, Value e, Value a) {
      return (Value)arith::AddFOp::create(b, l, e, a);
    };
    Value sum = reduceDims(rewriter, loc, x, reduced, 0.0, add);
    Value sumSq = reduceDims(rewriter, loc, x, reduced, 0.0,
                             [](OpBuilder &b, Location l, Value e, Value a) {
                               return (Value)arith::AddFOp::create(
                                   b, l, arith::MulFOp::create(b, l, e, e), a);
                             });
    double eps = double(1e-9f);
    Value y = mapWithReduced(
        rewriter, loc, x, ValueRange{sum, sumSq}, reduced,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value n = cst(b, l, a[0], count);
          Value mean = arith::DivFOp::create(b, l, a[1], n);
          Value meanSq = arith::DivFOp::create(b, l, a[2], n);
          Value var = arith::SubFOp::create(
              b, l, meanSq, arith::MulFOp::create(b, l, mean, mean));
          Value std = math::SqrtOp::create(b, l, var);
          Value denom = arith::AddFOp::create(b, l, std, cst(b, l, var, eps));
          return arith::DivFOp::create(
              b, l, arith::SubFOp::create(b, l, a[0], mean), denom);
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct GlobalPoolLowering : ConversionPattern {
  GlobalPoolLowering(const TypeConverter &converter, MLIRContext *context,
                     StringRef name, bool isMax)
      : ConversionPattern(converter, name, 1, context), isMax(isMax) {}
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    if (!resultType || !xType || !isa<FloatType>(xType.getElementType()))
      return failure();
    int64_t rank = xType.getRank(), count = 1;
    SmallVector<bool> reduced(rank, false);
    for (int64_t d = 2; d < rank; ++d) {
      reduced[d] = true;
      if (xType.isDynamicDim(d))
        return failure();
      count *= xType.getDimSize(d);
    }
    Location loc = op->getLoc();
    bool max = isMax;
    Value r = reduceDims(
        rewriter, loc, operands[0], reduced, max ? -INFINITY : 0.0,
        [&](OpBuilder &b, Location l, Value e, Value a) -> Value {
          return max ? (Value)arith::MaximumFOp::create(b, l, e, a)
                     : (Value)arith::AddFOp::create(b, l, e, a);
        });
    if (!max) {
      SmallVector<bool> none(cast<RankedTensorType>(r.getType()).getRank(),
                             false);
      r = mapWithReduced(rewriter, loc, r, {}, none,
                         [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                           return arith::DivFOp::create(b, l, a[0],
                                                        cst(b, l, a[0], count));
                         });
    }
    Value result = toResultType(rewriter, loc, r, resultType);
    if (!result)
      return failure();
    rewriter.replaceOp(op, result);
    return success();
  }
  bool isMax;
};

} // namespace

Value buildSoftmax(OpBuilder &b, Location loc, Value x, int64_t axis,
                   bool isLog) {
  SmallVector<bool> reduced(cast<RankedTensorType>(x.getType()).getRank(),
                            false);
  reduced[axis] = true;
  return buildSoftmaxOverDims(b, loc, x, reduced, isLog);
}

void populateNormalizationLoweringPatterns(OnnxTypeConverter &converter,
                                           RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  const std::pair<const char *, ReduceKind> reduces[] = {
      {"onnx.ReduceSum", ReduceKind::Sum},
      {"onnx.ReduceSum_v1", ReduceKind::Sum},
      {"onnx.ReduceMean", ReduceKind::Mean},
      {"onnx.ReduceMax", ReduceKind::Max},
      {"onnx.ReduceMin", ReduceKind::Min},
      {"onnx.ReduceProd", ReduceKind::Prod},
      {"onnx.ReduceL1", ReduceKind::L1},
      {"onnx.ReduceL2", ReduceKind::L2},
      {"onnx.ReduceLogSum", ReduceKind::LogSum},
      {"onnx.ReduceLogSumExp", ReduceKind::LogSumExp},
      {"onnx.ReduceSumSquare", ReduceKind::SumSquare},
  };
  for (const auto &[name, kind] : reduces)
    patterns.add<ReduceLowering>(converter, ctx, name, kind);
  patterns.add<SoftmaxLowering>(converter, ctx, "onnx.Softmax", false, false);
  patterns.add<SoftmaxLowering>(converter, ctx, "onnx.Softmax_v1", false, true);
  patterns.add<SoftmaxLowering>(converter, ctx, "onnx.LogSoftmax", true, false);
  patterns.add<SoftmaxLowering>(converter, ctx, "onnx.LogSoftmax_v1", true,
                                true);
  for (StringRef name :
       {"onnx.BatchNormalization", "onnx.BatchNormalization_v9",
        "onnx.BatchNormalization_v7", "onnx.BatchNormalization_v6"})
    patterns.add<BatchNormLowering>(converter, ctx, name);
  patterns
      .add<LayerNormLowering, InstanceNormLowering, LRNLowering, MVNLowering>(
          converter, ctx);
  patterns.add<GlobalPoolLowering>(converter, ctx, "onnx.GlobalAveragePool",
                                   false);
  patterns.add<GlobalPoolLowering>(converter, ctx, "onnx.GlobalMaxPool", true);
}

} // namespace onnxc
