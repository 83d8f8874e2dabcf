//===- GridSample.cpp - GridSample and RoiAlign ------------------------===//
//
// Both read an image at fractional coordinates and interpolate.
//
// GridSample: one linalg.generic over the output (N, C, Hout, Wout); each
// element reads its normalized (x, y) from the grid, maps it to pixel
// coordinates, and reads the input with nearest, bilinear or bicubic
// interpolation. Taps outside the image follow the padding mode (zeros,
// border, reflection). The arithmetic follows the ONNX reference (and
// PyTorch's grid_sample, which it mirrors): coordinates outside the
// image's border are first clamped or reflected, then every tap read is
// padded again. Only 2 spatial dims (4-D input) are lowered.
//
// RoiAlign: one linalg.generic over (num_rois, C, out_h, out_w); each bin
// averages (or maxes) a grid of bilinear samples in scf.for loops whose
// trip counts may depend on the roi size (sampling_ratio 0). Max mode
// follows the ONNX reference: the max over samples of the largest of the
// four weighted corner values, not of the interpolated values.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <array>
#include <limits>

using namespace mlir;

namespace onnxc {
namespace {

/// Float arithmetic in one compute type, to keep the bodies readable.
struct FloatMath {
  OpBuilder &b;
  Location l;
  Type t;

  Value c(double v) {
    return arith::ConstantOp::create(b, l, FloatAttr::get(t, v));
  }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, l, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, l, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, l, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, l, x, y); }
  Value max(Value x, Value y) { return arith::MaximumFOp::create(b, l, x, y); }
  Value min(Value x, Value y) { return arith::MinimumFOp::create(b, l, x, y); }
  Value floor(Value x) { return math::FloorOp::create(b, l, x); }
  Value lt(Value x, Value y) {
    return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, y);
  }
  Value gt(Value x, Value y) {
    return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, y);
  }
  Value ge(Value x, Value y) {
    return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, x, y);
  }
  Value eq(Value x, Value y) {
    return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, x, y);
  }
  Value select(Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, l, cond, x, y);
  }
  Value orI(Value x, Value y) { return arith::OrIOp::create(b, l, x, y); }
  Value andI(Value x, Value y) { return arith::AndIOp::create(b, l, x, y); }
  /// Converts a float or an index/integer value to the compute type.
  Value from(Value v) {
    Type vt = v.getType();
    if (vt == t)
      return v;
    if (vt.isIndex())
      v = arith::IndexCastOp::create(b, l, b.getI64Type(), v);
    if (isa<IntegerType>(v.getType()))
      return arith::SIToFPOp::create(b, l, t, v);
    if (cast<FloatType>(vt).getWidth() < cast<FloatType>(t).getWidth())
      return arith::ExtFOp::create(b, l, t, v);
    return arith::TruncFOp::create(b, l, t, v);
  }
  /// A float holding an integer value, truncated toward zero, as an index.
  Value toIndex(Value v) {
    return arith::IndexCastOp::create(
        b, l, b.getIndexType(),
        arith::FPToSIOp::create(b, l, b.getI64Type(), v));
  }
  /// Converts the compute type back to `to`.
  Value to(Type to, Value v) {
    if (to == t)
      return v;
    if (cast<FloatType>(to).getWidth() < cast<FloatType>(t).getWidth())
      return arith::TruncFOp::create(b, l, to, v);
    return arith::ExtFOp::create(b, l, to, v);
  }
};

/// f64 where an input is f64, else f32 (f16 is computed in f32).
Type computeType(OpBuilder &b, ArrayRef<Type> types) {
  for (Type t : types)
    if (t.isF64())
      return b.getF64Type();
  return b.getF32Type();
}

//===----------------------------------------------------------------------===//
// GridSample
//===----------------------------------------------------------------------===//

enum class Padding { Zeros, Border, Reflection };

/// Per spatial dim: its size (as a float) and the border the coordinate is
/// kept inside: [-0.5, size - 0.5], or [0, size - 1] with align_corners.
struct SpatialDim {
  Value size, sizeMinus1, lo, hi;
};

