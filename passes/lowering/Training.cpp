//===- Training.cpp - Optimizer updates and training-mode ops ----------===//
//
// ai.onnx.preview.training optimizers (Adagrad, Adam, Momentum) and the
// training forms of Dropout and BatchNormalization.
//
// The optimizers take R (learning rate) and T (update count) as scalars,
// then their per-tensor inputs grouped by kind: X_1..X_n, G_1..G_n, and one
// or two state groups (H, or V then H, or V); the outputs are X_new_1..n
// followed by the new states in the same order. Each tensor's update is
// elementwise, so every tensor gets one linalg.generic yielding all of its
// outputs. The scalar learning-rate factors are computed in f64 and rounded
// to the tensors' type once, as the reference (numpy with Python-float
// attributes) does.
//
// BatchNormalization with training_mode=1 normalizes with the batch's own
// mean and population variance and also returns the running statistics
// updated with `momentum`; the inference form lives in Normalization.cpp.
//
// Training-mode Dropout draws a random mask; only a ratio known to be 0
// (the identity with an all-true mask) is deterministic and lowered.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

namespace onnxc {
namespace {

/// Converts a float scalar to `type` (extension or rounding).
Value castFloat(OpBuilder &b, Location loc, Value v, Type type) {
  unsigned from = v.getType().getIntOrFloatBitWidth();
  unsigned to = type.getIntOrFloatBitWidth();
  if (v.getType() == type)
    return v;
  if (from < to)
    return arith::ExtFOp::create(b, loc, type, v);
  return arith::TruncFOp::create(b, loc, type, v);
}

/// The single element of a tensor with one element (R and T are scalars),
/// or null when the operand does not have exactly one element.
Value extractSingleElement(OpBuilder &b, Location loc, Value t) {
  auto type = dyn_cast<RankedTensorType>(t.getType());
  if (!type || !type.hasStaticShape() || type.getNumElements() != 1)
    return {};
  return extractScalar(b, loc, t);
}

using MultiBody =
    llvm::function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)>;

/// One linalg.generic over `resultTypes` (which must share a shape) reading
/// `inputs` with numpy broadcasting and yielding one value per result.
/// Returns an empty vector when the shapes do not fit.
SmallVector<Value> buildMultiElementwise(OpBuilder &b, Location loc,
                                         ArrayRef<RankedTensorType> resultTypes,
                                         ValueRange inputs, MultiBody body) {
  RankedTensorType shape = resultTypes.front();
  for (RankedTensorType t : resultTypes)
    if (t.getShape() != shape.getShape())
      return {};
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs) {
    auto inType = cast<RankedTensorType>(in.getType());
    if (inType.getRank() > shape.getRank())
      return {};
    maps.push_back(broadcastIndexingMap(inType, shape, ctx));
  }
  SmallVector<Value> inits;
  SmallVector<Type> types;
  for (RankedTensorType t : resultTypes) {
    inits.push_back(createBroadcastEmpty(b, loc, t, inputs));
    maps.push_back(b.getMultiDimIdentityMap(shape.getRank()));
    types.push_back(t);
  }
  auto generic = linalg::GenericOp::create(
      b, loc, types, inputs, inits, maps,
      SmallVector<utils::IteratorType>(shape.getRank(),
                                       utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l,
                                body(nb, l, args.take_front(inputs.size())));
      });
  return SmallVector<Value>(generic.getResults());
}

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

enum class Optimizer { Adagrad, Adam, Momentum };

struct OptimizerLowering : NamedOpConversion {
  OptimizerLowering(const TypeConverter &converter, MLIRContext *ctx,
                    StringRef name, Optimizer kind)
      : NamedOpConversion(converter, ctx, name), kind(kind) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    // Adagrad: X, G, H. Adam: X, G, V, H. Momentum: X, G, V.
    unsigned groups = kind == Optimizer::Adam ? 4 : 3;
    unsigned outGroups = groups - 1;
    if (operands.size() < 2 || (operands.size() - 2) % groups != 0)
      return rewriter.notifyMatchFailure(op, "input count");
    unsigned n = (operands.size() - 2) / groups;
    if (n == 0 || op->getNumResults() != n * outGroups)
      return rewriter.notifyMatchFailure(op, "output count");

