//===- Tensor.cpp - Lower data-movement ONNX ops to tensor and linalg -----===//
//
// Reshape-like ops, Transpose, Concat, Shape, Gather, Slice and friends.
// Where ONNX computes a shape from a tensor input (Reshape's shape,
// Slice's starts/ends), that input must be a constant here; shape folding
// (a later pass) makes more of them constant.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

/// Reshapes `src` to `resultType` (same number of elements): through
/// collapse/expand where the dims group, else through tensor.reshape with a
/// constant shape (static shapes only).
Value reshapeTo(OpBuilder &b, Location loc, Value src,
                RankedTensorType resultType) {
  auto srcType = cast<RankedTensorType>(src.getType());
  if (srcType == resultType)
    return src;
  if (auto reassoc = getReassociationIndicesForReshape(srcType, resultType)) {
    if (srcType.getRank() > resultType.getRank())
      return tensor::CollapseShapeOp::create(b, loc, resultType, src, *reassoc);
    if (srcType.getRank() < resultType.getRank() &&
        llvm::count_if(resultType.getShape(), ShapedType::isDynamic) <= 1)
      return tensor::ExpandShapeOp::create(b, loc, resultType, src, *reassoc);
  }
  if (!srcType.hasStaticShape() || !resultType.hasStaticShape())
    return {};
  auto shapeType =
      RankedTensorType::get({resultType.getRank()}, b.getI64Type());
  Value shape = arith::ConstantOp::create(
      b, loc, DenseIntElementsAttr::get(shapeType, resultType.getShape()));
  return tensor::ReshapeOp::create(b, loc, resultType, src, shape);
}

/// Reshape, Flatten, Squeeze, Unsqueeze: the result type, which ONNX shape
/// inference computed, says everything.
struct ReshapeLikeLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!resultType || !isa<RankedTensorType>(operands[0].getType()))
      return failure();
    Value v = reshapeTo(rewriter, op->getLoc(), operands[0], resultType);
    if (!v)
      return rewriter.notifyMatchFailure(op, "dynamic reshape");
    rewriter.replaceOp(op, v);
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto srcType = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    if (!resultType || !srcType)
      return failure();
    SmallVector<int64_t> perm;
    if (auto p = op.getPerm()) {
      for (Attribute a : *p)
        perm.push_back(cast<IntegerAttr>(a).getInt());
    } else {
      for (int64_t i = srcType.getRank() - 1; i >= 0; --i)
        perm.push_back(i);
    }
    Location loc = op.getLoc();
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < resultType.getRank(); ++d)
      if (resultType.isDynamicDim(d))
        dynamicSizes.push_back(
            tensor::DimOp::create(rewriter, loc, adaptor.getData(), perm[d]));
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType(),
                                         dynamicSizes);
    auto t = linalg::TransposeOp::create(rewriter, loc, adaptor.getData(),
                                         init, perm);
    rewriter.replaceOp(op, t.getResult()[0]);
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!resultType)
      return failure();
    int64_t rank = resultType.getRank();
    auto axis = normalizeAxis(op.getAxis(), rank);
    if (!axis)
      return failure();
    Location loc = op.getLoc();
    SmallVector<Value> inputs;
    for (Value v : adaptor.getInputs()) {
      if (!isa<RankedTensorType>(v.getType()))
        return failure();
      inputs.push_back(v);
    }
    // Result sizes: the sum along the axis, the first input's elsewhere.
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (!resultType.isDynamicDim(d))
        continue;
      if (d != *axis) {
        dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, inputs[0], d));
        continue;
      }
      Value sum = arith::ConstantIndexOp::create(rewriter, loc, 0);
      for (Value v : inputs)
        sum = arith::AddIOp::create(rewriter, loc, sum,
                                    tensor::DimOp::create(rewriter, loc, v, d));
      dynamicSizes.push_back(sum);
    }
    Value result = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                           resultType.getElementType(),
                                           dynamicSizes);
    OpFoldResult offset = rewriter.getIndexAttr(0);
    for (Value v : inputs) {
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
      offsets[*axis] = offset;
      SmallVector<OpFoldResult> sizes =
          tensor::getMixedSizes(rewriter, loc, v);
      SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
      result = tensor::InsertSliceOp::create(rewriter, loc, v, result, offsets,
                                             sizes, strides);
      // The next offset: folded while both are constants, arith.addi
      // otherwise (affine is not a legal target of this conversion).
      std::optional<int64_t> a = getConstantIntValue(offset),
                             b = getConstantIntValue(sizes[*axis]);
      if (a && b) {
        offset = rewriter.getIndexAttr(*a + *b);
      } else {
        auto asValue = [&](OpFoldResult r) -> Value {
          if (auto v = dyn_cast<Value>(r))
            return v;
          return arith::ConstantIndexOp::create(
              rewriter, loc, *getConstantIntValue(r));
        };
        offset = arith::AddIOp::create(rewriter, loc, asValue(offset),
                                       asValue(sizes[*axis]))
                     .getResult();
      }
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Shape (and Size) of a statically shaped tensor is a constant.
struct ShapeLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto srcType = dyn_cast<RankedTensorType>(operands[0].getType());
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!srcType || !resultType || !srcType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs a static shape");
    Location loc = op->getLoc();
    SmallVector<int64_t> values;
    if (op->getName().getStringRef() == "onnx.Size") {
      values.push_back(srcType.getNumElements());
    } else {
      int64_t rank = srcType.getRank();
      auto clampIndex = [&](StringRef name, int64_t deflt) {
        int64_t v = deflt;
        if (auto a = op->getAttrOfType<IntegerAttr>(name))
          v = a.getInt();
        if (v < 0)
          v += rank;
        return std::clamp<int64_t>(v, 0, rank);
      };
      int64_t start = clampIndex("start", 0), end = clampIndex("end", rank);
      for (int64_t i = start; i < end; ++i)
        values.push_back(srcType.getDimSize(i));
    }
    if (resultType.getNumElements() != int64_t(values.size()))
      return failure();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, DenseIntElementsAttr::get(resultType, values));
    return success();
  }
};

struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto dataType = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    auto idxType = dyn_cast<RankedTensorType>(adaptor.getIndices().getType());
    if (!resultType || !dataType || !idxType || !resultType.hasStaticShape())
      return failure();
    int64_t r = dataType.getRank(), q = idxType.getRank();
    auto axis = normalizeAxis(op.getAxis(), r);
    if (!axis)
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    int64_t outRank = resultType.getRank();
    // The indices are read at output dims [axis, axis+q).
    SmallVector<AffineExpr> idxExprs;
    for (int64_t i = 0; i < q; ++i)
      idxExprs.push_back(getAffineDimExpr(*axis + i, ctx));
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType());
    Value data = adaptor.getData();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, adaptor.getIndices(), init,
        ArrayRef<AffineMap>{AffineMap::get(outRank, 0, idxExprs, ctx),
                            rewriter.getMultiDimIdentityMap(outRank)},
        SmallVector<utils::IteratorType>(outRank,
                                         utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          // Negative indices count from the end.
          Value idx = wrapNegative(b, l, toIndex(b, l, args[0]),
                                   tensor::DimOp::create(b, l, data, *axis));
          SmallVector<Value> coords;
          for (int64_t d = 0; d < r; ++d) {
            if (d < *axis)
              coords.push_back(linalg::IndexOp::create(b, l, d));
            else if (d == *axis)
              coords.push_back(idx);
            else
              coords.push_back(linalg::IndexOp::create(b, l, d + q - 1));
          }
          Value v = tensor::ExtractOp::create(b, l, data, coords);
          linalg::YieldOp::create(b, l, v);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

LogicalResult lowerWithComputedStarts(SliceOp op, SliceOp::Adaptor adaptor,
                                      ConversionPatternRewriter &rewriter,
                                      RankedTensorType resultType,
                                      RankedTensorType srcType);

/// Slice-10+ with constant starts/ends/axes/steps and positive steps is an
/// extract_slice; any other Slice reads element by element.
struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto srcType = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    if (!resultType || !srcType || !srcType.hasStaticShape())
      return failure();
    auto starts = constantIntValues(op.getStarts());
    auto ends = constantIntValues(op.getEnds());
    if (!starts || !ends || starts->size() != ends->size())
      return lowerWithComputedStarts(op, adaptor, rewriter, resultType,
                                     srcType);
    int64_t rank = srcType.getRank();
    SmallVector<int64_t> axes, steps(starts->size(), 1);
    if (!isNoValue(adaptor.getAxes())) {
      auto a = constantIntValues(op.getAxes());
      if (!a)
        return lowerWithComputedStarts(op, adaptor, rewriter, resultType,
                                       srcType);
      axes = *a;
    } else {
      for (size_t i = 0; i < starts->size(); ++i)
        axes.push_back(i);
    }
    if (!isNoValue(adaptor.getSteps())) {
      auto s = constantIntValues(op.getSteps());
      if (!s)
        return lowerWithComputedStarts(op, adaptor, rewriter, resultType,
                                       srcType);
      steps = *s;
    }
    if (llvm::any_of(steps, [](int64_t st) { return st <= 0; }))
      return lowerWithComputedStarts(op, adaptor, rewriter, resultType,
                                     srcType);
    SmallVector<int64_t> offsets(rank, 0), sizes(srcType.getShape()),
        strides(rank, 1);
    for (size_t i = 0; i < axes.size(); ++i) {
      auto axis = normalizeAxis(axes[i], rank);
      if (!axis || steps[i] <= 0)
        return rewriter.notifyMatchFailure(op, "negative step or bad axis");
      int64_t dim = srcType.getDimSize(*axis);
      int64_t s = (*starts)[i], e = (*ends)[i];
      if (s < 0) s += dim;
      if (e < 0) e += dim;
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      offsets[*axis] = s;
      strides[*axis] = steps[i];
      sizes[*axis] = e > s ? (e - s + steps[i] - 1) / steps[i] : 0;
    }
    auto sliceType =
        RankedTensorType::get(sizes, resultType.getElementType());
    if (failed(verifyCompatibleShape(sliceType, resultType)))
      return rewriter.notifyMatchFailure(op, "inferred shape disagrees");
    if (sliceType.getNumElements() == 0) {
      // extract_slice rejects offsets at the end of a dim; nothing to read.
      Value empty = tensor::EmptyOp::create(rewriter, op.getLoc(), sizes,
                                            resultType.getElementType());
      rewriter.replaceOp(op, sliceType == resultType
                                 ? empty
                                 : (Value)tensor::CastOp::create(
                                       rewriter, op.getLoc(), resultType,
                                       empty));
      return success();
    }
    Value v = tensor::ExtractSliceOp::create(
        rewriter, op.getLoc(), sliceType, adaptor.getData(), ValueRange{},
        ValueRange{}, ValueRange{}, rewriter.getDenseI64ArrayAttr(offsets),
        rewriter.getDenseI64ArrayAttr(sizes),
        rewriter.getDenseI64ArrayAttr(strides));
    if (sliceType != resultType) // inference left some dims unknown
      v = tensor::CastOp::create(rewriter, op.getLoc(), resultType, v);
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// Slice in general: starts, ends, axes and steps may be known only at run
/// time and steps may be negative. Each dim's first index, step and length
/// are computed as ONNX says (negative values count from the end, then
/// clamped), and every output element is read from the input. Dims the
/// result type knows statically keep that size; the others take the
/// computed length.
LogicalResult lowerWithComputedStarts(SliceOp op, SliceOp::Adaptor adaptor,
                                      ConversionPatternRewriter &rewriter,
                                      RankedTensorType resultType,
                                      RankedTensorType srcType) {
  int64_t rank = srcType.getRank();
  if (resultType.getRank() != rank)
    return failure();
  auto startsType = dyn_cast<RankedTensorType>(adaptor.getStarts().getType());
  if (!startsType || startsType.getRank() != 1 || !startsType.hasStaticShape())
    return rewriter.notifyMatchFailure(op, "starts must be a 1-D tensor");
  int64_t n = startsType.getDimSize(0);
  Location loc = op.getLoc();
  OpBuilder &b = rewriter;
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  // Element k of a 1-D integer operand as an index (or `deflt` if absent).
  auto element = [&](Value t, int64_t k, int64_t deflt) -> Value {
    if (isNoValue(t))
      return cst(deflt);
    Value raw = tensor::ExtractOp::create(b, loc, t, ValueRange{cst(k)});
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
  };
  auto sel = [&](Value c, Value x, Value y) -> Value {
    return arith::SelectOp::create(b, loc, c, x, y);
  };
  auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) -> Value {
    return arith::CmpIOp::create(b, loc, p, x, y);
  };
  auto clamp = [&](Value v, Value lo, Value hi) -> Value {
    return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, v, lo),
                                  hi);
  };
  using P = arith::CmpIPredicate;
  SmallVector<Value> first, step, length;
  for (int64_t d = 0; d < rank; ++d) {
    first.push_back(cst(0));
    step.push_back(cst(1));
    length.push_back(cst(srcType.getDimSize(d)));
  }
  std::optional<SmallVector<int64_t>> constAxes;
  if (!isNoValue(adaptor.getAxes()))
    constAxes = constantIntValues(op.getAxes());
  Value zero = cst(0), one = cst(1), minusOne = cst(-1);
  for (int64_t k = 0; k < n; ++k) {
    Value axis = element(adaptor.getAxes(), k, k);
    axis = sel(cmp(P::slt, axis, zero), arith::AddIOp::create(b, loc, axis,
                                                              cst(rank)),
               axis);
    Value s = element(adaptor.getStarts(), k, 0);
    Value e = element(adaptor.getEnds(), k, 0);
    Value st = element(adaptor.getSteps(), k, 1);
    // A zero step is invalid ONNX; treat it as 1 rather than divide by 0.
    st = sel(cmp(P::eq, st, zero), one, st);
    Value positive = cmp(P::sgt, st, zero);
    for (int64_t d = 0; d < rank; ++d) {
      if (constAxes && *normalizeAxis((*constAxes)[k], rank) != d)
        continue;
      Value dim = cst(srcType.getDimSize(d));
      Value last = arith::SubIOp::create(b, loc, dim, one);
      Value sN = sel(cmp(P::slt, s, zero), arith::AddIOp::create(b, loc, s, dim),
                     s);
      Value eN = sel(cmp(P::slt, e, zero), arith::AddIOp::create(b, loc, e, dim),
                     e);
      sN = sel(positive, clamp(sN, zero, dim), clamp(sN, zero, last));
      eN = sel(positive, clamp(eN, zero, dim), clamp(eN, minusOne, last));
      Value span = sel(positive, arith::SubIOp::create(b, loc, eN, sN),
                       arith::SubIOp::create(b, loc, sN, eN));
      Value absStep = sel(positive, st, arith::SubIOp::create(b, loc, zero, st));
      Value len = arith::MaxSIOp::create(
          b, loc, arith::CeilDivSIOp::create(b, loc, span, absStep), zero);
      Value isAxis =
          constAxes ? Value() : cmp(P::eq, axis, cst(d));
      first[d] = constAxes ? sN : sel(isAxis, sN, first[d]);
      step[d] = constAxes ? st : sel(isAxis, st, step[d]);
      length[d] = constAxes ? len : sel(isAxis, len, length[d]);
    }
  }
  SmallVector<Value> dynamicSizes;
  for (int64_t d = 0; d < rank; ++d)
    if (resultType.isDynamicDim(d))
      dynamicSizes.push_back(length[d]);
  Value init = tensor::EmptyOp::create(b, loc, resultType, dynamicSizes);
  Value data = adaptor.getData();
  bool empty = srcType.getNumElements() == 0;
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, ValueRange{}, init,
      SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank)},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        if (empty) { // no element can be read; the result is empty too
          linalg::YieldOp::create(nb, l, args[0]);
          return;
        }
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d) {
          Value i = linalg::IndexOp::create(nb, l, d);
          Value at = arith::AddIOp::create(
              nb, l, first[d], arith::MulIOp::create(nb, l, i, step[d]));
          // In bounds whenever the model's shapes are consistent; clamped
          // so an inconsistent one cannot read outside the input.
          Value lastD = arith::ConstantIndexOp::create(
              nb, l, srcType.getDimSize(d) - 1);
          Value zeroD = arith::ConstantIndexOp::create(nb, l, 0);
          coords.push_back(arith::MinSIOp::create(
              nb, l, arith::MaxSIOp::create(nb, l, at, zeroD), lastD));
        }
        linalg::YieldOp::create(
            nb, l, tensor::ExtractOp::create(nb, l, data, coords).getResult());
      });
  rewriter.replaceOp(op, generic.getResult(0));
  return success();
}

