//===- Resize.cpp - Lower Resize and Upsample -----------------------------===//
//
// Each output element maps back to a coordinate in the input through the
// coordinate transformation mode, then reads the nearest input element or
// interpolates between its neighbours: 2 per dim for linear, 4 for cubic
// (the ONNX cubic convolution with coefficient A), combined as a tensor
// product over the resized dims. Neighbours outside the input read the edge
// element, or, with exclude_outside, get weight 0 and the others are
// renormalized. tf_crop_and_resize maps through the roi and yields the
// extrapolation value where the coordinate leaves the input.
//
// Upsample (opset 7 and 9) and Resize-10 have no transformation attributes:
// they use asymmetric coordinates and, for nearest, truncate the coordinate
// (upsampling) or round it up (downsampling), as ONNX Runtime does.
//
// The output shape must be static; scales are folded when constant and
// read at run time otherwise. Like the ONNX reference, modes that use the
// resized length (align_corners) take it as input length * scale when the
// scales are given (which may be fractional), the output size otherwise.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

namespace onnxc {
namespace {

/// The values of a constant float tensor, or nullopt when `v` is not one.
std::optional<SmallVector<double>> constantFloats(Value v) {
  if (auto cast = v.getDefiningOp<UnrealizedConversionCastOp>())
    v = cast->getOperand(0);
  ElementsAttr attr;
  if (auto c = v.getDefiningOp<ConstantOp>())
    attr = c.getValueAttr();
  else if (auto c = v.getDefiningOp<arith::ConstantOp>())
    attr = dyn_cast<ElementsAttr>(c.getValue());
  auto dense = dyn_cast_or_null<DenseFPElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  SmallVector<double> result;
  for (const APFloat &f : dense.getValues<APFloat>())
    result.push_back(f.convertToDouble());
  return result;
}

/// True when `v` is a present tensor with at least one element.
bool isNonEmptyTensor(Value v) {
  if (isNoValue(v))
    return false;
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && !(type.hasStaticShape() && type.getNumElements() == 0);
}

/// What one Resize-like op asks for, whatever its version.
struct ResizeSpec {
  StringRef mode = "nearest";                 // nearest, linear, cubic
  StringRef transform = "half_pixel";         // coordinate_transformation_mode
  StringRef nearestMode = "round_prefer_floor"; // or "simple" (Resize-10)
  double cubicA = -0.75;
  bool excludeOutside = false;
  double extrapolation = 0.0;
  /// The scales when they are compile-time constants ...
  std::optional<SmallVector<double>> constScales;
  /// ... or a rank-1 float tensor read at run time; with neither, the
  /// scales are output size / input size (the `sizes` form).
  Value runtimeScales;
  /// The roi tensor of tf_crop_and_resize: [starts..., ends...].
  Value roi;
};

/// A constant of `elem` holding the extrapolation value cast like numpy's
/// astype (truncation toward zero for integers, non-zero for bool).
Value extrapolationConstant(OpBuilder &b, Location l, Type elem, double v) {
  if (auto f = dyn_cast<FloatType>(elem))
    return arith::ConstantOp::create(b, l, b.getFloatAttr(f, v));
  unsigned width = elem.getIntOrFloatBitWidth();
  uint64_t bits = width == 1 ? uint64_t(v != 0.0) : uint64_t(int64_t(v));
  return arith::ConstantOp::create(
      b, l,
      b.getIntegerAttr(elem, APInt(width, bits, /*isSigned=*/false,
                                   /*implicitTrunc=*/true)));
}

LogicalResult lowerResize(Operation *op, Value x, RankedTensorType inType,
                          RankedTensorType outType, const ResizeSpec &spec,
                          ConversionPatternRewriter &rewriter) {
  StringRef mode = spec.mode, transform = spec.transform,
            nearestMode = spec.nearestMode;
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return rewriter.notifyMatchFailure(op, "unknown mode");
  if (!llvm::is_contained({"half_pixel", "pytorch_half_pixel", "align_corners",
                           "asymmetric", "tf_half_pixel_for_nn",
                           "tf_crop_and_resize"},
                          transform))
    return rewriter.notifyMatchFailure(op,
                                       "unknown coordinate_transformation_mode");
  if (!llvm::is_contained({"round_prefer_floor", "round_prefer_ceil", "floor",
                           "ceil", "simple"},
                          nearestMode))
    return rewriter.notifyMatchFailure(op, "unknown nearest_mode");
  Type elem = inType.getElementType();
  bool isFloat = isa<FloatType>(elem);
  // Nearest only copies elements, so any int or float type works;
  // interpolation needs floats.
  if (!isFloat && !(mode == "nearest" && isa<IntegerType>(elem)))
    return rewriter.notifyMatchFailure(op, "element type not supported");
  int64_t rank = inType.getRank();
  if (outType.getRank() != rank)
    return rewriter.notifyMatchFailure(op, "output of the wrong rank");
  for (int64_t d = 0; d < rank; ++d)
    if (inType.getDimSize(d) == 0 && outType.getDimSize(d) != 0)
      return rewriter.notifyMatchFailure(op, "resizing an empty dim");
  if (spec.constScales && int64_t(spec.constScales->size()) != rank)
    return rewriter.notifyMatchFailure(op, "scales of the wrong rank");
  if (spec.runtimeScales) {
    auto t = dyn_cast<RankedTensorType>(spec.runtimeScales.getType());
    if (!t || t.getRank() != 1 || t.getDimSize(0) != rank ||
        !isa<FloatType>(t.getElementType()))
      return rewriter.notifyMatchFailure(op, "unusable scales");
  }
  bool crop = transform == "tf_crop_and_resize";
  if (crop) {
    auto t = spec.roi ? dyn_cast<RankedTensorType>(spec.roi.getType())
                      : RankedTensorType();
    if (!t || t.getRank() != 1 || t.getDimSize(0) != 2 * rank ||
        !isa<FloatType>(t.getElementType()))
      return rewriter.notifyMatchFailure(
          op, "tf_crop_and_resize needs a roi of 2 * rank floats");
  }
  bool scalesGiven = spec.constScales || spec.runtimeScales;

  Location loc = op->getLoc();
  Value init = tensor::EmptyOp::create(rewriter, loc, outType.getShape(), elem);
  auto generic = linalg::GenericOp::create(
      rewriter, loc, outType, ValueRange{}, init,
      ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(rank)},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange) {
        Type f64 = b.getF64Type();
        auto f = [&](double v) -> Value {
          return arith::ConstantOp::create(b, l, b.getF64FloatAttr(v));
        };
        auto add = [&](Value a, Value c) -> Value {
          return arith::AddFOp::create(b, l, a, c);
        };
        auto sub = [&](Value a, Value c) -> Value {
          return arith::SubFOp::create(b, l, a, c);
        };
        auto mul = [&](Value a, Value c) -> Value {
          return arith::MulFOp::create(b, l, a, c);
        };
        auto div = [&](Value a, Value c) -> Value {
          return arith::DivFOp::create(b, l, a, c);
        };
        auto cmp = [&](arith::CmpFPredicate p, Value a, Value c) -> Value {
          return arith::CmpFOp::create(b, l, p, a, c);
        };
        auto select = [&](Value c, Value t, Value e) -> Value {
          return arith::SelectOp::create(b, l, c, t, e);
        };
        auto readF64 = [&](Value tensor, int64_t i) -> Value {
          Value v = tensor::ExtractOp::create(
              b, l, tensor, ValueRange{arith::ConstantIndexOp::create(b, l, i)});
          return v.getType() == f64 ? v : arith::ExtFOp::create(b, l, f64, v);
        };

        // Per dim, the taps: input index and weight (null for a single
        // tap of weight 1).
        SmallVector<SmallVector<std::pair<Value, Value>>> taps(rank);
        // True where some dim's crop coordinate left the input.
        Value outside;
        for (int64_t d = 0; d < rank; ++d) {
          int64_t in = inType.getDimSize(d), out = outType.getDimSize(d);
          Value index = linalg::IndexOp::create(b, l, d);
          double s = spec.constScales ? (*spec.constScales)[d]
                                      : double(out) / double(in);
          // An unchanged dim maps every index to itself in these modes
          // (the cubic and linear weights are then exactly 0 and 1).
          if (!spec.runtimeScales && in == out && s == 1.0 &&
              (transform == "half_pixel" || transform == "asymmetric" ||
               transform == "pytorch_half_pixel" ||
               transform == "align_corners")) {
            taps[d].push_back({index, Value()});
            continue;
          }
          Value sv = spec.runtimeScales ? readF64(spec.runtimeScales, d) : f(s);
          Value o = arith::SIToFPOp::create(
              b, l, f64,
              arith::IndexCastOp::create(b, l, b.getI64Type(), index));
          // The resized length in the align_corners and crop formulas.
          auto lengthResized = [&]() -> Value {
            if (!scalesGiven)
              return f(double(out));
            return spec.runtimeScales ? mul(sv, f(double(in)))
                                      : f(s * double(in));
          };
          Value inMinus1 = f(double(in - 1));
          Value coord;
          if (transform == "align_corners") {
            Value length = lengthResized();
            Value isOne = cmp(arith::CmpFPredicate::OEQ, length, f(1));
            coord = select(isOne, f(0),
                           div(mul(o, inMinus1), sub(length, f(1))));
          } else if (transform == "asymmetric") {
            coord = div(o, sv);
          } else if (transform == "tf_half_pixel_for_nn") {
            coord = div(add(o, f(0.5)), sv);
          } else if (transform == "pytorch_half_pixel" && out == 1) {
            coord = f(0);
          } else if (crop) {
            Value start = readF64(spec.roi, d);
            Value end = readF64(spec.roi, rank + d);
            Value extent = sub(end, start);
            Value single = div(mul(extent, inMinus1), f(2));
            Value length = lengthResized();
            Value isOne = cmp(arith::CmpFPredicate::OEQ, length, f(1));
            Value spread =
                div(mul(mul(o, extent), inMinus1), sub(length, f(1)));
            coord = add(select(isOne, single, spread), mul(start, inMinus1));
            // NaN coordinates (a NaN roi) count as outside too.
            Value below = cmp(arith::CmpFPredicate::ULT, coord, f(0));
            Value above = cmp(arith::CmpFPredicate::UGT, coord, inMinus1);
            Value off = arith::OrIOp::create(b, l, below, above);
            outside = outside ? arith::OrIOp::create(b, l, outside, off) : off;
          } else { // half_pixel, pytorch_half_pixel
            coord = sub(div(add(o, f(0.5)), sv), f(0.5));
          }
          // A dim of one element reads it whatever the coordinate (the
          // interpolation weights sum to 1).
          if (in == 1) {
            taps[d].push_back({arith::ConstantIndexOp::create(b, l, 0),
                               Value()});
            continue;
          }
          auto toIndex = [&](Value v) -> Value {
            return arith::IndexCastOp::create(
                b, l, b.getIndexType(),
                arith::FPToSIOp::create(b, l, b.getI64Type(), v));
          };
          auto clampIndex = [&](Value v) -> Value {
            v = arith::MaximumFOp::create(b, l, v, f(0));
            v = arith::MinimumFOp::create(b, l, v, inMinus1);
            return toIndex(v);
          };
          if (mode == "nearest") {
            Value r;
            if (nearestMode == "floor")
              r = math::FloorOp::create(b, l, coord);
            else if (nearestMode == "ceil")
              r = math::CeilOp::create(b, l, coord);
            else if (nearestMode == "round_prefer_ceil")
              r = math::FloorOp::create(b, l, add(coord, f(0.5)));
            else if (nearestMode == "round_prefer_floor")
              r = math::CeilOp::create(b, l, sub(coord, f(0.5)));
            else { // simple: round up when downsampling, else truncate
              Value down = cmp(arith::CmpFPredicate::OLT, sv, f(1));
              Value up = math::CeilOp::create(b, l, coord);
              r = select(down, up, math::FloorOp::create(b, l, coord));
            }
            taps[d].push_back({clampIndex(r), Value()});
            continue;
          }
          if (mode == "linear") {
            // Clamp the coordinate into the input (the edge element
            // repeats), then the two neighbours and the fraction between.
            coord = arith::MaximumFOp::create(b, l, coord, f(0));
            coord = arith::MinimumFOp::create(b, l, coord, inMinus1);
            Value c0 = math::FloorOp::create(b, l, coord);
            Value w = sub(coord, c0);
            taps[d].push_back({clampIndex(c0), sub(f(1), w)});
            taps[d].push_back({clampIndex(add(c0, f(1))), w});
            continue;
          }
          // Cubic: neighbours floor(c) - 1 .. floor(c) + 2 at distances
          // 1 + t, t, 1 - t, 2 - t, weighted by the cubic convolution
          // kernel with coefficient A.
          Value c0 = math::FloorOp::create(b, l, coord);
          Value t = sub(coord, c0);
          Value a = f(spec.cubicA);
          // |d| in [1, 2): ((A d - 5A) d + 8A) d - 4A.
          auto outer = [&](Value dist) -> Value {
            Value p = sub(mul(a, dist), f(5 * spec.cubicA));
            p = add(mul(p, dist), f(8 * spec.cubicA));
            return sub(mul(p, dist), f(4 * spec.cubicA));
          };
          // |d| in [0, 1]: ((A + 2) d - (A + 3)) d d + 1.
          auto inner = [&](Value dist) -> Value {
            Value p = sub(mul(f(spec.cubicA + 2), dist), f(spec.cubicA + 3));
            return add(mul(mul(p, dist), dist), f(1));
          };
          Value oneMinusT = sub(f(1), t);
          SmallVector<Value> weights = {outer(add(t, f(1))), inner(t),
                                        inner(oneMinusT),
                                        outer(add(oneMinusT, f(1)))};
          SmallVector<Value> positions;
          for (int64_t k = 0; k < 4; ++k)
            positions.push_back(add(c0, f(double(k - 1))));
          if (spec.excludeOutside) {
            Value sum = f(0);
            for (int64_t k = 0; k < 4; ++k) {
              Value notBelow = cmp(arith::CmpFPredicate::OGE, positions[k], f(0));
              Value notAbove =
                  cmp(arith::CmpFPredicate::OLE, positions[k], inMinus1);
              Value inside = arith::AndIOp::create(b, l, notBelow, notAbove);
              weights[k] = select(inside, weights[k], f(0));
              sum = add(sum, weights[k]);
            }
            for (Value &w : weights)
              w = div(w, sum);
          }
          for (int64_t k = 0; k < 4; ++k)
            taps[d].push_back({clampIndex(positions[k]), weights[k]});
        }

        // Sum over every combination of taps.
        bool weighted = llvm::any_of(
            taps, [](auto &dim) { return dim.size() > 1 || dim[0].second; });
        int64_t combos = 1;
        for (auto &dim : taps)
          combos *= int64_t(dim.size());
        Value result = weighted ? f(0) : Value();
        for (int64_t c = 0; c < combos; ++c) {
          SmallVector<Value> coords;
          Value w;
          int64_t rest = c;
          for (auto &dim : taps) {
            auto [idx, wd] = dim[rest % dim.size()];
            rest /= dim.size();
            coords.push_back(idx);
            if (wd)
              w = w ? mul(w, wd) : wd;
          }
          Value v = tensor::ExtractOp::create(b, l, x, coords);
          if (!weighted) {
            result = v;
            break;
          }
          if (v.getType() != f64)
            v = arith::ExtFOp::create(b, l, f64, v);
          result = add(result, w ? mul(v, w) : v);
        }
        if (weighted && elem != f64)
          result = arith::TruncFOp::create(b, l, elem, result);
        if (outside)
          result = select(outside,
                          extrapolationConstant(b, l, elem, spec.extrapolation),
                          result);
        linalg::YieldOp::create(b, l, result);
      });
  rewriter.replaceOp(op, generic.getResult(0));
  return success();
}

