//===- Conv.cpp - Lower Conv, MaxPool and AveragePool ---------------------===//
//
// Sliding-window ops over NC[D]HW tensors, any number of spatial dims.
// Padding (explicit, auto_pad, and the extra end padding ceil_mode needs)
// becomes a tensor.pad; the window itself one linalg.generic whose input
// map reads x[o*stride + k*dilation]. Groups are made explicit by viewing
// channels as (group, channel-in-group), so every map stays affine.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>

using namespace mlir;

namespace onnxc {
namespace {

struct Window {
  SmallVector<int64_t> kernel, strides, dilations, padBegin, padEnd;
};

SmallVector<int64_t> intsAttr(Operation *op, StringRef name, size_t n,
                              int64_t deflt) {
  SmallVector<int64_t> out;
  if (auto a = op->getAttrOfType<ArrayAttr>(name))
    for (Attribute v : a)
      out.push_back(cast<IntegerAttr>(v).getInt());
  if (out.empty())
    out.assign(n, deflt);
  return out;
}

/// Reads kernel/strides/dilations/pads/auto_pad. With `outSpatial`, pads
/// the end further where the result (from shape inference, ceil_mode
/// included) needs more input than the explicit padding gives.
FailureOr<Window> readWindow(Operation *op, ArrayRef<int64_t> inSpatial,
                             ArrayRef<int64_t> kernel,
                             std::optional<ArrayRef<int64_t>> outSpatial) {
  size_t n = inSpatial.size();
  Window w;
  w.kernel.assign(kernel.begin(), kernel.end());
  w.strides = intsAttr(op, "strides", n, 1);
  w.dilations = intsAttr(op, "dilations", n, 1);
  SmallVector<int64_t> pads = intsAttr(op, "pads", 2 * n, 0);
  if (w.strides.size() != n || w.dilations.size() != n || pads.size() != 2 * n)
    return failure();
  StringRef autoPad = "NOTSET";
  if (auto a = op->getAttrOfType<StringAttr>("auto_pad"))
    autoPad = a.getValue();
  for (size_t i = 0; i < n; ++i) {
    int64_t span = (kernel[i] - 1) * w.dilations[i] + 1;
    int64_t begin = pads[i], end = pads[n + i];
    if (autoPad == "VALID") {
      begin = end = 0;
    } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = (inSpatial[i] + w.strides[i] - 1) / w.strides[i];
      int64_t total =
          std::max<int64_t>(0, (out - 1) * w.strides[i] + span - inSpatial[i]);
      begin = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    }
    if (outSpatial) {
      int64_t needed = ((*outSpatial)[i] - 1) * w.strides[i] + span;
      int64_t have = inSpatial[i] + begin + end;
      if (needed > have)
        end += needed - have; // ceil_mode: windows running past the end
    }
    w.padBegin.push_back(begin);
    w.padEnd.push_back(end);
  }
  return w;
}

/// Pads the spatial dims (from dim 2) of `x` with `value`.
Value padSpatial(OpBuilder &b, Location loc, Value x, const Window &w,
                 double value) {
  auto type = cast<RankedTensorType>(x.getType());
  bool any = false;
  SmallVector<int64_t> low(2, 0), high(2, 0), shape(type.getShape());
  for (size_t i = 0; i < w.padBegin.size(); ++i) {
    low.push_back(w.padBegin[i]);
    high.push_back(w.padEnd[i]);
    shape[2 + i] += w.padBegin[i] + w.padEnd[i];
    any |= w.padBegin[i] || w.padEnd[i];
  }
  if (!any)
    return x;
  auto padded = RankedTensorType::get(shape, type.getElementType());
  Value pad = scalarConstant(b, loc, type.getElementType(), value);
  return tensor::PadOp::create(b, loc, padded, x,
                               getAsIndexOpFoldResult(b.getContext(), low),
                               getAsIndexOpFoldResult(b.getContext(), high),
                               pad);
}

/// Y[n, g, m, o...] += X[n, g, c, o*s + k*d] * W[g, m, c, k...]
struct ConvLowering : OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto xType = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    auto wType = dyn_cast<RankedTensorType>(adaptor.getW().getType());
    RankedTensorType yType = convertedResultType(*getTypeConverter(), op);
    if (!xType || !wType || !yType || !xType.hasStaticShape() ||
        !wType.hasStaticShape() || !yType.hasStaticShape() ||
        !isa<FloatType>(xType.getElementType()) || xType.getRank() < 3)
      return rewriter.notifyMatchFailure(op, "needs static float NC... input");
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
    auto w = readWindow(op, xType.getShape().drop_front(2), kernel,
                        yType.getShape().drop_front(2));
    if (failed(w))
      return failure();
    Type elem = xType.getElementType();

