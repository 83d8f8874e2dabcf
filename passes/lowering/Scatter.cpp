//===- Scatter.cpp - ScatterElements, ScatterND, Scatter, GatherND ---===//
//
// Writes (or reads) elements at positions given by index tensors.
//
// The scatters are sequential by nature: two updates may land on the same
// element, and ONNX then wants the later one to win (reduction "none") or
// both to be folded in (add/mul/max/min). They are therefore an scf.for
// nest over the updates carrying the output tensor as an iteration
// argument, which bufferizes to in-place stores into one copy of `data`.
// GatherND has no such hazard and is a linalg.generic over its output.
//
// Index values outside [-size, size) are an error in ONNX. There is no way
// to report it at run time, so the scatters skip such updates and GatherND
// clamps them, rather than touching memory outside the tensors.
//
//===----------------------------------------------------------------------===//

#include "passes/BlockLoops.h"
#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace onnxc {
namespace {

enum class Reduction { None, Add, Mul, Max, Min };

/// The `reduction` attribute ("none" where absent, as in Scatter and the
/// opset-11 forms), or nullopt for an unknown value.
std::optional<Reduction> readReduction(Operation *op) {
  return llvm::StringSwitch<std::optional<Reduction>>(
             stringAttrOr(op, "reduction", "none"))
      .Case("none", Reduction::None)
      .Case("add", Reduction::Add)
      .Case("mul", Reduction::Mul)
      .Case("max", Reduction::Max)
      .Case("min", Reduction::Min)
      .Default(std::nullopt);
}

/// Whether `combine` knows the element type: reductions need arithmetic.
bool canReduce(Type elem) {
  return isa<FloatType>(elem) || isa<IntegerType>(elem);
}

/// The reduction of `op` over elements of `elem`, or a match failure.
FailureOr<Reduction> checkedReduction(Operation *op, Type elem,
                                      ConversionPatternRewriter &rewriter) {
  std::optional<Reduction> reduction = readReduction(op);
  if (!reduction)
    return rewriter.notifyMatchFailure(op, "unknown reduction");
  if (*reduction != Reduction::None && !canReduce(elem))
    return rewriter.notifyMatchFailure(op, "reduction over this type");
  return *reduction;
}

/// Static data, indices and updates of a scatter whose result has data's
/// type; nullopt otherwise.
struct ScatterTypes {
  RankedTensorType data, indices, updates;
};
std::optional<ScatterTypes> staticScatterTypes(ArrayRef<Value> operands,
                                               RankedTensorType resultType) {
  auto dataType = dyn_cast<RankedTensorType>(operands[0].getType());
  auto indicesType = dyn_cast<RankedTensorType>(operands[1].getType());
  auto updatesType = dyn_cast<RankedTensorType>(operands[2].getType());
  if (!dataType || !indicesType || !updatesType || !resultType ||
      !dataType.hasStaticShape() || !indicesType.hasStaticShape() ||
      !updatesType.hasStaticShape() || resultType != dataType)
    return std::nullopt;
  return ScatterTypes{dataType, indicesType, updatesType};
}

/// The element `old` after the update `upd` is folded in. Booleans follow
/// numpy (the reference): + is "or", * is "and", and so are max and min.
Value combine(OpBuilder &b, Location l, Reduction reduction, Value old,
              Value upd, bool isUnsigned) {
  Type t = old.getType();
  if (isa<FloatType>(t)) {
    switch (reduction) {
    case Reduction::Add:
      return arith::AddFOp::create(b, l, old, upd);
    case Reduction::Mul:
      return arith::MulFOp::create(b, l, old, upd);
    case Reduction::Max: // np.maximum propagates NaN, as maximumf does
      return arith::MaximumFOp::create(b, l, old, upd);
    case Reduction::Min:
      return arith::MinimumFOp::create(b, l, old, upd);
    case Reduction::None:
      return upd;
    }
  }
  if (t.isInteger(1)) {
    switch (reduction) {
    case Reduction::Add:
    case Reduction::Max:
      return arith::OrIOp::create(b, l, old, upd);
    case Reduction::Mul:
    case Reduction::Min:
      return arith::AndIOp::create(b, l, old, upd);
    case Reduction::None:
      return upd;
    }
  }
  switch (reduction) {
  case Reduction::Add:
    return arith::AddIOp::create(b, l, old, upd);
  case Reduction::Mul:
    return arith::MulIOp::create(b, l, old, upd);
  case Reduction::Max:
    return isUnsigned ? Value(arith::MaxUIOp::create(b, l, old, upd))
                      : Value(arith::MaxSIOp::create(b, l, old, upd));
  case Reduction::Min:
    return isUnsigned ? Value(arith::MinUIOp::create(b, l, old, upd))
                      : Value(arith::MinSIOp::create(b, l, old, upd));
  case Reduction::None:
    break;
  }
  return upd;
}

/// The index value `raw` (an integer of any width) as an index, with a
/// negative value counted from the end of a dim of `size`.
Value normalizedIndex(OpBuilder &b, Location l, Value raw, int64_t size) {
  return wrapNegative(b, l, toIndex(b, l, raw),
                      arith::ConstantIndexOp::create(b, l, size));
}

/// Whether a normalized index lies in [0, size): one unsigned compare.
Value indexInRange(OpBuilder &b, Location l, Value i, int64_t size) {
  return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, i,
                               arith::ConstantIndexOp::create(b, l, size));
}

