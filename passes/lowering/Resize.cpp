//===- Resize.cpp - Lower Resize (nearest and linear) ---------------------===//
//
// Each output element maps back to a coordinate in the input through the
// coordinate transformation mode, then reads the nearest input element or
// interpolates (multi-)linearly between its neighbours. Scales and sizes
// must be constants and the output shape static; cubic and
// tf_crop_and_resize are not lowered yet.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

namespace onnxc {
namespace {

/// The float scales of a Resize: from the `scales` input, or out/in from
/// the output shape when only `sizes` is given.
std::optional<SmallVector<double>> resizeScales(Value scales,
                                                RankedTensorType in,
                                                RankedTensorType out) {
  SmallVector<double> result;
  if (!isNoValue(scales)) {
    auto type = dyn_cast<RankedTensorType>(scales.getType());
    if (type && type.hasStaticShape() && type.getNumElements() > 0) {
      Value v = scales;
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
      for (const APFloat &f : dense.getValues<APFloat>())
        result.push_back(f.convertToDouble());
      return result;
    }
  }
  for (int64_t d = 0; d < in.getRank(); ++d)
    result.push_back(double(out.getDimSize(d)) / double(in.getDimSize(d)));
  return result;
}

struct ResizeLowering : NamedOpConversion {
  using NamedOpConversion::NamedOpConversion;

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType outType = convertedResultType(*getTypeConverter(), op);
    auto inType = dyn_cast<RankedTensorType>(operands[0].getType());
    if (!outType || !inType || !outType.hasStaticShape() ||
        !inType.hasStaticShape() || !isa<FloatType>(inType.getElementType()))
      return rewriter.notifyMatchFailure(op, "needs static float tensors");
    auto strAttr = [&](StringRef name, StringRef deflt) {
      auto a = op->getAttrOfType<StringAttr>(name);
      return a ? a.getValue() : deflt;
    };
    StringRef mode = strAttr("mode", "nearest");
    StringRef transform =
        strAttr("coordinate_transformation_mode", "half_pixel");
    StringRef nearestMode = strAttr("nearest_mode", "round_prefer_floor");
    if ((mode != "nearest" && mode != "linear") ||
        transform == "tf_crop_and_resize")
      return rewriter.notifyMatchFailure(op, "mode not lowered yet");
    // Resize-11/13: (X, roi, scales, sizes).
    Value scalesOperand = operands.size() > 2 ? operands[2] : Value();
    auto scales = resizeScales(scalesOperand, inType, outType);
    int64_t rank = inType.getRank();
    // Scales that are not constants are read at run time (the output
    // shape, from the model, is static all the same).
    Value runtimeScales;
    if (!scales) {
      auto t = dyn_cast<RankedTensorType>(scalesOperand.getType());
      if (!t || t.getRank() != 1 || t.getDimSize(0) != rank ||
          !isa<FloatType>(t.getElementType()))
        return rewriter.notifyMatchFailure(op, "unusable scales");
      runtimeScales = scalesOperand;
    } else if (int64_t(scales->size()) != rank) {
      return rewriter.notifyMatchFailure(op, "scales of the wrong rank");
    }

