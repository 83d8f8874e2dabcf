//===- QuantizeStatic.cpp - int8 weights, calibrated u8 activations -------===//
//
// `onnx-compile --quantize=static-int8`: as --quantize=dynamic-int8 (see
// QuantizeDynamic.cpp for the arithmetic; the weight quantization and the
// integer product are shared, QuantizeCommon.h), except that the
// activation's scale and zero point are constants found by calibration
// instead of ReduceMin/ReduceMax of each row at run time. The driver runs
// the model over calibration data and puts the range of each MatMul/Gemm's
// (smoothed) activation, and of each Conv's input, on the op as `onnxc.activation_range = [lo, hi]`;
// this pass maps [min(lo, 0), max(hi, 0)] onto [0, 255] as
// DynamicQuantizeLinear maps a tensor's range:
//
//   s_a = (hi - lo) / 255,  zp_a = saturate(round_half_even(-lo / s_a))
//   a_q = saturate(round_half_even(a / s_a) + zp_a)  in [0, 255]
//
// so that 0 is exact and values outside the calibrated range saturate, as
// QuantizeLinear does. With one scale for the whole tensor the run-time
// reductions and their extra pass over A disappear; the price is that an
// input far outside the calibration data is clipped.
//
// An op without the attribute, or one the dynamic pass would leave in f32,
// is left in f32. A malformed range (not two finite values lo <= hi) is an
// error: it can only come from a broken calibration.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/QuantizeCommon.h"

#include "dialects/onnx/OnnxDialect.h"

#include "mlir/IR/PatternMatch.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_QUANTIZESTATIC
#include "passes/Passes.h.inc"

namespace {

struct QuantizeStaticPass : impl::QuantizeStaticBase<QuantizeStaticPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (op->hasAttr(kActivationRangeAttr))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : ops) {
      auto range = op->getAttrOfType<DenseF32ArrayAttr>(kActivationRangeAttr);
      ArrayRef<float> r = range ? range.asArrayRef() : ArrayRef<float>();
      if (r.size() != 2 || !std::isfinite(r[0]) || !std::isfinite(r[1]) ||
          r[0] > r[1]) {
        op->emitError() << kActivationRangeAttr
                        << " must be array<f32: lo, hi> with finite lo <= hi";
        return signalPassFailure();
      }
      float lo = std::min(r[0], 0.0f), hi = std::max(r[1], 0.0f);
      // An activation that was all zero: any scale works (q = zp = 0 for
      // zeros); the smallest normal float keeps 1 / scale finite.
      float scale =
          std::max((hi - lo) / 255.0f, std::numeric_limits<float>::min());
      float zp = std::clamp(std::nearbyint(-lo / scale), 0.0f, 255.0f);
      Location loc = op->getLoc();
      rewriter.setInsertionPoint(op);
      std::string why;
      if (!QuantizeOps{matmuls, convs}.includes(op))
        continue;
      if (std::optional<QuantizableConv> c = matchQuantizableConv(op, why)) {
        Value scaleValue = scalarF32(rewriter, loc, scale);
        Value q = quantizeToU8(rewriter, loc, c->x, scaleValue,
                               scalarF32(rewriter, loc, zp));
        Type u8 = IntegerType::get(&getContext(), 8, IntegerType::Unsigned);
        Value zpU8 = onnxConstant(
            rewriter, loc,
            DenseElementsAttr::get(RankedTensorType::get({}, u8),
                                   ArrayRef<uint8_t>{uint8_t(zp)}));
        rewriter.replaceOp(
            op, buildIntegerConv(rewriter, loc, q, scaleValue, zpU8, *c));
        continue;
      }
      std::optional<QuantizableProduct> p = matchQuantizableProduct(op, why);
      if (!p)
        continue; // left in f32, as the dynamic pass leaves it
      Value a = smoothedActivation(rewriter, loc, *p);
      Value scaleValue = scalarF32(rewriter, loc, scale);
      Value q = quantizeToU8(rewriter, loc, a, scaleValue,
                             scalarF32(rewriter, loc, zp));
      Value zpI32 = onnxConstant(
          rewriter, loc,
          DenseElementsAttr::get(
              RankedTensorType::get({}, rewriter.getI32Type()),
              int32_t(zp)));
      rewriter.replaceOp(
          op, buildIntegerProduct(rewriter, loc, q, scaleValue, zpI32, *p));
    }
  }
};

} // namespace
} // namespace onnxc