    bool nesterov = false;
    if (kind == Optimizer::Momentum) {
      // alpha, beta, mode and norm_coefficient are required attributes.
      auto mode = op->getAttrOfType<StringAttr>("mode");
      if (!mode || !op->getAttrOfType<FloatAttr>("alpha") ||
          !op->getAttrOfType<FloatAttr>("beta") ||
          !op->getAttrOfType<FloatAttr>("norm_coefficient"))
        return rewriter.notifyMatchFailure(op, "missing attribute");
      if (mode.getValue() == "nesterov")
        nesterov = true;
      else if (mode.getValue() != "standard")
        return rewriter.notifyMatchFailure(op, "unknown momentum mode");
    }
    double normCoefficient = floatAttrOr(op, "norm_coefficient", 0.0);
    double epsilon = floatAttrOr(op, "epsilon", 1e-6);
    double decayFactor = floatAttrOr(op, "decay_factor", 0.0);
    double alpha = floatAttrOr(op, "alpha", 0.9);
    double beta = floatAttrOr(op, "beta", 0.999);
    double normCoefficientPost = floatAttrOr(op, "norm_coefficient_post", 0.0);

    SmallVector<RankedTensorType> resultTypes;
    for (unsigned i = 0; i < op->getNumResults(); ++i) {
      RankedTensorType t = convertedResultType(*getTypeConverter(), op, i);
      if (!t || !isa<FloatType>(t.getElementType()))
        return rewriter.notifyMatchFailure(op, "result type");
      resultTypes.push_back(t);
    }
    for (Value v : operands.drop_front(2)) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t || t.getElementType() != resultTypes[0].getElementType())
        return rewriter.notifyMatchFailure(op, "tensor types differ");
    }

    Location loc = op->getLoc();
    Value r = extractSingleElement(rewriter, loc, operands[0]);
    Value t = extractSingleElement(rewriter, loc, operands[1]);
    if (!r || !t || !isa<FloatType>(r.getType()) ||
        !isa<IntegerType>(t.getType()))
      return rewriter.notifyMatchFailure(op, "R and T must be scalars");

    // The scalar factors, in f64 like numpy's Python-float arithmetic.
    Type f64 = rewriter.getF64Type();
    auto c64 = [&](double v) { return scalarConstant(rewriter, loc, f64, v); };
    Value r64 = castFloat(rewriter, loc, r, f64);
    Value t64 = arith::SIToFPOp::create(rewriter, loc, f64, t);
    Value positive =
        arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::sgt, t,
                              scalarConstant(rewriter, loc, t.getType(), 0));
    Value rate; // the learning rate applied to the update direction
    Value betaAdjusted;
    switch (kind) {
    case Optimizer::Adagrad: {
      // r = R / (1 + T * decay_factor)
      Value denom = arith::AddFOp::create(
          rewriter, loc, c64(1.0),
          arith::MulFOp::create(rewriter, loc, t64, c64(decayFactor)));
      rate = arith::DivFOp::create(rewriter, loc, r64, denom);
      break;
    }
    case Optimizer::Adam: {
      // T > 0 ? R * sqrt(1 - beta**T) / (1 - alpha**T) : R
      Value betaT = math::PowFOp::create(rewriter, loc, c64(beta), t64);
      Value alphaT = math::PowFOp::create(rewriter, loc, c64(alpha), t64);
      Value num = arith::MulFOp::create(
          rewriter, loc, r64,
          math::SqrtOp::create(
              rewriter, loc,
              arith::SubFOp::create(rewriter, loc, c64(1.0), betaT)));
      Value adjusted = arith::DivFOp::create(
          rewriter, loc, num,
          arith::SubFOp::create(rewriter, loc, c64(1.0), alphaT));
      rate = arith::SelectOp::create(rewriter, loc, positive, adjusted, r64);
      break;
    }
    case Optimizer::Momentum:
      // The first update (T == 0) takes the whole gradient.
      rate = r64;
      betaAdjusted =
          arith::SelectOp::create(rewriter, loc, positive, c64(beta), c64(1.0));
      break;
    }

    SmallVector<Value> results(op->getNumResults());
    for (unsigned i = 0; i < n; ++i) {
      SmallVector<Value> inputs;
      for (unsigned g = 0; g < groups; ++g)
        inputs.push_back(operands[2 + g * n + i]);
      SmallVector<RankedTensorType> types;
      for (unsigned g = 0; g < outGroups; ++g)
        types.push_back(resultTypes[g * n + i]);
      Type elem = types[0].getElementType();
      // Scalars rounded once to the tensors' type, outside the loop nest.
      Value rateE = castFloat(rewriter, loc, rate, elem);
      Value betaE =
          betaAdjusted ? castFloat(rewriter, loc, betaAdjusted, elem) : Value();
      auto body = [&](OpBuilder &b, Location l,
                      ValueRange a) -> SmallVector<Value> {
        auto c = [&](double v) { return scalarConstant(b, l, elem, v); };
        auto mul = [&](Value x, Value y) -> Value {
          return arith::MulFOp::create(b, l, x, y);
        };
        auto add = [&](Value x, Value y) -> Value {
          return arith::AddFOp::create(b, l, x, y);
        };
        auto sub = [&](Value x, Value y) -> Value {
          return arith::SubFOp::create(b, l, x, y);
        };
        auto div = [&](Value x, Value y) -> Value {
          return arith::DivFOp::create(b, l, x, y);
        };
        Value x = a[0], g = a[1];
        // Gradient of 0.5 * norm_coefficient * ||X||^2 added to G.
        Value gReg = add(mul(c(normCoefficient), x), g);
        switch (kind) {
        case Optimizer::Adagrad: {
          Value hNew = add(a[2], mul(gReg, gReg));
          Value hAdaptive = add(math::SqrtOp::create(b, l, hNew), c(epsilon));
          Value xNew = sub(x, div(mul(rateE, gReg), hAdaptive));
          return {xNew, hNew};
        }
        case Optimizer::Adam: {
          Value v = a[2], h = a[3];
          Value vNew = add(mul(c(alpha), v), mul(c(1.0 - alpha), gReg));
          Value hNew =
              add(mul(c(beta), h), mul(c(1.0 - beta), mul(gReg, gReg)));
          Value hSqrt = add(math::SqrtOp::create(b, l, hNew), c(epsilon));
          Value xNew = sub(x, mul(rateE, div(vNew, hSqrt)));
          Value xFinal = mul(c(1.0 - normCoefficientPost), xNew);
          return {xFinal, vNew, hNew};
        }
        case Optimizer::Momentum: {
          Value vNew = add(mul(c(alpha), a[2]), mul(betaE, gReg));
          Value direction = nesterov ? add(gReg, mul(c(alpha), vNew)) : vNew;
          Value xNew = sub(x, mul(rateE, direction));
          return {xNew, vNew};
        }
        }
        llvm_unreachable("optimizer kind");
      };
      SmallVector<Value> updated =
          buildMultiElementwise(rewriter, loc, types, inputs, body);
      if (updated.empty())
        return rewriter.notifyMatchFailure(op, "tensor shapes differ");
      for (unsigned g = 0; g < outGroups; ++g)
        results[g * n + i] = updated[g];
    }
    rewriter.replaceOp(op, results);
    return success();
  }

  Optimizer kind;
};