/// Reflects `x` by the nearer border until it lies in [lo, hi]. A zero
/// range (size 1 with align_corners) gives `lo`.
Value reflect(FloatMath &m, Value x, Value lo, Value hi) {
  Value range = m.sub(hi, lo);
  Value below = m.lt(x, lo), above = m.gt(x, hi);
  Value dx = m.select(below, m.sub(lo, x), m.sub(x, hi));
  Value flips = m.floor(m.div(dx, range));
  Value r = m.sub(dx, m.mul(flips, range));
  Value half = m.mul(flips, m.c(0.5));
  Value even = m.eq(m.floor(half), half);
  Value fromLo = m.add(lo, r), fromHi = m.sub(hi, r);
  Value belowValue = m.select(even, fromLo, fromHi);
  Value aboveValue = m.select(even, fromHi, fromLo);
  Value result = m.select(below, belowValue, m.select(above, aboveValue, x));
  return m.select(m.gt(range, m.c(0)), result, lo);
}

/// The input index of an integral tap coordinate under `padding`, and
/// whether the tap reads the image (false: it reads zero).
std::pair<Value, Value> tapIndex(FloatMath &m, Value tap, const SpatialDim &d,
                                 Padding padding) {
  Value valid = arith::ConstantOp::create(m.b, m.l, m.b.getBoolAttr(true));
  if (padding == Padding::Zeros)
    valid = m.andI(m.ge(tap, m.c(0)),
                   arith::CmpFOp::create(m.b, m.l, arith::CmpFPredicate::OLE,
                                         tap, d.sizeMinus1));
  else if (padding == Padding::Reflection)
    tap = reflect(m, tap, d.lo, d.hi);
  // Truncate like the reference's int(), then keep the read in bounds
  // (for zeros the value read is then discarded).
  Value clamped = m.min(m.max(m.c(0), tap), d.sizeMinus1);
  return {m.toIndex(clamped), valid};
}

/// Keys' cubic convolution weights (alpha = -0.75) of the four taps
/// floor(x) - 1 .. floor(x) + 2 for the fraction t = x - floor(x).
std::array<Value, 4> cubicWeights(FloatMath &m, Value t) {
  Value a = m.c(-0.75);
  auto outer = [&](Value s) { // |s| in [1, 2]
    Value v = m.sub(m.mul(a, s), m.mul(m.c(5), a));
    v = m.add(m.mul(v, s), m.mul(m.c(8), a));
    return m.sub(m.mul(v, s), m.mul(m.c(4), a));
  };
  auto inner = [&](Value s) { // |s| in [0, 1]
    Value v = m.sub(m.mul(m.add(a, m.c(2)), s), m.add(a, m.c(3)));
    return m.add(m.mul(m.mul(v, s), s), m.c(1));
  };
  Value oneMinusT = m.sub(m.c(1), t);
  return {outer(m.add(t, m.c(1))), inner(t), inner(oneMinusT),
          outer(m.sub(m.c(2), t))};
}

