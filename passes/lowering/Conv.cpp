//===- Conv.cpp - Lower Conv, pooling and unpooling -----------------------===//
//
// Sliding-window ops over NC[D]HW tensors, any number of spatial dims.
// Padding (explicit, auto_pad, and the extra end padding ceil_mode needs)
// becomes a tensor.pad; the window itself one linalg.generic whose input
// map reads x[o*stride + k*dilation]. Groups are made explicit by viewing
// channels as (group, channel-in-group), so every map stays affine.
// MaxUnpool, the inverse of MaxPool with indices, is a sequential scatter.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/ConvWindow.h"
#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>

using namespace mlir;

namespace onnxc {
namespace {

/// Static float NC[D]HW X and W and a static result, as Conv and
/// ConvTranspose need.
bool isStaticFloatConv(Value x, Value w, RankedTensorType y) {
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  auto wType = dyn_cast<RankedTensorType>(w.getType());
  return xType && wType && y && xType.hasStaticShape() &&
         wType.hasStaticShape() && y.hasStaticShape() &&
         isa<FloatType>(xType.getElementType()) && xType.getRank() >= 3;
}

/// Y[n, g, m, o...] += X[n, g, c, o*s + k*d] * W[g, m, c, k...]
struct ConvLowering : OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType yType = convertedResultType(*getTypeConverter(), op);
    if (!isStaticFloatConv(adaptor.getX(), adaptor.getW(), yType))
      return rewriter.notifyMatchFailure(op, "needs static float NC... input");
    auto xType = cast<RankedTensorType>(adaptor.getX().getType());
    auto wType = cast<RankedTensorType>(adaptor.getW().getType());
    MLIRContext *ctx = getContext();
    Location loc = op.getLoc();
    int64_t rank = xType.getRank(), ns = rank - 2;
    int64_t groups = op.getGroup();
    int64_t n = xType.getDimSize(0), c = xType.getDimSize(1);
    int64_t m = wType.getDimSize(0);
    if (groups <= 0 || c % groups || m % groups ||
        wType.getDimSize(1) != c / groups)
      return rewriter.notifyMatchFailure(op, "inconsistent groups");
    int64_t cg = c / groups, mg = m / groups;
    auto kernel = wType.getShape().drop_front(2);
    auto w = readConvWindow(op, xType.getShape().drop_front(2), kernel,
                        yType.getShape().drop_front(2));
    if (failed(w))
      return failure();
    Type elem = xType.getElementType();

    Value x = padSpatial(rewriter, loc, adaptor.getX(), *w, 0.0);
    // Views with the group dim made explicit.
    Value xg = expandGroupDim(rewriter, loc, x, 1, groups, cg); // N G Cg H...
    Value wg = expandGroupDim(rewriter, loc, adaptor.getW(), 0, groups,
                              mg); // G Mg Cg K...
    SmallVector<int64_t> ygShape{n, groups, mg};
    ygShape.append(yType.getShape().begin() + 2, yType.getShape().end());
    auto ygType = RankedTensorType::get(ygShape, elem);

    // Start from the bias (broadcast over everything but the channel).
    Value init;
    if (!isNoValue(adaptor.getB())) {
      Value bg =
          expandGroupDim(rewriter, loc, adaptor.getB(), 0, groups, mg); // G Mg
      Value empty = tensor::EmptyOp::create(rewriter, loc, ygShape, elem);
      auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
      init = buildMappedCopy(rewriter, loc, bg,
                             AffineMap::get(3 + ns, 0, {d(1), d(2)}, ctx),
                             empty);
    } else {
      init = createFilled(rewriter, loc, ygType, 0.0);
    }
    Value yg = buildGroupedConv(rewriter, loc, xg, wg, init, *w);
    rewriter.replaceOp(op, collapseGroupDim(rewriter, loc, yg, yType));
    return success();
  }
};

