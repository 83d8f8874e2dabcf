//===- Indexing.cpp - Ops that compute where each element comes from ------===//
//
// GatherElements, Trilu, Range, Split, Tile, Pad, ReverseSequence and
// friends: each output element is read from a position computed from its
// own index (linalg.index plus tensor.extract), or is a slice of the input.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

/// A generic over `resultType` (its dynamic dims sized by `dynamicSizes`);
/// `body` gets the builder, the output indices and the input elements.
Value buildIndexed(OpBuilder &b, Location loc, RankedTensorType resultType,
                   ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                   llvm::function_ref<Value(OpBuilder &, Location, ValueRange,
                                            ValueRange)>
                       body,
                   ValueRange dynamicSizes = {}) {
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps(inputMaps.begin(), inputMaps.end());
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = tensor::EmptyOp::create(b, loc, resultType, dynamicSizes);
  return linalg::GenericOp::create(
             b, loc, resultType, inputs, init, maps,
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               SmallVector<Value> idx;
               for (int64_t d = 0; d < rank; ++d)
                 idx.push_back(linalg::IndexOp::create(nb, l, d));
               linalg::YieldOp::create(nb, l,
                                       body(nb, l, idx, args.drop_back()));
             })
      .getResult(0);
}

struct GatherElementsLowering : OpConversionPattern<GatherElementsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto dataType = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    if (!resultType || !dataType || !resultType.hasStaticShape())
      return failure();
    auto axis = normalizeAxis(op.getAxis(), dataType.getRank());
    if (!axis)
      return failure();
    Value data = adaptor.getData();
    int64_t a = *axis;
    Value v = buildIndexed(
        rewriter, op.getLoc(), resultType, adaptor.getIndices(),
        {rewriter.getMultiDimIdentityMap(resultType.getRank())},
        [&](OpBuilder &b, Location l, ValueRange idx, ValueRange in) {
          SmallVector<Value> coords(idx.begin(), idx.end());
          Value dim = tensor::DimOp::create(b, l, data, a);
          coords[a] = wrapNegative(b, l, toIndex(b, l, in[0]), dim);
          return tensor::ExtractOp::create(b, l, data, coords).getResult();
        });
    rewriter.replaceOp(op, v);
    return success();
  }
};

struct TriluLowering : OpConversionPattern<TriluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TriluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!resultType || !resultType.hasStaticShape() || resultType.getRank() < 2)
      return failure();
    Location loc = op.getLoc();
    Value k = arith::ConstantIndexOp::create(rewriter, loc, 0);
    if (!isNoValue(adaptor.getK())) {
      Value kt = adaptor.getK();
      auto kType = cast<RankedTensorType>(kt.getType());
      SmallVector<Value> zeros(kType.getRank(),
                               arith::ConstantIndexOp::create(rewriter, loc, 0));
      k = toIndex(rewriter, loc, tensor::ExtractOp::create(rewriter, loc, kt, zeros));
    }
    bool upper = op.getUpper() != 0;
    int64_t r = resultType.getRank();
    Value v = buildIndexed(
        rewriter, loc, resultType, adaptor.getInput(),
        {rewriter.getMultiDimIdentityMap(r)},
        [&](OpBuilder &b, Location l, ValueRange idx, ValueRange in) {
          Value diff = arith::SubIOp::create(b, l, idx[r - 1], idx[r - 2]);
          Value keep = arith::CmpIOp::create(
              b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
              diff, k);
          Value zero = scalarConstant(b, l, in[0].getType(), 0);
          return arith::SelectOp::create(b, l, keep, in[0], zero).getResult();
        });
    rewriter.replaceOp(op, v);
    return success();
  }
};