/// Slice-1: starts, ends and axes are attributes, every step is 1.
struct SliceV1Lowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto srcType = dyn_cast<RankedTensorType>(operands[0].getType());
    auto starts = op->getAttrOfType<ArrayAttr>("starts");
    auto ends = op->getAttrOfType<ArrayAttr>("ends");
    if (!resultType || !srcType || !srcType.hasStaticShape() || !starts ||
        !ends || starts.size() != ends.size())
      return rewriter.notifyMatchFailure(op, "needs static shapes");
    int64_t rank = srcType.getRank();
    auto axesAttr = op->getAttrOfType<ArrayAttr>("axes");
    SmallVector<int64_t> offsets(rank, 0), sizes(srcType.getShape()),
        strides(rank, 1);
    for (size_t i = 0; i < starts.size(); ++i) {
      int64_t axisValue =
          axesAttr ? cast<IntegerAttr>(axesAttr[i]).getInt() : int64_t(i);
      auto axis = normalizeAxis(axisValue, rank);
      if (!axis || (axesAttr && axesAttr.size() != starts.size()))
        return rewriter.notifyMatchFailure(op, "bad axes");
      int64_t dim = srcType.getDimSize(*axis);
      int64_t s = cast<IntegerAttr>(starts[i]).getInt();
      int64_t e = cast<IntegerAttr>(ends[i]).getInt();
      if (s < 0) s += dim;
      if (e < 0) e += dim;
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      offsets[*axis] = s;
      sizes[*axis] = std::max<int64_t>(e - s, 0);
    }
    auto sliceType = RankedTensorType::get(sizes, resultType.getElementType());
    if (failed(verifyCompatibleShape(sliceType, resultType)))
      return rewriter.notifyMatchFailure(op, "inferred shape disagrees");
    Location loc = op->getLoc();
    Value v = sliceType.getNumElements() == 0
                  ? (Value)tensor::EmptyOp::create(rewriter, loc, sizes,
                                                   sliceType.getElementType())
                  : (Value)tensor::ExtractSliceOp::create(
                        rewriter, loc, sliceType, operands[0], ValueRange{},
                        ValueRange{}, ValueRange{},
                        rewriter.getDenseI64ArrayAttr(offsets),
                        rewriter.getDenseI64ArrayAttr(sizes),
                        rewriter.getDenseI64ArrayAttr(strides));
    if (sliceType != resultType)
      v = tensor::CastOp::create(rewriter, loc, resultType, v);
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// Expand: broadcast to the (static) result shape.
struct ExpandLowering : OpConversionPattern<ExpandOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ExpandOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!resultType || !resultType.hasStaticShape() ||
        !isa<RankedTensorType>(adaptor.getInput().getType()))
      return failure();
    Value v = buildBroadcastElementwise(
        rewriter, op.getLoc(), resultType, adaptor.getInput(),
        [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// Dropout at inference: the identity, with an all-true mask if asked.
struct DropoutLowering : OpConversionPattern<DropoutOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DropoutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isNoValue(adaptor.getTrainingMode())) {
      auto training = constantIntValues(op.getTrainingMode());
      if (!training || training->size() != 1 || (*training)[0] != 0)
        return rewriter.notifyMatchFailure(op, "training mode");
    }
    SmallVector<Value> results{adaptor.getData()};
    if (isa<NoneType>(op.getMask().getType())) {
      results.push_back(op.getMask());
      if (!op.getMask().use_empty())
        return failure();
      rewriter.replaceOp(op, {adaptor.getData(), Value()});
      return success();
    }
    RankedTensorType maskType = convertedResultType(*getTypeConverter(), op, 1);
    if (!maskType || !maskType.hasStaticShape())
      return failure();
    Value mask = createFilled(rewriter, op.getLoc(), maskType, 1.0);
    rewriter.replaceOp(op, {adaptor.getData(), mask});
    return success();
  }
};