/// ConvTranspose as a gather: each output position sums, over input
/// channels and kernel taps, x[(o + padBegin - k*dilation) / stride] where
/// that divides exactly and lands inside the input.
struct ConvTransposeLowering : OpConversionPattern<ConvTransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvTransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType yType = convertedResultType(*getTypeConverter(), op);
    if (!isStaticFloatConv(adaptor.getX(), adaptor.getW(), yType))
      return rewriter.notifyMatchFailure(op, "needs static float input");
    auto xType = cast<RankedTensorType>(adaptor.getX().getType());
    auto wType = cast<RankedTensorType>(adaptor.getW().getType());
    MLIRContext *ctx = getContext();
    Location loc = op.getLoc();
    int64_t rank = xType.getRank(), ns = rank - 2;
    int64_t groups = op.getGroup();
    int64_t c = xType.getDimSize(1);
    if (groups <= 0 || c % groups || wType.getDimSize(0) != c)
      return rewriter.notifyMatchFailure(op, "inconsistent groups");
    int64_t cg = c / groups, mg = wType.getDimSize(1);
    if (yType.getDimSize(1) != mg * groups)
      return failure();
    SmallVector<int64_t> strides = intsAttr(op, "strides", ns, 1);
    SmallVector<int64_t> dilations = intsAttr(op, "dilations", ns, 1);
    SmallVector<int64_t> outPad = intsAttr(op, "output_padding", ns, 0);
    bool explicitPads = op->getAttr("pads") && !op->getAttr("output_shape");
    SmallVector<int64_t> pads = intsAttr(op, "pads", 2 * ns, 0);
    StringRef autoPad = op.getAutoPad();
    SmallVector<int64_t> padBegin;
    for (int64_t i = 0; i < ns; ++i) {
      int64_t span = (wType.getDimSize(2 + i) - 1) * dilations[i] + 1;
      int64_t total = strides[i] * (xType.getDimSize(2 + i) - 1) + outPad[i] +
                      span - yType.getDimSize(2 + i);
      if (explicitPads && autoPad == "NOTSET")
        padBegin.push_back(pads[i]);
      else if (op->getAttr("output_shape")) {
        // As ONNX Runtime: with output_shape, odd padding goes to the tail
        // (to the head for SAME_UPPER).
        total = std::max<int64_t>(0, total);
        padBegin.push_back(autoPad == "SAME_UPPER" ? total - total / 2
                                                   : total / 2);
      } else if (autoPad == "SAME_UPPER")
        padBegin.push_back(total / 2);
      else
        padBegin.push_back(total - total / 2);
    }
    Type elem = xType.getElementType();
    // W viewed as [G, Cg, Mg, K...]; Y computed as [N, G, Mg, O...].
    Value wg = expandGroupDim(rewriter, loc, adaptor.getW(), 0, groups, cg);
    SmallVector<int64_t> ygShape{yType.getDimSize(0), groups, mg};
    ygShape.append(yType.getShape().begin() + 2, yType.getShape().end());
    auto ygType = RankedTensorType::get(ygShape, elem);
    Value init = createFilled(rewriter, loc, ygType, 0.0);
    // Loops: n g m o... | c k...
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    int64_t numLoops = 3 + ns + 1 + ns;
    SmallVector<AffineExpr> wExprs{d(1), d(3 + ns), d(2)}, yExprs{d(0), d(1), d(2)};
    for (int64_t i = 0; i < ns; ++i) {
      wExprs.push_back(d(4 + ns + i));
      yExprs.push_back(d(3 + i));
    }
    SmallVector<utils::IteratorType> iterators(3 + ns,
                                               utils::IteratorType::parallel);
    iterators.append(1 + ns, utils::IteratorType::reduction);
    Value x = adaptor.getX();
    Value yg =
        linalg::GenericOp::create(
            rewriter, loc, ygType, wg, init,
            ArrayRef<AffineMap>{AffineMap::get(numLoops, 0, wExprs, ctx),
                                AffineMap::get(numLoops, 0, yExprs, ctx)},
            iterators,
            [&](OpBuilder &b, Location l, ValueRange a) {
              auto cidx = [&](int64_t v) {
                return arith::ConstantIndexOp::create(b, l, v);
              };
              Value inside = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
              Value channel = arith::AddIOp::create(
                  b, l,
                  arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, 1),
                                        cidx(cg)),
                  linalg::IndexOp::create(b, l, 3 + ns));
              SmallVector<Value> coords{linalg::IndexOp::create(b, l, 0),
                                        channel};
              for (int64_t i = 0; i < ns; ++i) {
                // t = o + padBegin - k*dilation; valid if t % s == 0 and
                // 0 <= t/s < in.
                Value o = linalg::IndexOp::create(b, l, 3 + i);
                Value k = linalg::IndexOp::create(b, l, 4 + ns + i);
                Value t = arith::SubIOp::create(
                    b, l, arith::AddIOp::create(b, l, o, cidx(padBegin[i])),
                    arith::MulIOp::create(b, l, k, cidx(dilations[i])));
                Value nonNeg = arith::CmpIOp::create(
                    b, l, arith::CmpIPredicate::sge, t, cidx(0));
                Value tc = arith::SelectOp::create(b, l, nonNeg, t, cidx(0));
                Value exact = arith::CmpIOp::create(
                    b, l, arith::CmpIPredicate::eq,
                    arith::RemUIOp::create(b, l, tc, cidx(strides[i])), cidx(0));
                Value idx = arith::DivUIOp::create(b, l, tc, cidx(strides[i]));
                Value inRange = arith::CmpIOp::create(
                    b, l, arith::CmpIPredicate::slt, idx,
                    cidx(xType.getDimSize(2 + i)));
                inside = arith::AndIOp::create(
                    b, l, inside,
                    arith::AndIOp::create(
                        b, l, nonNeg, arith::AndIOp::create(b, l, exact, inRange)));
                coords.push_back(arith::SelectOp::create(b, l, inRange, idx, cidx(0)));
              }
              Value xv = tensor::ExtractOp::create(b, l, x, coords);
              Value prod = arith::MulFOp::create(b, l, xv, a[0]);
              Value zero = scalarConstant(b, l, elem, 0.0);
              Value sum = arith::AddFOp::create(
                  b, l, a[1], arith::SelectOp::create(b, l, inside, prod, zero));
              linalg::YieldOp::create(b, l, sum);
            })
            .getResult(0);
    Value y = collapseGroupDim(rewriter, loc, yg, yType);
    if (!isNoValue(adaptor.getB())) {
      // The bias is per output channel (dim 1), not right-aligned.
      Value empty = tensor::EmptyOp::create(rewriter, loc, yType.getShape(), elem);
      y = linalg::GenericOp::create(
              rewriter, loc, yType, ValueRange{y, adaptor.getB()}, empty,
              ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(rank),
                                  AffineMap::get(rank, 0, d(1), ctx),
                                  rewriter.getMultiDimIdentityMap(rank)},
              SmallVector<utils::IteratorType>(rank,
                                               utils::IteratorType::parallel),
              [](OpBuilder &b, Location l, ValueRange v) {
                Value sum = arith::AddFOp::create(b, l, v[0], v[1]);
                linalg::YieldOp::create(b, l, sum);
              })
              .getResult(0);
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// The smallest value of a max-pool element type: the padding value and the
/// initial accumulator, so neither can win over a real element.
double lowestOf(Type elem, bool isUnsigned) {
  if (isa<FloatType>(elem))
    return -INFINITY;
  if (isUnsigned)
    return 0.0;
  return -std::ldexp(1.0, elem.getIntOrFloatBitWidth() - 1);
}