/// Checks the shared preconditions and returns the static tensor types.
LogicalResult staticTypes(Operation *op, ArrayRef<Value> operands,
                          const TypeConverter &converter,
                          ConversionPatternRewriter &rewriter,
                          RankedTensorType &inType, RankedTensorType &outType) {
  outType = convertedResultType(converter, op);
  inType = dyn_cast<RankedTensorType>(operands[0].getType());
  if (!outType || !inType || !outType.hasStaticShape() ||
      !inType.hasStaticShape())
    return rewriter.notifyMatchFailure(op, "needs static shapes");
  return success();
}

/// Sets the spec's scales from a `scales` operand: folded when constant,
/// read at run time otherwise.
void setScales(ResizeSpec &spec, Value scales) {
  if (auto values = constantFloats(scales))
    spec.constScales = std::move(values);
  else
    spec.runtimeScales = scales;
}

/// Resize-11 and -13 (X, roi, scales, sizes) and Resize-10 (X, scales).
struct ResizeLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType inType, outType;
    if (failed(staticTypes(op, operands, *getTypeConverter(), rewriter,
                           inType, outType)))
      return failure();
    ResizeSpec spec;
    spec.mode = stringAttrOr(op, "mode", "nearest");
    if (operands.size() == 2) {
      // Resize-10: asymmetric coordinates, nearest or linear only.
      if (spec.mode == "cubic")
        return rewriter.notifyMatchFailure(op, "Resize-10 has no cubic mode");
      spec.transform = "asymmetric";
      spec.nearestMode = "simple";
      setScales(spec, operands[1]);
      return lowerResize(op, operands[0], inType, outType, spec, rewriter);
    }
    if (operands.size() != 4)
      return rewriter.notifyMatchFailure(op, "unexpected operands");
    spec.transform = stringAttrOr(op, "coordinate_transformation_mode", "half_pixel");
    spec.nearestMode = stringAttrOr(op, "nearest_mode", "round_prefer_floor");
    if (spec.nearestMode == "simple")
      return rewriter.notifyMatchFailure(op, "unknown nearest_mode");
    spec.cubicA = floatAttrOr(op, "cubic_coeff_a", -0.75);
    spec.excludeOutside = intAttrOr(op, "exclude_outside", 0) != 0;
    spec.extrapolation = floatAttrOr(op, "extrapolation_value", 0.0);
    // Scales are given when the tensor is present and non-empty; otherwise
    // the static output shape stands for `sizes`.
    if (isNonEmptyTensor(operands[2])) {
      if (spec.transform == "tf_crop_and_resize")
        // The resized length in the crop formula is ambiguous with scales
        // (the reference uses input * scale, the output shape is
        // input * roi extent * scale); only sizes are lowered.
        return rewriter.notifyMatchFailure(
            op, "tf_crop_and_resize with scales instead of sizes");
      setScales(spec, operands[2]);
    } else if (isNoValue(operands[3])) {
      return rewriter.notifyMatchFailure(op, "neither scales nor sizes");
    }
    if (spec.transform == "tf_crop_and_resize")
      spec.roi = isNonEmptyTensor(operands[1]) ? operands[1] : Value();
    return lowerResize(op, operands[0], inType, outType, spec, rewriter);
  }
};