struct RangeLowering : OpConversionPattern<RangeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RangeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!resultType || resultType.getRank() != 1)
      return rewriter.notifyMatchFailure(op, "needs a 1-D result type");
    Location loc = op.getLoc();
    Value start = tensor::ExtractOp::create(rewriter, loc, adaptor.getStart(),
                                            ValueRange{});
    Value delta = tensor::ExtractOp::create(rewriter, loc, adaptor.getDelta(),
                                            ValueRange{});
    Type elem = resultType.getElementType();
    if (!isa<FloatType, IntegerType>(elem))
      return rewriter.notifyMatchFailure(op, "non-numeric elements");
    SmallVector<Value> dynamicSizes;
    if (resultType.isDynamicDim(0)) {
      // max(ceil((limit - start) / delta), 0) elements, computed at run time.
      Value limit = tensor::ExtractOp::create(rewriter, loc,
                                              adaptor.getLimit(), ValueRange{});
      Value count;
      if (isa<FloatType>(elem)) {
        Value q = arith::DivFOp::create(
            rewriter, loc, arith::SubFOp::create(rewriter, loc, limit, start),
            delta);
        q = math::CeilOp::create(rewriter, loc, q);
        q = arith::MaximumFOp::create(rewriter, loc, q,
                                      scalarConstant(rewriter, loc, elem, 0));
        count = arith::FPToSIOp::create(rewriter, loc, rewriter.getI64Type(),
                                        q);
      } else {
        Value q = arith::CeilDivSIOp::create(
            rewriter, loc, arith::SubIOp::create(rewriter, loc, limit, start),
            delta);
        count = arith::MaxSIOp::create(rewriter, loc, q,
                                       scalarConstant(rewriter, loc, elem, 0));
      }
      dynamicSizes.push_back(toIndex(rewriter, loc, count));
    }
    Value v = buildIndexed(
        rewriter, loc, resultType, {}, {},
        [&](OpBuilder &b, Location l, ValueRange idx, ValueRange) -> Value {
          Value i = arith::IndexCastOp::create(b, l, b.getI64Type(), idx[0]);
          if (isa<FloatType>(elem)) {
            Value fi = arith::SIToFPOp::create(b, l, elem, i);
            return arith::AddFOp::create(
                b, l, start, arith::MulFOp::create(b, l, fi, delta));
          }
          if (elem != b.getI64Type())
            i = arith::TruncIOp::create(b, l, elem, i);
          return arith::AddIOp::create(b, l, start,
                                       arith::MulIOp::create(b, l, i, delta));
        },
        dynamicSizes);
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// Split (every version): the result types, from shape inference, give each
/// part's size along the axis.
struct SplitLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto srcType = dyn_cast<RankedTensorType>(operands[0].getType());
    if (!srcType || !srcType.hasStaticShape())
      return failure();
    int64_t axisAttr = intAttrOr(op, "axis", 0);
    auto axis = normalizeAxis(axisAttr, srcType.getRank());
    if (!axis)
      return failure();
    SmallVector<Value> results;
    int64_t offset = 0;
    for (unsigned i = 0; i < op->getNumResults(); ++i) {
      RankedTensorType t = convertedResultType(*getTypeConverter(), op, i);
      if (!t || !t.hasStaticShape())
        return failure();
      SmallVector<int64_t> offsets(srcType.getRank(), 0),
          strides(srcType.getRank(), 1);
      offsets[*axis] = offset;
      offset += t.getDimSize(*axis);
      if (t.getNumElements() == 0) {
        // An empty part: extract_slice rejects offsets into empty dims.
        results.push_back(tensor::EmptyOp::create(
            rewriter, op->getLoc(), t.getShape(), t.getElementType()));
        continue;
      }
      results.push_back(tensor::ExtractSliceOp::create(
          rewriter, op->getLoc(), t, operands[0], ValueRange{}, ValueRange{},
          ValueRange{}, rewriter.getDenseI64ArrayAttr(offsets),
          rewriter.getDenseI64ArrayAttr(t.getShape()),
          rewriter.getDenseI64ArrayAttr(strides)));
    }
    if (offset != srcType.getDimSize(*axis))
      return rewriter.notifyMatchFailure(op, "parts do not cover the input");
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct TileLowering : OpConversionPattern<TileOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TileOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto srcType = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
    if (!resultType || !srcType || !resultType.hasStaticShape() ||
        !srcType.hasStaticShape())
      return failure();
    Value src = adaptor.getInput();
    Value v = buildIndexed(
        rewriter, op.getLoc(), resultType, {}, {},
        [&](OpBuilder &b, Location l, ValueRange idx, ValueRange) {
          SmallVector<Value> coords;
          for (int64_t d = 0; d < srcType.getRank(); ++d)
            coords.push_back(arith::RemUIOp::create(
                b, l, idx[d],
                arith::ConstantIndexOp::create(b, l, srcType.getDimSize(d))));
          return tensor::ExtractOp::create(b, l, src, coords).getResult();
        });
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// Pad-11+ (pads as an input) and Pad-2 (pads as an attribute), constant,
/// edge and reflect modes. Constant non-negative pads in constant mode
/// become tensor.pad; everything else (pads known only at run time,
/// negative pads that crop) reads each output element from the source.
struct PadLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto srcType = dyn_cast<RankedTensorType>(operands[0].getType());
    if (!resultType || !srcType || !srcType.hasStaticShape() ||
        !resultType.hasStaticShape())
      return failure();
    int64_t rank = srcType.getRank();
    std::optional<SmallVector<int64_t>> pads;
    Value padsTensor;
    if (auto attr = op->getAttrOfType<ArrayAttr>("pads")) {
      pads.emplace();
      for (Attribute a : attr)
        pads->push_back(cast<IntegerAttr>(a).getInt());
    } else if (operands.size() > 1) {
      pads = constantIntValues(op->getOperand(1));
      padsTensor = operands[1];
    }
    if (pads && int64_t(pads->size()) != 2 * rank)
      return rewriter.notifyMatchFailure(op, "pads do not match the rank");
    if (!pads) {
      auto padsType = dyn_cast<RankedTensorType>(padsTensor.getType());
      if (!padsType || padsType.getRank() != 1 ||
          padsType.getDimSize(0) != 2 * rank)
        return rewriter.notifyMatchFailure(op, "pads do not match the rank");
    }
    StringRef mode = stringAttrOr(op, "mode", "constant");
    Location loc = op->getLoc();
    Type elem = srcType.getElementType();
    Value src = operands[0];
    Value value;
    if (mode == "constant") {
      if (operands.size() > 2 && !isNoValue(operands[2])) {
        value = tensor::ExtractOp::create(rewriter, loc, operands[2],
                                          ValueRange{});
      } else {
        double v = 0.0;
        if (auto f = op->getAttrOfType<FloatAttr>("value"))
          v = f.getValueAsDouble();
        value = scalarConstant(rewriter, loc, elem, v);
      }
    }
    bool nonNegative = pads && llvm::all_of(*pads, [](int64_t p) {
                         return p >= 0;
                       });
    if (mode == "constant" && nonNegative) {
      SmallVector<int64_t> low(pads->begin(), pads->begin() + rank);
      SmallVector<int64_t> high(pads->begin() + rank, pads->end());
      rewriter.replaceOpWithNewOp<tensor::PadOp>(
          op, resultType, src, getAsIndexOpFoldResult(getContext(), low),
          getAsIndexOpFoldResult(getContext(), high), value);
      return success();
    }
    if (mode != "constant" && mode != "edge" && mode != "reflect")
      return rewriter.notifyMatchFailure(op, "unknown mode");
    // The leading pad of each dim, as an index (read at run time if need be).
    SmallVector<Value> low;
    for (int64_t d = 0; d < rank; ++d) {
      if (pads) {
        low.push_back(arith::ConstantIndexOp::create(rewriter, loc, (*pads)[d]));
        continue;
      }
      Value at = arith::ConstantIndexOp::create(rewriter, loc, d);
      low.push_back(toIndex(
          rewriter, loc,
          tensor::ExtractOp::create(rewriter, loc, padsTensor, ValueRange{at})));
    }
    if (mode == "constant") {
      Value v = buildIndexed(
          rewriter, loc, resultType, {}, {},
          [&](OpBuilder &b, Location l, ValueRange idx, ValueRange) {
            Value zero = arith::ConstantIndexOp::create(b, l, 0);
            Value inside = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
            SmallVector<Value> coords;
            for (int64_t d = 0; d < rank; ++d) {
              Value i = arith::SubIOp::create(b, l, idx[d], low[d]);
              Value n = arith::ConstantIndexOp::create(
                  b, l, srcType.getDimSize(d));
              Value ok = arith::AndIOp::create(
                  b, l,
                  arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, i,
                                        zero),
                  arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, n));
              inside = arith::AndIOp::create(b, l, inside, ok);
              // Clamped so the read stays in bounds; the select drops it.
              Value last = arith::ConstantIndexOp::create(
                  b, l, std::max<int64_t>(srcType.getDimSize(d) - 1, 0));
              coords.push_back(arith::MinSIOp::create(
                  b, l, arith::MaxSIOp::create(b, l, i, zero), last));
            }
            if (srcType.getNumElements() == 0)
              return value;
            Value read = tensor::ExtractOp::create(b, l, src, coords);
            return arith::SelectOp::create(b, l, inside, read, value)
                .getResult();
          });
      rewriter.replaceOp(op, v);
      return success();
    }
    if (srcType.getNumElements() == 0)
      return rewriter.notifyMatchFailure(op, "edge/reflect of an empty input");
    bool edge = mode == "edge";
    Value v = buildIndexed(
        rewriter, loc, resultType, {}, {},
        [&](OpBuilder &b, Location l, ValueRange idx, ValueRange) {
          SmallVector<Value> coords;
          for (int64_t d = 0; d < rank; ++d) {
            int64_t n = srcType.getDimSize(d);
            Value i = arith::SubIOp::create(b, l, idx[d], low[d]);
            Value zero = arith::ConstantIndexOp::create(b, l, 0);
            Value last = arith::ConstantIndexOp::create(b, l, n - 1);
            if (edge) {
              i = arith::MaxSIOp::create(b, l, i, zero);
              i = arith::MinSIOp::create(b, l, i, last);
            } else {
              // reflect: -i below 0, 2(n-1)-i above n-1
              Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                                i, zero);
              i = arith::SelectOp::create(
                  b, l, neg, arith::SubIOp::create(b, l, zero, i), i);
              Value over = arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::sgt, i, last);
              Value twice = arith::ConstantIndexOp::create(b, l, 2 * (n - 1));
              i = arith::SelectOp::create(
                  b, l, over, arith::SubIOp::create(b, l, twice, i), i);
              // Pads wider than the input are invalid ONNX; stay in bounds.
              i = arith::MinSIOp::create(
                  b, l, arith::MaxSIOp::create(b, l, i, zero), last);
            }
            coords.push_back(i);
          }
          return tensor::ExtractOp::create(b, l, src, coords).getResult();
        });
    rewriter.replaceOp(op, v);
    return success();
  }
};