    Value x = padSpatial(rewriter, loc, adaptor.getX(), *w, 0.0);
    auto xpType = cast<RankedTensorType>(x.getType());
    // Views with the group dim made explicit.
    auto expand = [&](Value v, RankedTensorType t, int64_t at, int64_t g,
                      int64_t per) {
      SmallVector<int64_t> shape(t.getShape());
      shape[at] = per;
      shape.insert(shape.begin() + at, g);
      auto type = RankedTensorType::get(shape, elem);
      SmallVector<ReassociationIndices> reassoc;
      for (int64_t i = 0, j = 0; i < t.getRank(); ++i) {
        if (i == at) {
          reassoc.push_back({j, j + 1});
          j += 2;
        } else {
          reassoc.push_back({j++});
        }
      }
      return tensor::ExpandShapeOp::create(rewriter, loc, type, v, reassoc)
          .getResult();
    };
    Value xg = expand(x, xpType, 1, groups, cg);   // N G Cg H...
    Value wg = expand(adaptor.getW(), wType, 0, groups, mg); // G Mg Cg K...
    SmallVector<int64_t> ygShape{n, groups, mg};
    ygShape.append(yType.getShape().begin() + 2, yType.getShape().end());
    auto ygType = RankedTensorType::get(ygShape, elem);

    // Loops: n g m o_1..o_ns | c k_1..k_ns
    int64_t numLoops = 3 + ns + 1 + ns;
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> xExprs{d(0), d(1), d(3 + ns)};
    SmallVector<AffineExpr> wExprs{d(1), d(2), d(3 + ns)};
    SmallVector<AffineExpr> yExprs{d(0), d(1), d(2)};
    for (int64_t i = 0; i < ns; ++i) {
      xExprs.push_back(d(3 + i) * w->strides[i] +
                       d(4 + ns + i) * w->dilations[i]);
      wExprs.push_back(d(4 + ns + i));
      yExprs.push_back(d(3 + i));
    }
    SmallVector<utils::IteratorType> iterators(3 + ns,
                                               utils::IteratorType::parallel);
    iterators.append(1 + ns, utils::IteratorType::reduction);