    Location loc = op->getLoc();
    Value x = operands[0];
    Type elem = inType.getElementType();
    bool linear = mode == "linear";
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
          auto toIndex = [&](Value v) -> Value {
            return arith::IndexCastOp::create(
                b, l, b.getIndexType(),
                arith::FPToSIOp::create(b, l, b.getI64Type(), v));
          };
          // Per dim: the two neighbours and the weight of the second (the
          // nearest index for nearest mode, weight 0).
          SmallVector<Value> lo, hi, weight;
          SmallVector<bool> interpolated;
          for (int64_t d = 0; d < rank; ++d) {
            int64_t in = inType.getDimSize(d), out = outType.getDimSize(d);
            Value sv;
            if (runtimeScales) {
              sv = tensor::ExtractOp::create(
                  b, l, runtimeScales,
                  ValueRange{arith::ConstantIndexOp::create(b, l, d)});
              if (sv.getType() != f64)
                sv = arith::ExtFOp::create(b, l, f64, sv);
            }
            double s = runtimeScales ? 0.0 : (*scales)[d];
            if (!runtimeScales)
              sv = f(s);
            Value o = arith::SIToFPOp::create(
                b, l, f64,
                arith::IndexCastOp::create(b, l, b.getI64Type(),
                                           linalg::IndexOp::create(b, l, d)));
            if (!runtimeScales && in == out && s == 1.0) {
              lo.push_back(linalg::IndexOp::create(b, l, d));
              hi.push_back(lo.back());
              weight.push_back(f(0));
              interpolated.push_back(false);
              continue;
            }
            Value coord;
            if (transform == "align_corners")
              coord = out == 1 ? f(0)
                               : arith::MulFOp::create(
                                     b, l, o, f(double(in - 1) / (out - 1)));
            else if (transform == "asymmetric")
              coord = arith::DivFOp::create(b, l, o, sv);
            else if (transform == "tf_half_pixel_for_nn")
              coord = arith::DivFOp::create(
                  b, l, arith::AddFOp::create(b, l, o, f(0.5)), sv);
            else if (transform == "pytorch_half_pixel" && out == 1)
              coord = f(0);
            else // half_pixel, pytorch_half_pixel
              coord = arith::SubFOp::create(
                  b, l,
                  arith::DivFOp::create(
                      b, l, arith::AddFOp::create(b, l, o, f(0.5)), sv),
                  f(0.5));
            auto clampIndex = [&](Value v) -> Value {
              v = arith::MaximumFOp::create(b, l, v, f(0));
              v = arith::MinimumFOp::create(b, l, v, f(double(in - 1)));
              return toIndex(v);
            };
            if (!linear) {
              Value r;
              if (nearestMode == "floor")
                r = math::FloorOp::create(b, l, coord);
              else if (nearestMode == "ceil")
                r = math::CeilOp::create(b, l, coord);
              else if (nearestMode == "round_prefer_ceil")
                r = math::FloorOp::create(
                    b, l, arith::AddFOp::create(b, l, coord, f(0.5)));
              else // round_prefer_floor
                r = math::CeilOp::create(
                    b, l, arith::SubFOp::create(b, l, coord, f(0.5)));
              lo.push_back(clampIndex(r));
              hi.push_back(lo.back());
              weight.push_back(f(0));
              interpolated.push_back(false);
              continue;
            }
            // Linear: clamp the coordinate into the input, then the two
            // neighbours and the fraction between them.
            coord = arith::MaximumFOp::create(b, l, coord, f(0));
            coord = arith::MinimumFOp::create(b, l, coord, f(double(in - 1)));
            Value c0 = math::FloorOp::create(b, l, coord);
            lo.push_back(clampIndex(c0));
            hi.push_back(clampIndex(arith::AddFOp::create(b, l, c0, f(1))));
            weight.push_back(arith::SubFOp::create(b, l, coord, c0));
            interpolated.push_back(true);
          }
          // Sum over the 2^k corners of the interpolated dims.
          SmallVector<int64_t> interpDims;
          for (int64_t d = 0; d < rank; ++d)
            if (interpolated[d])
              interpDims.push_back(d);
          Value acc = f(0);
          for (int64_t corner = 0; corner < (int64_t(1) << interpDims.size());
               ++corner) {
            SmallVector<Value> coords(lo);
            Value w = f(1);
            for (size_t k = 0; k < interpDims.size(); ++k) {
              int64_t d = interpDims[k];
              bool upper = (corner >> k) & 1;
              if (upper)
                coords[d] = hi[d];
              Value wd = upper ? weight[d]
                               : arith::SubFOp::create(b, l, f(1), weight[d]);
              w = arith::MulFOp::create(b, l, w, wd);
            }
            Value v = tensor::ExtractOp::create(b, l, x, coords);
            if (v.getType() != f64)
              v = arith::ExtFOp::create(b, l, f64, v);
            acc = arith::AddFOp::create(b, l, acc,
                                        arith::MulFOp::create(b, l, v, w));
          }
          Value result = acc;
          if (elem != f64)
            result = arith::TruncFOp::create(b, l, elem, acc);
          linalg::YieldOp::create(b, l, result);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void populateResizeLoweringPatterns(OnnxTypeConverter &converter,
                                    RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  for (StringRef name : {"onnx.Resize", "onnx.Resize_v11"})
    patterns.add<ResizeLowering>(converter, ctx, name);
}

} // namespace onnxc