/// Dropout before opset 12 (ratio and is_test attributes): at inference the
/// identity, when its mask is not used.
struct OldDropoutLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    for (unsigned i = 1; i < op->getNumResults(); ++i)
      if (!op->getResult(i).use_empty())
        return rewriter.notifyMatchFailure(op, "mask is used");
    SmallVector<Value> results{operands[0]};
    results.resize(op->getNumResults(), Value());
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// ConstantOfShape with a static result: a fill with the value attribute.
struct ConstantOfShapeLowering : OpConversionPattern<ConstantOfShapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOfShapeOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!resultType || !resultType.hasStaticShape())
      return failure();
    // The default value is a float 0.
    double value = 0.0;
    if (auto attr = op.getValueAttr()) {
      auto first = firstElementValue(attr);
      if (!first)
        return rewriter.notifyMatchFailure(op, "unreadable value");
      value = *first;
    }
    rewriter.replaceOp(op, createFilled(rewriter, op.getLoc(), resultType,
                                        value));
    return success();
  }
};

} // namespace

void populateTensorLoweringPatterns(OnnxTypeConverter &converter,
                                    RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  for (StringRef name :
       {"onnx.Reshape", "onnx.Reshape_v5", "onnx.Flatten", "onnx.Squeeze",
        "onnx.Squeeze_v1", "onnx.Unsqueeze", "onnx.Unsqueeze_v1"})
    patterns.add<ReshapeLikeLowering>(converter, ctx, name);
  patterns.add<SliceV1Lowering>(converter, ctx, "onnx.Slice_v1");
  for (StringRef name : {"onnx.Dropout_v7", "onnx.Dropout_v6", "onnx.Dropout_v1"})
    patterns.add<OldDropoutLowering>(converter, ctx, name);
  for (StringRef name : {"onnx.Shape", "onnx.Shape_v1", "onnx.Size"})
    patterns.add<ShapeLowering>(converter, ctx, name);
  patterns.add<TransposeLowering, ConcatLowering, GatherLowering,
               SliceLowering, ExpandLowering, DropoutLowering,
               ConstantOfShapeLowering>(converter, ctx);
}

} // namespace onnxc