/// max(a, b) for a float, signed or unsigned element type. A float max
/// propagates NaN but may return either zero of max(-0, +0) (`nsz`): ONNX
/// gives the two no order, and honouring one costs LLVM's x86 lowering a
/// sign test and two blends per element on the window's dependency chain
/// (MaxPool ran at a third of the speed).
Value buildMax(OpBuilder &b, Location l, Value a, Value c, bool isUnsigned) {
  if (isa<FloatType>(a.getType()))
    return arith::MaximumFOp::create(b, l, a, c,
                                     arith::FastMathFlags::nsz);
  if (isUnsigned)
    return arith::MaxUIOp::create(b, l, a, c);
  return arith::MaxSIOp::create(b, l, a, c);
}

/// MaxPool and AveragePool: a window reduction per channel.
struct PoolLowering : ConversionPattern {
  PoolLowering(const TypeConverter &converter, MLIRContext *context,
               StringRef name, bool isMax)
      : ConversionPattern(converter, name, 1, context), isMax(isMax) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    RankedTensorType yType = convertedResultType(*getTypeConverter(), op);
    if (!xType || !yType || !xType.hasStaticShape() ||
        !yType.hasStaticShape() || xType.getRank() < 3)
      return rewriter.notifyMatchFailure(op, "needs a static NC... input");
    Type elem = xType.getElementType();
    bool isFloat = isa<FloatType>(elem);
    if (!isFloat && !(isMax && isa<IntegerType>(elem)))
      return rewriter.notifyMatchFailure(op, "unsupported element type");
    bool isUnsigned = isUnsignedInt(originalElementType(op->getOperand(0)));
    MLIRContext *ctx = getContext();
    Location loc = op->getLoc();
    int64_t rank = xType.getRank(), ns = rank - 2;
    SmallVector<int64_t> kernel = intsAttr(op, "kernel_shape", 0, 0);
    if (int64_t(kernel.size()) != ns)
      return failure();
    auto w = readConvWindow(op, xType.getShape().drop_front(2), kernel,
                        yType.getShape().drop_front(2));
    if (failed(w))
      return failure();
    bool wantIndices = isMax && op->getNumResults() > 1 &&
                       !isa<NoneType>(op->getResult(1).getType()) &&
                       !op->getResult(1).use_empty();