struct GridSampleLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType outType = convertedResultType(*getTypeConverter(), op);
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    auto gridType = dyn_cast<RankedTensorType>(operands[1].getType());
    if (!outType || !xType || !gridType)
      return rewriter.notifyMatchFailure(op, "needs ranked tensors");
    if (xType.getRank() != 4 || gridType.getRank() != 4 ||
        outType.getRank() != 4)
      return rewriter.notifyMatchFailure(
          op, "only 2 spatial dims (4-D input and grid) are lowered");
    if (!isa<FloatType>(xType.getElementType()) ||
        !isa<FloatType>(gridType.getElementType()) ||
        xType.getElementType() != outType.getElementType())
      return rewriter.notifyMatchFailure(op, "needs float input and grid");
    if (gridType.getDimSize(3) != 2)
      return rewriter.notifyMatchFailure(op, "grid's last dim must be 2");

    // Opset 20 names the modes linear and cubic.
    StringRef mode = stringAttrOr(op, "mode", "bilinear");
    if (mode == "linear")
      mode = "bilinear";
    else if (mode == "cubic")
      mode = "bicubic";
    if (mode != "bilinear" && mode != "nearest" && mode != "bicubic")
      return rewriter.notifyMatchFailure(op, "unknown mode");
    StringRef paddingName = stringAttrOr(op, "padding_mode", "zeros");
    Padding padding;
    if (paddingName == "zeros")
      padding = Padding::Zeros;
    else if (paddingName == "border")
      padding = Padding::Border;
    else if (paddingName == "reflection")
      padding = Padding::Reflection;
    else
      return rewriter.notifyMatchFailure(op, "unknown padding_mode");
    bool alignCorners = intAttrOr(op, "align_corners", 0) != 0;

    Location loc = op->getLoc();
    Value x = operands[0], grid = operands[1];
    // Output (N, C, Hout, Wout): N and C from X, Hout and Wout from grid.
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < 4; ++d)
      if (outType.isDynamicDim(d))
        dynamicSizes.push_back(
            d < 2 ? tensor::DimOp::create(rewriter, loc, x, d)
                  : tensor::DimOp::create(rewriter, loc, grid, d - 1));
    Value init =
        tensor::EmptyOp::create(rewriter, loc, outType.getShape(),
                                outType.getElementType(), dynamicSizes);
    Value heightIdx = tensor::DimOp::create(rewriter, loc, x, 2);
    Value widthIdx = tensor::DimOp::create(rewriter, loc, x, 3);
    Type ct = computeType(rewriter,
                          {xType.getElementType(), gridType.getElementType()});
    Type outElem = outType.getElementType();

    auto generic = linalg::GenericOp::create(
        rewriter, loc, outType, ValueRange{}, init,
        ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(4)},
        SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) {
          FloatMath m{b, l, ct};
          Value n = linalg::IndexOp::create(b, l, 0);
          Value ch = linalg::IndexOp::create(b, l, 1);
          Value oh = linalg::IndexOp::create(b, l, 2);
          Value ow = linalg::IndexOp::create(b, l, 3);
          // The grid holds (x, y): x runs along W (dim 1 here), y along H.
          std::array<SpatialDim, 2> dims;
          std::array<Value, 2> coord;
          for (int i = 0; i < 2; ++i) {
            SpatialDim &d = dims[i];
            d.size = m.from(i == 0 ? heightIdx : widthIdx);
            d.sizeMinus1 = m.sub(d.size, m.c(1));
            d.lo = alignCorners ? m.c(0) : m.c(-0.5);
            d.hi = alignCorners ? d.sizeMinus1 : m.sub(d.size, m.c(0.5));
            Value component = arith::ConstantIndexOp::create(b, l, 1 - i);
            Value g = m.from(tensor::ExtractOp::create(
                b, l, grid, ValueRange{n, oh, ow, component}));
            // Normalized [-1, 1] to pixels: the corner pixels' centers
            // with align_corners, else the image's outer edges.
            Value c =
                alignCorners
                    ? m.mul(m.mul(m.add(g, m.c(1)), m.c(0.5)), d.sizeMinus1)
                    : m.mul(m.sub(m.mul(m.add(g, m.c(1)), d.size), m.c(1)),
                            m.c(0.5));
            // Nearest rounds half to even (std::nearbyint) before padding.
            if (mode == "nearest")
              c = math::RoundEvenOp::create(b, l, c);
            if (padding != Padding::Zeros) {
              Value outside = m.orI(m.lt(c, d.lo), m.gt(c, d.hi));
              Value moved = padding == Padding::Border
                                ? m.min(m.max(c, m.c(0)), d.sizeMinus1)
                                : reflect(m, c, d.lo, d.hi);
              c = m.select(outside, moved, c);
            }
            coord[i] = c;
          }

          // Reads one tap; zero where the padding says so.
          auto read = [&](Value tapH, Value tapW) {
            auto [h, validH] = tapIndex(m, tapH, dims[0], padding);
            auto [w, validW] = tapIndex(m, tapW, dims[1], padding);
            Value v = m.from(
                tensor::ExtractOp::create(b, l, x, ValueRange{n, ch, h, w}));
            if (padding != Padding::Zeros)
              return v;
            return m.select(m.andI(validH, validW), v, m.c(0));
          };

          Value result;
          if (mode == "nearest") {
            // Truncate like the reference's astype(int32).
            Value h = arith::SIToFPOp::create(
                b, l, ct,
                arith::FPToSIOp::create(b, l, b.getI64Type(), coord[0]));
            Value w = arith::SIToFPOp::create(
                b, l, ct,
                arith::FPToSIOp::create(b, l, b.getI64Type(), coord[1]));
            result = read(h, w);
          } else {
            // Tensor product of 1-D weights over 2 (linear) or 4 (cubic)
            // taps per dim, starting at floor(x) or floor(x) - 1.
            bool cubic = mode == "bicubic";
            std::array<SmallVector<Value>, 2> taps, weights;
            for (int i = 0; i < 2; ++i) {
              Value base = m.floor(coord[i]);
              Value t = m.sub(coord[i], base);
              if (cubic) {
                auto w = cubicWeights(m, t);
                weights[i].assign(w.begin(), w.end());
                for (int k = -1; k <= 2; ++k)
                  taps[i].push_back(m.add(base, m.c(k)));
              } else {
                weights[i] = {m.sub(m.c(1), t), t};
                taps[i] = {base, m.add(base, m.c(1))};
              }
            }
            result = m.c(0);
            for (size_t i = 0; i < taps[0].size(); ++i) {
              Value row = m.c(0);
              for (size_t j = 0; j < taps[1].size(); ++j)
                row = m.add(row,
                            m.mul(weights[1][j], read(taps[0][i], taps[1][j])));
              result = m.add(result, m.mul(weights[0][i], row));
            }
          }
          linalg::YieldOp::create(b, l, m.to(outElem, result));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// RoiAlign
//===----------------------------------------------------------------------===//

struct RoiAlignLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType outType = convertedResultType(*getTypeConverter(), op);
    auto xType = dyn_cast<RankedTensorType>(operands[0].getType());
    auto roisType = dyn_cast<RankedTensorType>(operands[1].getType());
    auto indicesType = dyn_cast<RankedTensorType>(operands[2].getType());
    if (!outType || !xType || !roisType || !indicesType)
      return rewriter.notifyMatchFailure(op, "needs ranked tensors");
    if (xType.getRank() != 4 || roisType.getRank() != 2 ||
        indicesType.getRank() != 1 || outType.getRank() != 4)
      return rewriter.notifyMatchFailure(
          op, "needs 4-D X, 2-D rois, 1-D batch_indices");
    if (!roisType.isDynamicDim(1) && roisType.getDimSize(1) != 4)
      return rewriter.notifyMatchFailure(op, "rois must have 4 columns");
    Type elem = xType.getElementType();
    if (!isa<FloatType>(elem) || !isa<FloatType>(roisType.getElementType()) ||
        outType.getElementType() != elem ||
        !isa<IntegerType>(indicesType.getElementType()))
      return rewriter.notifyMatchFailure(op, "unexpected element types");

    StringRef mode = stringAttrOr(op, "mode", "avg");
    if (mode != "avg" && mode != "max")
      return rewriter.notifyMatchFailure(op, "unknown mode");
    // RoiAlign-10 had no attribute and behaved as output_half_pixel;
    // RoiAlign-16 defaults to half_pixel.
    bool isV10 = op->getName().getStringRef() == "onnx.RoiAlign_v10";
    StringRef transform = stringAttrOr(op, "coordinate_transformation_mode",
                                  isV10 ? "output_half_pixel" : "half_pixel");
    if (transform != "half_pixel" && transform != "output_half_pixel")
      return rewriter.notifyMatchFailure(
          op, "unknown coordinate_transformation_mode");
    bool halfPixel = transform == "half_pixel";
    int64_t outH = intAttrOr(op, "output_height", 1);
    int64_t outW = intAttrOr(op, "output_width", 1);
    int64_t samplingRatio = intAttrOr(op, "sampling_ratio", 0);
    double spatialScale = floatAttrOr(op, "spatial_scale", 1.0);
    if (outH <= 0 || outW <= 0 || samplingRatio < 0)
      return rewriter.notifyMatchFailure(op, "invalid output size or "
                                             "sampling_ratio");
    if ((!outType.isDynamicDim(2) && outType.getDimSize(2) != outH) ||
        (!outType.isDynamicDim(3) && outType.getDimSize(3) != outW))
      return rewriter.notifyMatchFailure(
          op, "result shape disagrees with output_height/width");

    Location loc = op->getLoc();
    Value x = operands[0], rois = operands[1], indices = operands[2];
    // Output (num_rois, C, out_h, out_w).
    SmallVector<Value> dynamicSizes;
    if (outType.isDynamicDim(0))
      dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, rois, 0));
    if (outType.isDynamicDim(1))
      dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, x, 1));
    if (outType.isDynamicDim(2) || outType.isDynamicDim(3))
      return rewriter.notifyMatchFailure(op, "dynamic output_height/width");
    Value init = tensor::EmptyOp::create(rewriter, loc, outType.getShape(),
                                         elem, dynamicSizes);
    Value batchIdx = tensor::DimOp::create(rewriter, loc, x, 0);
    Value heightIdx = tensor::DimOp::create(rewriter, loc, x, 2);
    Value widthIdx = tensor::DimOp::create(rewriter, loc, x, 3);
    Type ct = computeType(rewriter, {elem, roisType.getElementType()});

    auto generic = linalg::GenericOp::create(
        rewriter, loc, outType, ValueRange{}, init,
        ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(4)},
        SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) {
          FloatMath m{b, l, ct};
          Value r = linalg::IndexOp::create(b, l, 0);
          Value ch = linalg::IndexOp::create(b, l, 1);
          Value ph = m.from(linalg::IndexOp::create(b, l, 2));
          Value pw = m.from(linalg::IndexOp::create(b, l, 3));
          auto idx = [&](int64_t v) -> Value {
            return arith::ConstantIndexOp::create(b, l, v);
          };
          // The roi's image; an index out of range is clamped to keep the
          // reads in bounds.
          Value batch = arith::IndexCastOp::create(
              b, l, b.getIndexType(),
              tensor::ExtractOp::create(b, l, indices, ValueRange{r}));
          batch = arith::MaxSIOp::create(b, l, batch, idx(0));
          batch = arith::MinSIOp::create(
              b, l, batch, arith::SubIOp::create(b, l, batchIdx, idx(1)));
          Value height = m.from(heightIdx), width = m.from(widthIdx);

          // The roi in input pixels (no rounding).
          auto roiCoord = [&](int64_t col) {
            Value v = m.from(
                tensor::ExtractOp::create(b, l, rois, ValueRange{r, idx(col)}));
            v = m.mul(v, m.c(spatialScale));
            return halfPixel ? m.sub(v, m.c(0.5)) : v;
          };
          Value startW = roiCoord(0), startH = roiCoord(1);
          Value roiW = m.sub(roiCoord(2), startW);
          Value roiH = m.sub(roiCoord(3), startH);
          if (!halfPixel) { // malformed rois become 1x1
            roiW = m.max(roiW, m.c(1));
            roiH = m.max(roiH, m.c(1));
          }
          Value binH = m.div(roiH, m.c(double(outH)));
          Value binW = m.div(roiW, m.c(double(outW)));
          // Samples per bin and dim: sampling_ratio, or ceil(roi / out)
          // (possibly <= 0 for a malformed roi: no samples).
          auto gridCount = [&](Value roiSize, int64_t out) -> Value {
            if (samplingRatio > 0)
              return arith::ConstantIntOp::create(b, l, samplingRatio, 64);
            return arith::FPToSIOp::create(
                b, l, b.getI64Type(),
                math::CeilOp::create(b, l, m.div(roiSize, m.c(double(out)))));
          };
          Value gridH = gridCount(roiH, outH), gridW = gridCount(roiW, outW);
          Value gridHf = m.from(gridH), gridWf = m.from(gridW);
          auto toIdx = [&](Value i64) -> Value {
            return arith::IndexCastOp::create(b, l, b.getIndexType(), i64);
          };
          // The bin's corner.
          Value baseH = m.add(startH, m.mul(ph, binH));
          Value baseW = m.add(startW, m.mul(pw, binW));
          bool isMax = mode == "max";
          Value init =
              isMax ? m.c(-std::numeric_limits<double>::infinity()) : m.c(0);

          auto rowLoop = scf::ForOp::create(
              b, l, idx(0), toIdx(gridH), idx(1), ValueRange{init},
              [&](OpBuilder &rb, Location rl, Value iy, ValueRange rowAcc) {
                FloatMath rm{rb, rl, ct};
                Value y = rm.add(
                    baseH, rm.div(rm.mul(rm.add(rm.from(iy), rm.c(0.5)), binH),
                                  gridHf));
                auto colLoop = scf::ForOp::create(
                    rb, rl, idx(0), toIdx(gridW), idx(1), rowAcc,
                    [&](OpBuilder &cb, Location cl, Value ix,
                        ValueRange colAcc) {
                      FloatMath cm{cb, cl, ct};
                      Value xx = cm.add(
                          baseW,
                          cm.div(cm.mul(cm.add(cm.from(ix), cm.c(0.5)), binW),
                                 gridWf));
                      // Samples beyond one pixel outside the image count
                      // as zero.
                      Value outside =
                          cm.orI(cm.orI(cm.lt(y, cm.c(-1)), cm.gt(y, height)),
                                 cm.orI(cm.lt(xx, cm.c(-1)), cm.gt(xx, width)));
                      // Low and high neighbours; at the last row/column
                      // both are that row/column, with weight on the low.
                      auto neighbours = [&](Value v, Value size) {
                        v = cm.max(v, cm.c(0));
                        Value lowF = cm.floor(v);
                        Value last = cm.sub(size, cm.c(1));
                        Value atEnd = cm.ge(lowF, last);
                        lowF = cm.select(atEnd, last, lowF);
                        Value highF =
                            cm.select(atEnd, last, cm.add(lowF, cm.c(1)));
                        v = cm.select(atEnd, last, v);
                        Value frac = cm.sub(v, lowF);
                        return std::array<Value, 3>{cm.toIndex(lowF),
                                                    cm.toIndex(highF), frac};
                      };
                      auto [yLow, yHigh, ly] = neighbours(y, height);
                      auto [xLow, xHigh, lx] = neighbours(xx, width);
                      Value hy = cm.sub(cm.c(1), ly);
                      Value hx = cm.sub(cm.c(1), lx);
                      auto corner = [&](Value w, Value h, Value wcol) {
                        Value v = cm.from(tensor::ExtractOp::create(
                            cb, cl, x, ValueRange{batch, ch, h, wcol}));
                        return cm.mul(w, v);
                      };
                      std::array<Value, 4> terms = {
                          corner(cm.mul(hy, hx), yLow, xLow),
                          corner(cm.mul(hy, lx), yLow, xHigh),
                          corner(cm.mul(ly, hx), yHigh, xLow),
                          corner(cm.mul(ly, lx), yHigh, xHigh)};
                      Value acc = colAcc[0], next;
                      if (isMax) {
                        Value v = cm.max(cm.max(terms[0], terms[1]),
                                         cm.max(terms[2], terms[3]));
                        v = cm.select(outside, cm.c(0), v);
                        next = cm.max(acc, v);
                      } else {
                        Value v = cm.add(cm.add(terms[0], terms[1]),
                                         cm.add(terms[2], terms[3]));
                        v = cm.select(outside, cm.c(0), v);
                        next = cm.add(acc, v);
                      }
                      scf::YieldOp::create(cb, cl, next);
                    });
                scf::YieldOp::create(rb, rl, colLoop.getResult(0));
              });
          Value acc = rowLoop.getResult(0);
          Value result;
          if (isMax) {
            // No samples: the reference's output_val stays 0.
            Value zeroI = arith::ConstantIntOp::create(b, l, 0, 64);
            Value any =
                m.andI(arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt,
                                             gridH, zeroI),
                       arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt,
                                             gridW, zeroI));
            result = m.select(any, acc, m.c(0));
          } else {
            Value count = arith::MaxSIOp::create(
                b, l, arith::MulIOp::create(b, l, gridH, gridW),
                arith::ConstantIntOp::create(b, l, 1, 64));
            result = m.div(acc, m.from(count));
          }
          linalg::YieldOp::create(b, l, m.to(elem, result));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void populateGridSampleLoweringPatterns(OnnxTypeConverter &converter,
                                        RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<GridSampleLowering>(converter, ctx, "onnx.GridSample");
  for (StringRef name : {"onnx.RoiAlign", "onnx.RoiAlign_v10"})
    patterns.add<RoiAlignLowering>(converter, ctx, name);
}

} // namespace onnxc