struct EyeLikeLowering : OpConversionPattern<EyeLikeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(EyeLikeOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!resultType || !resultType.hasStaticShape() || resultType.getRank() != 2)
      return failure();
    int64_t k = op.getK();
    Type elem = resultType.getElementType();
    Value v = buildIndexed(
        rewriter, op.getLoc(), resultType, {}, {},
        [&](OpBuilder &b, Location l, ValueRange idx, ValueRange) -> Value {
          Value diff = arith::SubIOp::create(b, l, idx[1], idx[0]);
          Value on = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, diff,
                                           arith::ConstantIndexOp::create(b, l, k));
          return arith::SelectOp::create(b, l, on, scalarConstant(b, l, elem, 1),
                                         scalarConstant(b, l, elem, 0));
        });
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// DepthToSpace (DCR and CRD) and SpaceToDepth as index arithmetic.
struct DepthSpaceLowering : ConversionPattern {
  DepthSpaceLowering(const TypeConverter &converter, MLIRContext *context,
                     StringRef name, bool toSpace)
      : ConversionPattern(converter, name, 1, context), toSpace(toSpace) {}
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    auto srcType = dyn_cast<RankedTensorType>(operands[0].getType());
    auto blockAttr = op->getAttrOfType<IntegerAttr>("blocksize");
    if (!resultType || !srcType || !blockAttr || srcType.getRank() != 4 ||
        !srcType.hasStaticShape() || !resultType.hasStaticShape())
      return failure();
    int64_t bs = blockAttr.getInt();
    bool crd = false;
    if (auto m = op->getAttrOfType<StringAttr>("mode"))
      crd = m.getValue() == "CRD";
    Value src = operands[0];
    bool depthToSpace = toSpace;
    int64_t outC = resultType.getDimSize(1), inC = srcType.getDimSize(1);
    Value v = buildIndexed(
        rewriter, op->getLoc(), resultType, {}, {},
        [&](OpBuilder &b, Location l, ValueRange idx, ValueRange) -> Value {
          auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v); };
          auto mul = [&](Value x, Value y) { return arith::MulIOp::create(b, l, x, y); };
          auto add = [&](Value x, Value y) { return arith::AddIOp::create(b, l, x, y); };
          auto div = [&](Value x, int64_t y) { return arith::DivUIOp::create(b, l, x, c(y)); };
          auto rem = [&](Value x, int64_t y) { return arith::RemUIOp::create(b, l, x, c(y)); };
          SmallVector<Value> coords;
          if (depthToSpace) {
            Value bh = rem(idx[2], bs), bw = rem(idx[3], bs);
            Value channel =
                crd ? add(mul(idx[1], c(bs * bs)), add(mul(bh, c(bs)), bw))
                    : add(mul(add(mul(bh, c(bs)), bw), c(outC)), idx[1]);
            coords = {idx[0], channel, div(idx[2], bs), div(idx[3], bs)};
          } else {
            Value blk = div(idx[1], inC);
            Value bh = div(blk, bs), bw = rem(blk, bs);
            coords = {idx[0], rem(idx[1], inC), add(mul(idx[2], c(bs)), bh),
                      add(mul(idx[3], c(bs)), bw)};
          }
          return tensor::ExtractOp::create(b, l, src, coords);
        });
    rewriter.replaceOp(op, v);
    return success();
  }
  bool toSpace;
};