/// Upsample-7 (scales attribute) and -9 (scales input): asymmetric
/// coordinates, nearest or linear, scales of at least 1.
struct UpsampleLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType inType, outType;
    if (failed(staticTypes(op, operands, *getTypeConverter(), rewriter,
                           inType, outType)))
      return failure();
    ResizeSpec spec;
    spec.mode = stringAttrOr(op, "mode", "nearest");
    if (spec.mode != "nearest" && spec.mode != "linear")
      return rewriter.notifyMatchFailure(op, "Upsample mode not nearest/linear");
    spec.transform = "asymmetric";
    spec.nearestMode = "simple";
    if (auto attr = op->getAttrOfType<ArrayAttr>("scales")) {
      SmallVector<double> values;
      for (Attribute a : attr) {
        auto fa = dyn_cast<FloatAttr>(a);
        if (!fa)
          return rewriter.notifyMatchFailure(op, "non-float scales");
        values.push_back(fa.getValueAsDouble());
      }
      spec.constScales = std::move(values);
    } else if (operands.size() == 2) {
      setScales(spec, operands[1]);
    } else {
      return rewriter.notifyMatchFailure(op, "Upsample without scales");
    }
    if (spec.constScales && llvm::any_of(*spec.constScales,
                                         [](double s) { return s < 1.0; }))
      return rewriter.notifyMatchFailure(op, "Upsample scales below 1");
    return lowerResize(op, operands[0], inType, outType, spec, rewriter);
  }
};

} // namespace

void populateResizeLoweringPatterns(OnnxTypeConverter &converter,
                                    RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  for (StringRef name : {"onnx.Resize", "onnx.Resize_v11", "onnx.Resize_v10"})
    patterns.add<ResizeLowering>(converter, ctx, name);
  for (StringRef name : {"onnx.Upsample", "onnx.Upsample_v7"})
    patterns.add<UpsampleLowering>(converter, ctx, name);
}

} // namespace onnxc