    // Loops: n c o_1..o_ns | k_1..k_ns; the kernel is a shape-only operand.
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> xExprs{d(0), d(1)}, kExprs, yExprs{d(0), d(1)};
    for (int64_t i = 0; i < ns; ++i) {
      xExprs.push_back(d(2 + i) * w->strides[i] +
                       d(2 + ns + i) * w->dilations[i]);
      kExprs.push_back(d(2 + ns + i));
      yExprs.push_back(d(2 + i));
    }
    int64_t numLoops = 2 + 2 * ns;
    SmallVector<utils::IteratorType> iterators(2 + ns,
                                               utils::IteratorType::parallel);
    iterators.append(ns, utils::IteratorType::reduction);
    Value window = tensor::EmptyOp::create(rewriter, loc, kernel, elem);
    auto pool = [&](Value input, double init, bool takeMax) {
      Value acc = createFilled(rewriter, loc, yType, init);
      return linalg::GenericOp::create(
                 rewriter, loc, yType, ValueRange{input, window}, acc,
                 ArrayRef<AffineMap>{AffineMap::get(numLoops, 0, xExprs, ctx),
                                     AffineMap::get(numLoops, 0, kExprs, ctx),
                                     AffineMap::get(numLoops, 0, yExprs, ctx)},
                 iterators,
                 [&](OpBuilder &b, Location l, ValueRange a) {
                   Value v =
                       takeMax ? buildMax(b, l, a[0], a[2], isUnsigned)
                               : (Value)arith::AddFOp::create(b, l, a[0], a[2]);
                   linalg::YieldOp::create(b, l, v);
                 })
          .getResult(0);
    };
    if (isMax) {
      double lowest = lowestOf(elem, isUnsigned);
      Value x = padSpatial(rewriter, loc, operands[0], *w, lowest);
      SmallVector<Value> results{wantIndices ? Value() : pool(x, lowest, true)};
      if (wantIndices) {
        RankedTensorType iType =
            convertedResultType(*getTypeConverter(), op, 1);
        if (!iType || !iType.getElementType().isInteger(64))
          return rewriter.notifyMatchFailure(op, "Indices type");
        int64_t storageOrder = intAttrOr(op, "storage_order", 0);
        if (storageOrder != 0 && storageOrder != 1)
          return rewriter.notifyMatchFailure(op, "storage_order");
        auto both =
            maxWithIndices(rewriter, loc, x, window, xType, yType, iType, *w,
                           lowest, isUnsigned, storageOrder == 1,
                           {AffineMap::get(numLoops, 0, xExprs, ctx),
                            AffineMap::get(numLoops, 0, kExprs, ctx),
                            AffineMap::get(numLoops, 0, yExprs, ctx),
                            AffineMap::get(numLoops, 0, yExprs, ctx)},
                           iterators);
        results = {both.first, both.second};
      }
      for (unsigned i = results.size(); i < op->getNumResults(); ++i)
        results.push_back(Value());
      rewriter.replaceOp(op, results);
      return success();
    }
    // Average: sum over the padded input divided by the number of
    // elements that count (all explicit padding when count_include_pad,
    // never the extra end padding ceil_mode adds).
    bool includePad = false;
    if (auto a = op->getAttrOfType<IntegerAttr>("count_include_pad"))
      includePad = a.getInt() != 0;
    Value x = padSpatial(rewriter, loc, operands[0], *w, 0.0);
    Value sum = pool(x, 0.0, false);
    Value ones = createFilled(rewriter, loc, xType, 1.0);
    ConvWindow countWindow = *w;
    if (includePad) {
      // Explicit padding counts (pad the ones with ones); the end padding
      // ceil_mode adds does not (pad that with zeros).
      auto explicitPads =
          readConvWindow(op, xType.getShape().drop_front(2), kernel, std::nullopt);
      if (failed(explicitPads))
        return failure();
      ones = padSpatial(rewriter, loc, ones, *explicitPads, 1.0);
      for (int64_t i = 0; i < ns; ++i) {
        countWindow.padBegin[i] = 0;
        countWindow.padEnd[i] = w->padEnd[i] - explicitPads->padEnd[i];
      }
    }
    Value count = pool(padSpatial(rewriter, loc, ones, countWindow, 0.0), 0.0,
                       false);
    Value avg = buildBroadcastElementwise(
        rewriter, loc, yType, {sum, count},
        [](OpBuilder &b, Location l, ValueRange a) -> Value {
          return arith::DivFOp::create(b, l, a[0], a[1]);
        });
    rewriter.replaceOp(op, avg);
    return success();
  }

  /// MaxPool's two results from one window reduction: the max and the
  /// flat index of the element that gave it, into the whole (unpadded)
  /// input: ((n*C + c) * prod(spatial)) + the spatial offset, row-major or,
  /// with `columnMajor`, with the spatial dims in reverse significance (as
  /// the ONNX reference computes storage_order=1). Padding never wins: only
  /// taps inside the input count. Among equal maxima the lowest row-major
  /// index wins, which is the first one met in the reference's row-major
  /// window scan, whatever order the reduction runs in; so the reduction
  /// tracks row-major indices and a column-major result is derived after.
  static std::pair<Value, Value>
  maxWithIndices(OpBuilder &rewriter, Location loc, Value paddedX, Value window,
                 RankedTensorType xType, RankedTensorType yType,
                 RankedTensorType iType, const ConvWindow &w, double lowest,
                 bool isUnsigned, bool columnMajor, ArrayRef<AffineMap> maps,
                 ArrayRef<utils::IteratorType> iterators) {
    int64_t ns = xType.getRank() - 2;
    Type elem = xType.getElementType();
    Value accV = createFilled(rewriter, loc, yType, lowest);
    Value accI = createFilled(rewriter, loc, iType, -1.0);
    SmallVector<int64_t> rowStride(ns, 1), colStride(ns, 1);
    int64_t spatialSize = 1;
    for (int64_t i = 0; i < ns; ++i)
      spatialSize *= xType.getDimSize(2 + i);
    for (int64_t i = 1; i < ns; ++i)
      colStride[i] = colStride[i - 1] * xType.getDimSize(1 + i);
    for (int64_t i = ns - 2; i >= 0; --i)
      rowStride[i] = rowStride[i + 1] * xType.getDimSize(3 + i);
    int64_t channels = xType.getDimSize(1);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{yType, iType}, ValueRange{paddedX, window},
        ValueRange{accV, accI}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange a) {
          auto c64 = [&](int64_t v) {
            return arith::ConstantIntOp::create(b, l, v, 64).getResult();
          };
          auto i64 = [&](Value index) {
            return arith::IndexCastOp::create(b, l, b.getI64Type(), index)
                .getResult();
          };
          auto idx = [&](int64_t dim) {
            return i64(linalg::IndexOp::create(b, l, dim));
          };
          // Flat index, and whether the tap lies inside the input.
          Value valid = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
          Value flat = arith::MulIOp::create(
              b, l,
              arith::AddIOp::create(
                  b, l, arith::MulIOp::create(b, l, idx(0), c64(channels)),
                  idx(1)),
              c64(spatialSize));
          for (int64_t i = 0; i < ns; ++i) {
            // h = o*stride + k*dilation - padBegin
            Value h = arith::SubIOp::create(
                b, l,
                arith::AddIOp::create(
                    b, l,
                    arith::MulIOp::create(b, l, idx(2 + i), c64(w.strides[i])),
                    arith::MulIOp::create(b, l, idx(2 + ns + i),
                                          c64(w.dilations[i]))),
                c64(w.padBegin[i]));
            Value inside = arith::AndIOp::create(
                b, l,
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, h,
                                      c64(0)),
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, h,
                                      c64(xType.getDimSize(2 + i))));
            valid = arith::AndIOp::create(b, l, valid, inside);
            flat = arith::AddIOp::create(
                b, l, flat, arith::MulIOp::create(b, l, h, c64(rowStride[i])));
          }
          Value v = a[0], best = a[2], bestIdx = a[3];
          Value greater, equal;
          if (isa<FloatType>(elem)) {
            greater =
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v, best);
            equal =
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, v, best);
          } else {
            greater =
                arith::CmpIOp::create(b, l,
                                      isUnsigned ? arith::CmpIPredicate::ugt
                                                 : arith::CmpIPredicate::sgt,
                                      v, best);
            equal =
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, v, best);
          }
          Value none = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                             bestIdx, c64(0));
          Value earlier = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                                flat, bestIdx);
          Value better = arith::OrIOp::create(
              b, l, arith::OrIOp::create(b, l, none, greater),
              arith::AndIOp::create(b, l, equal, earlier));
          Value take = arith::AndIOp::create(b, l, valid, better);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, take, v, best),
                         arith::SelectOp::create(b, l, take, flat, bestIdx)});
        });
    Value indices = generic.getResult(1);
    if (columnMajor) {
      // Re-linearize the spatial offset of each row-major index.
      indices = buildBroadcastElementwise(
          rewriter, loc, iType, indices,
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            auto c64 = [&](int64_t v) {
              return arith::ConstantIntOp::create(b, l, v, 64).getResult();
            };
            Value spatial =
                arith::RemSIOp::create(b, l, a[0], c64(spatialSize));
            Value out = arith::SubIOp::create(b, l, a[0], spatial);
            for (int64_t i = 0; i < ns; ++i) {
              Value h = arith::RemSIOp::create(
                  b, l,
                  arith::DivSIOp::create(b, l, spatial, c64(rowStride[i])),
                  c64(xType.getDimSize(2 + i)));
              out = arith::AddIOp::create(
                  b, l, out, arith::MulIOp::create(b, l, h, c64(colStride[i])));
            }
            return out;
          });
    }
    return {generic.getResult(0), indices};
  }
  bool isMax;
};