/// `update(acc)` where `inRange`, `acc` unchanged elsewhere.
Value guardedUpdate(OpBuilder &b, Location l, Value inRange, Value acc,
                    llvm::function_ref<Value(OpBuilder &, Location)> update) {
  auto ifOp = scf::IfOp::create(
      b, l, inRange,
      [&](OpBuilder &tb, Location tl) {
        scf::YieldOp::create(tb, tl, update(tb, tl));
      },
      [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, acc); });
  return ifOp.getResult(0);
}

/// ScatterElements (every version) and the deprecated Scatter: each element
/// of `updates` goes to the position of its own index in `data`, except
/// along `axis`, where `indices` says where.
struct ScatterElementsLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = operands[0], indices = operands[1], updates = operands[2];
    auto types =
        staticScatterTypes(operands, convertedResultType(*getTypeConverter(), op));
    if (!types)
      return rewriter.notifyMatchFailure(op, "needs static shapes");
    RankedTensorType dataType = types->data, indicesType = types->indices,
                     updatesType = types->updates;
    int64_t rank = dataType.getRank();
    if (rank < 1 || indicesType.getRank() != rank ||
        updatesType.getShape() != indicesType.getShape())
      return rewriter.notifyMatchFailure(
          op, "indices and updates must have data's rank and one shape");
    auto axis = normalizeAxis(intAttrOr(op, "axis", 0), rank);
    if (!axis)
      return rewriter.notifyMatchFailure(op, "axis out of range");
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && indicesType.getDimSize(d) > dataType.getDimSize(d))
        return rewriter.notifyMatchFailure(
            op, "indices larger than data off the axis");
    Type elem = dataType.getElementType();
    FailureOr<Reduction> reduction = checkedReduction(op, elem, rewriter);
    if (failed(reduction))
      return failure();
    bool isUnsigned = isUnsignedInt(originalElementType(op->getOperand(0)));
    int64_t a = *axis;
    int64_t axisSize = dataType.getDimSize(a);

    Value result = buildTensorLoopNest(
        rewriter, op->getLoc(), indicesType.getShape(), data,
        [&](OpBuilder &b, Location l, ValueRange ivs, Value acc) {
          Value raw = tensor::ExtractOp::create(b, l, indices, ivs);
          Value idx = normalizedIndex(b, l, raw, axisSize);
          Value upd = tensor::ExtractOp::create(b, l, updates, ivs);
          SmallVector<Value> coords(ivs.begin(), ivs.end());
          coords[a] = idx;
          return guardedUpdate(
              b, l, indexInRange(b, l, idx, axisSize), acc,
              [&](OpBuilder &tb, Location tl) -> Value {
                Value v = upd;
                if (*reduction != Reduction::None) {
                  Value old = tensor::ExtractOp::create(tb, tl, acc, coords);
                  v = combine(tb, tl, *reduction, old, upd, isUnsigned);
                }
                return tensor::InsertOp::create(tb, tl, v, acc, coords);
              });
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// ScatterND (every version): `indices` is a tensor of k-tuples, each naming
/// a slice data[i0, ..., ik-1, :, ...] that the matching slice of `updates`
/// replaces (or is folded into). One loop iteration moves a whole slice.
struct ScatterNDLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = operands[0], indices = operands[1], updates = operands[2];
    auto types =
        staticScatterTypes(operands, convertedResultType(*getTypeConverter(), op));
    if (!types)
      return rewriter.notifyMatchFailure(op, "needs static shapes");
    RankedTensorType dataType = types->data, indicesType = types->indices,
                     updatesType = types->updates;
    int64_t r = dataType.getRank(), q = indicesType.getRank();
    if (r < 1 || q < 1)
      return rewriter.notifyMatchFailure(op, "data and indices need rank >= 1");
    int64_t k = indicesType.getDimSize(q - 1);
    if (k < 1 || k > r)
      return rewriter.notifyMatchFailure(op, "index tuples of a bad length");
    // updates.shape == indices.shape[:-1] ++ data.shape[k:]
    ArrayRef<int64_t> batchShape = indicesType.getShape().drop_back();
    ArrayRef<int64_t> sliceShape = dataType.getShape().drop_front(k);
    SmallVector<int64_t> expected(batchShape);
    llvm::append_range(expected, sliceShape);
    if (updatesType.getShape() != ArrayRef<int64_t>(expected))
      return rewriter.notifyMatchFailure(op, "updates of an unexpected shape");
    Type elem = dataType.getElementType();
    FailureOr<Reduction> reduction = checkedReduction(op, elem, rewriter);
    if (failed(reduction))
      return failure();
    bool isUnsigned = isUnsignedInt(originalElementType(op->getOperand(0)));
    auto sliceType = RankedTensorType::get(sliceShape, elem);
    int64_t batchRank = q - 1;

    Value result = buildTensorLoopNest(
        rewriter, op->getLoc(), batchShape, data,
        [&](OpBuilder &b, Location l, ValueRange ivs, Value acc) {
          // The k-tuple, normalized, and whether all of it is in range.
          SmallVector<Value> tuple;
          Value inRange;
          SmallVector<Value> coords(ivs.begin(), ivs.end());
          coords.push_back(Value());
          for (int64_t j = 0; j < k; ++j) {
            coords.back() = arith::ConstantIndexOp::create(b, l, j);
            Value raw = tensor::ExtractOp::create(b, l, indices, coords);
            Value idx = normalizedIndex(b, l, raw, dataType.getDimSize(j));
            Value ok = indexInRange(b, l, idx, dataType.getDimSize(j));
            inRange = inRange ? arith::AndIOp::create(b, l, inRange, ok) : ok;
            tuple.push_back(idx);
          }
          // The update slice: updates[ivs..., :, ...], rank-reduced to the
          // slice shape.
          SmallVector<OpFoldResult> updOffsets(ivs.begin(), ivs.end()),
              updSizes(batchRank, b.getIndexAttr(1));
          for (int64_t n : sliceShape) {
            updOffsets.push_back(b.getIndexAttr(0));
            updSizes.push_back(b.getIndexAttr(n));
          }
          SmallVector<OpFoldResult> updStrides(updSizes.size(),
                                               b.getIndexAttr(1));
          // The data slice: data[tuple..., :, ...].
          SmallVector<OpFoldResult> offsets(tuple.begin(), tuple.end()),
              sizes(k, b.getIndexAttr(1));
          for (int64_t n : sliceShape) {
            offsets.push_back(b.getIndexAttr(0));
            sizes.push_back(b.getIndexAttr(n));
          }
          SmallVector<OpFoldResult> strides(sizes.size(), b.getIndexAttr(1));
          return guardedUpdate(
              b, l, inRange, acc, [&](OpBuilder &tb, Location tl) -> Value {
                Value upd = tensor::ExtractSliceOp::create(
                    tb, tl, sliceType, updates, updOffsets, updSizes,
                    updStrides);
                if (*reduction != Reduction::None) {
                  // The data slice is the generic's output, so that it is
                  // updated in place and the insert below copies nothing.
                  Value old = tensor::ExtractSliceOp::create(
                      tb, tl, sliceType, acc, offsets, sizes, strides);
                  int64_t sliceRank = sliceType.getRank();
                  AffineMap id = tb.getMultiDimIdentityMap(sliceRank);
                  upd = linalg::GenericOp::create(
                            tb, tl, sliceType, ValueRange{upd},
                            ValueRange{old}, ArrayRef<AffineMap>{id, id},
                            SmallVector<utils::IteratorType>(
                                sliceRank, utils::IteratorType::parallel),
                            [&](OpBuilder &eb, Location el, ValueRange in) {
                              linalg::YieldOp::create(
                                  eb, el,
                                  combine(eb, el, *reduction, in[1], in[0],
                                          isUnsigned));
                            })
                            .getResult(0);
                }
                return tensor::InsertSliceOp::create(tb, tl, upd, acc, offsets,
                                                     sizes, strides);
              });
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// GatherND (every version): output[batch..., pos..., rest...] =
/// data[batch..., indices[batch..., pos..., :]..., rest...].
struct GatherNDLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = operands[0], indices = operands[1];
    auto dataType = dyn_cast<RankedTensorType>(data.getType());
    auto indicesType = dyn_cast<RankedTensorType>(indices.getType());
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!dataType || !indicesType || !resultType ||
        !dataType.hasStaticShape() || !indicesType.hasStaticShape() ||
        !resultType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs static shapes");
    int64_t r = dataType.getRank(), q = indicesType.getRank();
    int64_t batchDims = intAttrOr(op, "batch_dims", 0);
    if (r < 1 || q < 1 || batchDims < 0 || batchDims >= std::min(q, r))
      return rewriter.notifyMatchFailure(op, "bad ranks or batch_dims");
    int64_t k = indicesType.getDimSize(q - 1);
    if (k < 1 || k > r - batchDims)
      return rewriter.notifyMatchFailure(op, "index tuples of a bad length");
    for (int64_t d = 0; d < batchDims; ++d)
      if (dataType.getDimSize(d) != indicesType.getDimSize(d))
        return rewriter.notifyMatchFailure(op, "batch dims differ");
    for (int64_t d = batchDims; d < batchDims + k; ++d)
      if (dataType.getDimSize(d) == 0 && resultType.getNumElements() != 0)
        return rewriter.notifyMatchFailure(op, "indexes into an empty dim");
    // output.shape == indices.shape[:-1] ++ data.shape[b+k:]
    SmallVector<int64_t> expected(indicesType.getShape().drop_back());
    llvm::append_range(expected, dataType.getShape().drop_front(batchDims + k));
    if (resultType.getShape() != ArrayRef<int64_t>(expected))
      return rewriter.notifyMatchFailure(op, "result of an unexpected shape");

    Location loc = op->getLoc();
    int64_t outRank = resultType.getRank();
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{}, init,
        {rewriter.getMultiDimIdentityMap(outRank)},
        SmallVector<utils::IteratorType>(outRank,
                                         utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> out;
          for (int64_t d = 0; d < outRank; ++d)
            out.push_back(linalg::IndexOp::create(b, l, d));
          // indices[out[0:q-1]..., j] for each j of the tuple.
          SmallVector<Value> indCoords(out.begin(), out.begin() + q - 1);
          indCoords.push_back(Value());
          SmallVector<Value> coords(out.begin(), out.begin() + batchDims);
          for (int64_t j = 0; j < k; ++j) {
            int64_t size = dataType.getDimSize(batchDims + j);
            indCoords.back() = arith::ConstantIndexOp::create(b, l, j);
            Value raw = tensor::ExtractOp::create(b, l, indices, indCoords);
            Value idx = normalizedIndex(b, l, raw, size);
            // Out-of-range indices are an error in ONNX: clamp so that the
            // read stays inside data.
            idx = arith::MaxSIOp::create(
                b, l, idx, arith::ConstantIndexOp::create(b, l, 0));
            idx = arith::MinSIOp::create(
                b, l, idx, arith::ConstantIndexOp::create(b, l, size - 1));
            coords.push_back(idx);
          }
          coords.append(out.begin() + q - 1, out.end());
          Value v = tensor::ExtractOp::create(b, l, data, coords);
          linalg::YieldOp::create(b, l, v);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void populateScatterLoweringPatterns(OnnxTypeConverter &converter,
                                     RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  for (StringRef name :
       {"onnx.ScatterElements", "onnx.ScatterElements_v11", "onnx.Scatter"})
    patterns.add<ScatterElementsLowering>(converter, ctx, name);
  for (StringRef name : {"onnx.ScatterND", "onnx.ScatterND_v11"})
    patterns.add<ScatterNDLowering>(converter, ctx, name);
  for (StringRef name : {"onnx.GatherND", "onnx.GatherND_v11"})
    patterns.add<GatherNDLowering>(converter, ctx, name);
}

} // namespace onnxc