/// OneHot: 1 (values[1]) where the index along `axis` equals the
/// (depth-normalized) index, values[0] elsewhere.
struct OneHotLowering : OpConversionPattern<OneHotOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OneHotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType resultType = convertedResultType(*getTypeConverter(), op);
    if (!resultType || !resultType.hasStaticShape())
      return failure();
    int64_t rank = resultType.getRank();
    auto axis = normalizeAxis(op.getAxis(), rank);
    if (!axis)
      return failure();
    Location loc = op.getLoc();
    Value indices = adaptor.getIndices(), values = adaptor.getValues();
    Value depth = tensor::ExtractOp::create(
        rewriter, loc, adaptor.getDepth(),
        SmallVector<Value>(
            cast<RankedTensorType>(adaptor.getDepth().getType()).getRank(),
            arith::ConstantIndexOp::create(rewriter, loc, 0)));
    Type depthType = depth.getType();
    int64_t a = *axis;
    Value v = buildIndexed(
        rewriter, loc, resultType, {}, {},
        [&](OpBuilder &b, Location l, ValueRange idx, ValueRange) -> Value {
          SmallVector<Value> coords;
          for (int64_t d = 0; d < rank; ++d)
            if (d != a)
              coords.push_back(idx[d]);
          Value raw = tensor::ExtractOp::create(b, l, indices, coords);
          // Work in f64: indices and depth may be any numeric type.
          auto toF64 = [&](Value x) -> Value {
            Type t = x.getType();
            if (isa<FloatType>(t))
              return t.isF64() ? x : (Value)arith::ExtFOp::create(b, l, b.getF64Type(), x);
            return arith::SIToFPOp::create(b, l, b.getF64Type(), x);
          };
          (void)depthType;
          Value i = toF64(raw), n = toF64(depth);
          Value zero = arith::ConstantOp::create(b, l, b.getF64FloatAttr(0));
          Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, i, zero);
          i = arith::SelectOp::create(b, l, neg, arith::AddFOp::create(b, l, i, n), i);
          Value j = arith::SIToFPOp::create(
              b, l, b.getF64Type(),
              arith::IndexCastOp::create(b, l, b.getI64Type(), idx[a]));
          Value hit = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                            math::FloorOp::create(b, l, i), j);
          Value on = tensor::ExtractOp::create(
              b, l, values, ValueRange{arith::ConstantIndexOp::create(b, l, 1)});
          Value off = tensor::ExtractOp::create(
              b, l, values, ValueRange{arith::ConstantIndexOp::create(b, l, 0)});
          return arith::SelectOp::create(b, l, hit, on, off);
        });
    rewriter.replaceOp(op, v);
    return success();
  }
};