/// MaxUnpool: a zero-filled tensor of the shape unpooling infers from
/// kernel/strides/pads, with X[i] written at the flat position I[i] (I
/// counts over that whole tensor, N and C included, as MaxPool's Indices
/// do). A larger output_shape pads that tensor with zeros at the end of each
/// dim, so an element keeps its coordinates (what the ONNX test data
/// expects). Writes run in order so a repeated index keeps the last value;
/// an index outside the tensor is dropped.
struct MaxUnpoolLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    auto iType = dyn_cast<RankedTensorType>(operands[1].getType());
    RankedTensorType yType = convertedResultType(*getTypeConverter(), op);
    if (!xType || !iType || !yType || !xType.hasStaticShape() ||
        !iType.hasStaticShape() || !yType.hasStaticShape() ||
        xType.getShape() != iType.getShape())
      return rewriter.notifyMatchFailure(op, "needs static X, I and output");
    MLIRContext *ctx = getContext();
    if (operands.size() > 2 && !isNoValue(operands[2]))
      if (auto shape = constantIntValues(operands[2]))
        if (ArrayRef<int64_t>(*shape) != yType.getShape())
          return rewriter.notifyMatchFailure(op, "output_shape disagrees");
    int64_t rank = xType.getRank(), ns = rank - 2;
    if (ns < 1 || yType.getRank() != rank)
      return rewriter.notifyMatchFailure(op, "needs an NC... input");
    SmallVector<int64_t> kernel = intsAttr(op, "kernel_shape", 0, 0);
    SmallVector<int64_t> strides = intsAttr(op, "strides", ns, 1);
    SmallVector<int64_t> pads = intsAttr(op, "pads", 2 * ns, 0);
    if (int64_t(kernel.size()) != ns || int64_t(strides.size()) != ns ||
        int64_t(pads.size()) != 2 * ns)
      return rewriter.notifyMatchFailure(op, "kernel/strides/pads sizes");
    SmallVector<int64_t> inferred{xType.getDimSize(0), xType.getDimSize(1)};
    for (int64_t i = 0; i < ns; ++i)
      inferred.push_back((xType.getDimSize(2 + i) - 1) * strides[i] - pads[i] -
                         pads[ns + i] + kernel[i]);
    for (int64_t d = 0; d < rank; ++d)
      if (inferred[d] <= 0 || yType.getDimSize(d) < inferred[d])
        return rewriter.notifyMatchFailure(op, "output smaller than inferred");
    Location loc = op->getLoc();
    Type elem = yType.getElementType();
    auto unpooledType = RankedTensorType::get(inferred, elem);
    int64_t count = xType.getNumElements();
    int64_t outCount = unpooledType.getNumElements();
    auto flatten = [&](Value v, RankedTensorType t) -> Value {
      ReassociationIndices all;
      for (int64_t d = 0; d < t.getRank(); ++d)
        all.push_back(d);
      if (t.getRank() == 1)
        return v;
      return tensor::CollapseShapeOp::create(
          rewriter, loc,
          RankedTensorType::get({t.getNumElements()}, t.getElementType()), v,
          ArrayRef<ReassociationIndices>{all});
    };
    Value xs = flatten(operands[0], xType);
    Value is = flatten(operands[1], iType);
    auto flatY = RankedTensorType::get({outCount}, elem);
    Value init = createFilled(rewriter, loc, flatY, 0.0);
    auto cidx = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
    };
    auto loop = scf::ForOp::create(
        rewriter, loc, cidx(0), cidx(count), cidx(1), ValueRange{init},
        [&](OpBuilder &b, Location l, Value i, ValueRange acc) {
          Value v = tensor::ExtractOp::create(b, l, xs, i);
          Value target = arith::IndexCastOp::create(
              b, l, b.getIndexType(), tensor::ExtractOp::create(b, l, is, i));
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value inRange = arith::AndIOp::create(
              b, l,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, target,
                                    zero),
              arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::slt, target,
                  arith::ConstantIndexOp::create(b, l, outCount)));
          // Out of range: rewrite element 0 with its own value (a no-op).
          Value at = arith::SelectOp::create(b, l, inRange, target, zero);
          Value keep = tensor::ExtractOp::create(b, l, acc[0], zero);
          Value value = arith::SelectOp::create(b, l, inRange, v, keep);
          Value next = tensor::InsertOp::create(b, l, value, acc[0], at);
          scf::YieldOp::create(b, l, next);
        });
    ReassociationIndices all;
    for (int64_t d = 0; d < rank; ++d)
      all.push_back(d);
    Value y = tensor::ExpandShapeOp::create(
        rewriter, loc, unpooledType, loop.getResult(0),
        ArrayRef<ReassociationIndices>{all});
    if (unpooledType != yType) {
      SmallVector<int64_t> low(rank, 0), high;
      for (int64_t d = 0; d < rank; ++d)
        high.push_back(yType.getDimSize(d) - inferred[d]);
      y = tensor::PadOp::create(rewriter, loc, yType, y,
                                getAsIndexOpFoldResult(ctx, low),
                                getAsIndexOpFoldResult(ctx, high),
                                scalarConstant(rewriter, loc, elem, 0.0));
    }
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void populateConvLoweringPatterns(OnnxTypeConverter &converter,
                                  RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<ConvLowering, ConvTransposeLowering>(converter, ctx);
  for (StringRef name : {"onnx.MaxPool", "onnx.MaxPool_v8", "onnx.MaxPool_v1"})
    patterns.add<PoolLowering>(converter, ctx, name, true);
  for (StringRef name : {"onnx.AveragePool", "onnx.AveragePool_v7",
                         "onnx.AveragePool_v1"})
    patterns.add<PoolLowering>(converter, ctx, name, false);
  patterns.add<MaxUnpoolLowering>(converter, ctx, "onnx.MaxUnpool");
}

} // namespace onnxc