    // Start from the bias (broadcast over everything but the channel).
    Value init;
    if (!isNoValue(adaptor.getB())) {
      Value bg = expand(adaptor.getB(),
                        cast<RankedTensorType>(adaptor.getB().getType()), 0,
                        groups, mg); // G Mg
      Value empty = tensor::EmptyOp::create(rewriter, loc, ygShape, elem);
      init = linalg::GenericOp::create(
                 rewriter, loc, ygType, bg, empty,
                 ArrayRef<AffineMap>{
                     AffineMap::get(3 + ns, 0, {d(1), d(2)}, ctx),
                     rewriter.getMultiDimIdentityMap(3 + ns)},
                 SmallVector<utils::IteratorType>(
                     3 + ns, utils::IteratorType::parallel),
                 [](OpBuilder &b, Location l, ValueRange a) {
                   linalg::YieldOp::create(b, l, a[0]);
                 })
                 .getResult(0);
    } else {
      init = createFilled(rewriter, loc, ygType, 0.0);
    }
    Value yg = linalg::GenericOp::create(
                   rewriter, loc, ygType, ValueRange{xg, wg}, init,
                   ArrayRef<AffineMap>{AffineMap::get(numLoops, 0, xExprs, ctx),
                                       AffineMap::get(numLoops, 0, wExprs, ctx),
                                       AffineMap::get(numLoops, 0, yExprs, ctx)},
                   iterators,
                   [](OpBuilder &b, Location l, ValueRange a) {
                     Value prod = arith::MulFOp::create(b, l, a[0], a[1]);
                     Value sum = arith::AddFOp::create(b, l, a[2], prod);
                     linalg::YieldOp::create(b, l, sum);
                   })
                   .getResult(0);
    SmallVector<ReassociationIndices> collapse{{0}, {1, 2}};
    for (int64_t i = 0; i < ns; ++i)
      collapse.push_back({3 + i});
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, yType, yg,
                                                         collapse);
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
    auto xType = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    auto wType = dyn_cast<RankedTensorType>(adaptor.getW().getType());
    RankedTensorType yType = convertedResultType(*getTypeConverter(), op);
    if (!xType || !wType || !yType || !xType.hasStaticShape() ||
        !wType.hasStaticShape() || !yType.hasStaticShape() ||
        !isa<FloatType>(xType.getElementType()) || xType.getRank() < 3)
      return rewriter.notifyMatchFailure(op, "needs static float input");
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
    SmallVector<int64_t> wgShape{groups, cg, mg};
    wgShape.append(wType.getShape().begin() + 2, wType.getShape().end());
    SmallVector<ReassociationIndices> wReassoc{{0, 1}, {2}};
    for (int64_t i = 0; i < ns; ++i)
      wReassoc.push_back({3 + i});
    Value wg = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get(wgShape, elem), adaptor.getW(),
        wReassoc);
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
    SmallVector<ReassociationIndices> collapse{{0}, {1, 2}};
    for (int64_t i = 0; i < ns; ++i)
      collapse.push_back({3 + i});
    Value y = tensor::CollapseShapeOp::create(rewriter, loc, yType, yg, collapse);
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

/// MaxPool and AveragePool: a window reduction per channel.
struct PoolLowering : ConversionPattern {
  PoolLowering(const TypeConverter &converter, MLIRContext *context,
               StringRef name, bool isMax)
      : ConversionPattern(converter, name, 1, context), isMax(isMax) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (op->getNumResults() > 1 && !op->getResult(1).use_empty())
      return rewriter.notifyMatchFailure(op, "Indices output is used");
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    RankedTensorType yType = convertedResultType(*getTypeConverter(), op);
    if (!xType || !yType || !xType.hasStaticShape() || !yType.hasStaticShape() ||
        !isa<FloatType>(xType.getElementType()) || xType.getRank() < 3)
      return rewriter.notifyMatchFailure(op, "needs static float input");
    MLIRContext *ctx = getContext();
    Location loc = op->getLoc();
    int64_t rank = xType.getRank(), ns = rank - 2;
    SmallVector<int64_t> kernel = intsAttr(op, "kernel_shape", 0, 0);
    if (int64_t(kernel.size()) != ns)
      return failure();
    auto w = readWindow(op, xType.getShape().drop_front(2), kernel,
                        yType.getShape().drop_front(2));
    if (failed(w))
      return failure();
    Type elem = xType.getElementType();
    bool max = isMax;

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
                   Value v = takeMax
                                 ? (Value)arith::MaximumFOp::create(b, l, a[0], a[2])
                                 : (Value)arith::AddFOp::create(b, l, a[0], a[2]);
                   linalg::YieldOp::create(b, l, v);
                 })
          .getResult(0);
    };
    if (max) {
      Value x = padSpatial(rewriter, loc, operands[0], *w, -INFINITY);
      rewriter.replaceOp(op, {pool(x, -INFINITY, true), Value()});
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
    Window countWindow = *w;
    if (includePad) {
      // Explicit padding counts (pad the ones with ones); the end padding
      // ceil_mode adds does not (pad that with zeros).
      auto explicitPads =
          readWindow(op, xType.getShape().drop_front(2), kernel, std::nullopt);
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
  bool isMax;
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
}

} // namespace onnxc