//===----------------------------------------------------------------------===//
// BatchNormalization, training mode
//===----------------------------------------------------------------------===//

struct TrainingBatchNormLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    // The inference form (training_mode=0, the default) is lowered in
    // Normalization.cpp.
    if (intAttrOr(op, "training_mode", 0) == 0)
      return rewriter.notifyMatchFailure(op, "inference mode");
    if (operands.size() != 5)
      return failure();
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    if (!xType || xType.getRank() < 2 ||
        !isa<FloatType>(xType.getElementType()))
      return rewriter.notifyMatchFailure(op, "X must be a float tensor of "
                                             "rank >= 2");
    for (int i = 1; i <= 4; ++i) {
      auto t = dyn_cast<RankedTensorType>(operands[i].getType());
      if (!t || t.getRank() != 1 || !isa<FloatType>(t.getElementType()))
        return rewriter.notifyMatchFailure(op, "per-channel inputs");
    }
    double epsilon = floatAttrOr(op, "epsilon", 1e-5);
    double momentum = floatAttrOr(op, "momentum", 0.9);

    Location loc = op->getLoc();
    MLIRContext *ctx = getContext();
    int64_t rank = xType.getRank();
    Type xElem = xType.getElementType();
    // Statistics in at least f32 (the spec asks for float with f16 inputs).
    Type comp =
        xElem.getIntOrFloatBitWidth() > 32 ? xElem : rewriter.getF32Type();
    Value x = operands[0];

    // The per-channel shape and the element count of each channel.
    int64_t channels = xType.getDimSize(1);
    SmallVector<Value> channelSizes;
    if (ShapedType::isDynamic(channels))
      channelSizes.push_back(tensor::DimOp::create(rewriter, loc, x, 1));
    auto statType = RankedTensorType::get({channels}, comp);
    Value count = scalarConstant(rewriter, loc, comp, 1.0);
    int64_t staticCount = 1;
    for (int64_t d = 0; d < rank; ++d) {
      if (d == 1)
        continue;
      if (!xType.isDynamicDim(d)) {
        staticCount *= xType.getDimSize(d);
        continue;
      }
      Value size = arith::IndexCastOp::create(
          rewriter, loc, rewriter.getI64Type(),
          tensor::DimOp::create(rewriter, loc, x, d));
      count = arith::MulFOp::create(
          rewriter, loc, count,
          arith::SIToFPOp::create(rewriter, loc, comp, size));
    }
    count = arith::MulFOp::create(
        rewriter, loc, count,
        scalarConstant(rewriter, loc, comp, double(staticCount)));

    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap channel = AffineMap::get(rank, 0, getAffineDimExpr(1, ctx), ctx);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::reduction);
    iterators[1] = utils::IteratorType::parallel;

    // Per-channel sum over every other dim; `term` maps one element.
    auto channelSum =
        [&](ValueRange inputs, ArrayRef<AffineMap> inMaps,
            llvm::function_ref<Value(OpBuilder &, Location, ValueRange)> term)
        -> Value {
      Value acc = createFilled(rewriter, loc, statType, 0.0, channelSizes);
      SmallVector<AffineMap> maps(inMaps);
      maps.push_back(AffineMap::get(rank, 0, getAffineDimExpr(1, ctx), ctx));
      return linalg::GenericOp::create(
                 rewriter, loc, statType, inputs, acc, maps, iterators,
                 [&](OpBuilder &b, Location l, ValueRange a) {
                   Value e = term(b, l, a.drop_back());
                   Value next = arith::AddFOp::create(b, l, e, a.back());
                   linalg::YieldOp::create(b, l, next);
                 })
          .getResult(0);
    };
    // Per-channel map of 1-D tensors into a 1-D tensor of `elem`.
    auto channelMap =
        [&](ValueRange inputs, Type elem,
            llvm::function_ref<Value(OpBuilder &, Location, ValueRange)> f)
        -> Value {
      auto type = RankedTensorType::get({channels}, elem);
      Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(), elem,
                                           channelSizes);
      SmallVector<AffineMap> maps(inputs.size() + 1,
                                  rewriter.getMultiDimIdentityMap(1));
      return linalg::GenericOp::create(
                 rewriter, loc, type, inputs, init, maps,
                 SmallVector<utils::IteratorType>{
                     utils::IteratorType::parallel},
                 [&](OpBuilder &b, Location l, ValueRange a) {
                   linalg::YieldOp::create(b, l, f(b, l, a.drop_back()));
                 })
          .getResult(0);
    };

    // current_mean = ReduceMean(X), current_var = ReduceMean((X - mean)^2)
    // (the population variance, divided by N, not N - 1).
    Value sum =
        channelSum(x, identity, [&](OpBuilder &b, Location l, ValueRange a) {
          return castFloat(b, l, a[0], comp);
        });
    Value mean = channelMap(
        sum, comp, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          return arith::DivFOp::create(b, l, a[0], count);
        });
    Value sqSum =
        channelSum(ValueRange{x, mean}, {identity, channel},
                   [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                     Value d = arith::SubFOp::create(
                         b, l, castFloat(b, l, a[0], comp), a[1]);
                     return arith::MulFOp::create(b, l, d, d);
                   });
    Value var = channelMap(
        sqSum, comp, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          return arith::DivFOp::create(b, l, a[0], count);
        });

    // Y = scale * (X - current_mean) / sqrt(current_var + epsilon) + B
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < rank; ++d)
      if (xType.isDynamicDim(d))
        dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, x, d));
    Value yInit = tensor::EmptyOp::create(rewriter, loc, xType.getShape(),
                                          xElem, dynamicSizes);
    Value y = linalg::GenericOp::create(
                  rewriter, loc, xType,
                  ValueRange{x, operands[1], operands[2], mean, var}, yInit,
                  ArrayRef<AffineMap>{identity, channel, channel, channel,
                                      channel, identity},
                  SmallVector<utils::IteratorType>(
                      rank, utils::IteratorType::parallel),
                  [&](OpBuilder &b, Location l, ValueRange a) {
                    Value xv = castFloat(b, l, a[0], comp);
                    Value scale = castFloat(b, l, a[1], comp);
                    Value bias = castFloat(b, l, a[2], comp);
                    Value centered = arith::SubFOp::create(b, l, xv, a[3]);
                    Value denom = math::SqrtOp::create(
                        b, l,
                        arith::AddFOp::create(
                            b, l, a[4], scalarConstant(b, l, comp, epsilon)));
                    Value v = arith::AddFOp::create(
                        b, l,
                        arith::DivFOp::create(
                            b, l, arith::MulFOp::create(b, l, scale, centered),
                            denom),
                        bias);
                    linalg::YieldOp::create(b, l, castFloat(b, l, v, xElem));
                  })
                  .getResult(0);

    // running = input * momentum + current * (1 - momentum), in the type of
    // input_mean / input_var.
    SmallVector<Value> results{y};
    Value current[2] = {mean, var};
    for (unsigned i = 1; i < op->getNumResults(); ++i) {
      if (i > 2 || isa<NoneType>(op->getResult(i).getType())) {
        if (!op->getResult(i).use_empty())
          return rewriter.notifyMatchFailure(op, "unexpected result");
        results.push_back(Value());
        continue;
      }
      Value input = operands[2 + i];
      Type elem = cast<RankedTensorType>(input.getType()).getElementType();
      results.push_back(channelMap(
          ValueRange{input, current[i - 1]}, elem,
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            Value in = castFloat(b, l, a[0], comp);
            Value v = arith::AddFOp::create(
                b, l,
                arith::MulFOp::create(b, l, in,
                                      scalarConstant(b, l, comp, momentum)),
                arith::MulFOp::create(
                    b, l, a[1], scalarConstant(b, l, comp, 1.0 - momentum)));
            return castFloat(b, l, v, elem);
          }));
    }
    for (unsigned i = 1; i < results.size(); ++i) {
      if (!results[i])
        continue;
      RankedTensorType t = convertedResultType(*getTypeConverter(), op, i);
      if (!t)
        return rewriter.notifyMatchFailure(op, "running statistics type");
      if (t != results[i].getType())
        results[i] = tensor::CastOp::create(rewriter, loc, t, results[i]);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Dropout, training mode
//===----------------------------------------------------------------------===//

/// Dropout whose training_mode may be true (a constant true or a run-time
/// value). Its mask is random, so only a ratio that is a constant 0 is
/// lowered: then output = data and the mask is all true, whatever the mode.
/// The inference form (training_mode absent or a constant false) is lowered
/// in Tensor.cpp.
struct TrainingDropoutLowering : OpConversionPattern<DropoutOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DropoutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (isNoValue(adaptor.getTrainingMode()))
      return rewriter.notifyMatchFailure(op, "inference mode");
    auto training = constantIntValues(op.getTrainingMode());
    if (training && training->size() == 1 && (*training)[0] == 0)
      return rewriter.notifyMatchFailure(op, "inference mode");
    // Without a ratio input the default is 0.5.
    if (isNoValue(adaptor.getRatio()))
      return rewriter.notifyMatchFailure(
          op, "training-mode Dropout with the default ratio 0.5: the random "
              "mask cannot be reproduced");
    if (!isZeroConstant(op.getRatio()))
      return rewriter.notifyMatchFailure(
          op, "training-mode Dropout with a nonzero or run-time ratio: the "
              "random mask cannot be reproduced");
    if (isa<NoneType>(op.getMask().getType())) {
      rewriter.replaceOp(op, {adaptor.getData(), Value()});
      return success();
    }
    RankedTensorType maskType = convertedResultType(*getTypeConverter(), op, 1);
    if (!maskType || !maskType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "mask shape");
    Location loc = op.getLoc();
    Value empty = tensor::EmptyOp::create(rewriter, loc, maskType.getShape(),
                                          maskType.getElementType());
    Value one = arith::ConstantOp::create(
        rewriter, loc, rewriter.getIntegerAttr(maskType.getElementType(), 1));
    Value mask = linalg::FillOp::create(rewriter, loc, one, empty).getResult(0);
    rewriter.replaceOp(op, {adaptor.getData(), mask});
    return success();
  }

  /// True when `v` is a constant whose only element is 0 (the ratio is a
  /// float scalar).
  static bool isZeroConstant(Value v) {
    if (auto cast = v.getDefiningOp<UnrealizedConversionCastOp>())
      if (cast->getNumOperands() == 1)
        v = cast->getOperand(0);
    Attribute attr;
    if (auto c = v.getDefiningOp<ConstantOp>())
      attr = c.getValueAttr();
    else if (auto c = v.getDefiningOp<arith::ConstantOp>())
      attr = c.getValue();
    auto elements = dyn_cast_or_null<ElementsAttr>(attr);
    if (!elements || elements.getNumElements() != 1)
      return false;
    auto first = firstElementValue(elements);
    return first && *first == 0.0;
  }
};

} // namespace

void populateTrainingLoweringPatterns(OnnxTypeConverter &converter,
                                      RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<OptimizerLowering>(converter, ctx, "onnx.training.Adagrad",
                                  Optimizer::Adagrad);
  patterns.add<OptimizerLowering>(converter, ctx, "onnx.training.Adam",
                                  Optimizer::Adam);
  patterns.add<OptimizerLowering>(converter, ctx, "onnx.training.Momentum",
                                  Optimizer::Momentum);
  // training_mode appeared in BatchNormalization-14 (the plain op covers 14
  // and 15); older versions are inference-only here.
  patterns.add<TrainingBatchNormLowering>(converter, ctx,
                                          "onnx.BatchNormalization");
  patterns.add<TrainingDropoutLowering>(converter, ctx);
}

} // namespace onnxc