/// ReverseSequence: y[.., b, .., t, ..] = x[.., b, .., len - 1 - t, ..]
/// for t < len = sequence_lens[b], else x itself. len is clamped to
/// [0, time steps] so that an invalid length still reads in bounds.
struct ReverseSequenceLowering : OpConversionPattern<ReverseSequenceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReverseSequenceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value x = adaptor.getInput(), lens = adaptor.getSequenceLens();
    auto xType = dyn_cast<RankedTensorType>(x.getType());
    auto lensType = dyn_cast<RankedTensorType>(lens.getType());
    if (!xType || !lensType || xType.getRank() < 2 || lensType.getRank() != 1 ||
        !isa<IntegerType, FloatType, ComplexType>(xType.getElementType()))
      return rewriter.notifyMatchFailure(op, "needs a ranked numeric input");
    auto batchAxis = normalizeAxis(op.getBatchAxis(), xType.getRank());
    auto timeAxis = normalizeAxis(op.getTimeAxis(), xType.getRank());
    if (!batchAxis || !timeAxis || *batchAxis == *timeAxis)
      return rewriter.notifyMatchFailure(op, "bad batch_axis/time_axis");
    Location loc = op.getLoc();
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < xType.getRank(); ++d)
      if (xType.isDynamicDim(d))
        dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, x, d));
    Value steps = tensor::DimOp::create(rewriter, loc, x, *timeAxis);
    int64_t b = *batchAxis, t = *timeAxis;
    Value y = buildIndexed(
        rewriter, loc, xType, {}, {},
        [&](OpBuilder &nb, Location l, ValueRange idx, ValueRange) -> Value {
          Value zero = arith::ConstantIndexOp::create(nb, l, 0);
          Value one = arith::ConstantIndexOp::create(nb, l, 1);
          Value len =
              toIndex(nb, l, tensor::ExtractOp::create(nb, l, lens, idx[b]));
          len = arith::MaxSIOp::create(nb, l, len, zero);
          len = arith::MinSIOp::create(nb, l, len, steps);
          Value reversed = arith::SubIOp::create(
              nb, l, arith::SubIOp::create(nb, l, len, one), idx[t]);
          Value inside = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt,
                                               idx[t], len);
          SmallVector<Value> src(idx.begin(), idx.end());
          src[t] = arith::SelectOp::create(nb, l, inside, reversed, idx[t]);
          return tensor::ExtractOp::create(nb, l, x, src);
        },
        dynamicSizes);
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void populateIndexingLoweringPatterns(OnnxTypeConverter &converter,
                                      RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<GatherElementsLowering, TriluLowering, RangeLowering,
               TileLowering>(converter, ctx);
  for (StringRef name : {"onnx.Split", "onnx.Split_v2", "onnx.Split_v1"})
    patterns.add<SplitLowering>(converter, ctx, name);
  patterns.add<EyeLikeLowering, OneHotLowering, ReverseSequenceLowering>(
      converter, ctx);
  patterns.add<DepthSpaceLowering>(converter, ctx, "onnx.DepthToSpace", true);
  patterns.add<DepthSpaceLowering>(converter, ctx, "onnx.DepthToSpace_v1", true);
  patterns.add<DepthSpaceLowering>(converter, ctx, "onnx.SpaceToDepth", false);
  for (StringRef name : {"onnx.Pad", "onnx.Pad_v2"})
    patterns.add<PadLowering>(converter, ctx, name);
}

} // namespace onnxc
