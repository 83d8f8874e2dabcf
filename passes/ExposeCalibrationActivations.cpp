//===- ExposeCalibrationActivations.cpp - The calibration variant ---------===//
//
// --quantize=static-int8 needs the range of each quantized MatMul/Gemm's
// or Conv's activation over the calibration data. The activations are values deep
// inside the graph; the cheapest way to observe them is to compile the
// model itself with those values as extra results and run it (the driver
// does, for the host, with the runtime's C API). The activation exposed is
// the one the integer product will quantize: after the LayerNorm smoothing
// (A / s_k), whose range is what the constant scale must cover.
//
// Sites come from calibrationSites(), so their order is the order in which
// the driver finds them again in the module it quantizes.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/QuantizeCommon.h"

#include "mlir/IR/Builders.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_EXPOSECALIBRATIONACTIVATIONS
#include "passes/Passes.h.inc"

namespace {

struct ExposeCalibrationActivationsPass
    : impl::ExposeCalibrationActivationsBase<
          ExposeCalibrationActivationsPass> {
  using Base::Base;
  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>("main_graph");
    if (!func || func.isExternal()) {
      getOperation().emitError("no main_graph to calibrate");
      return signalPassFailure();
    }
    auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
    OpBuilder b(ret);
    SmallVector<Value> results(ret.getOperands());
    SmallVector<Type> types(func.getFunctionType().getResults());
    SmallVector<DictionaryAttr> attrs;
    for (unsigned i = 0; i < types.size(); ++i) {
      DictionaryAttr d = func.getResultAttrDict(i);
      attrs.push_back(d ? d : b.getDictionaryAttr({}));
    }
    int index = 0;
    for (const CalibrationSite &site :
         calibrationSites(func, QuantizeOps{matmuls, convs})) {
      // Built just before the return, where every activation is defined.
      Value a = calibratedActivation(b, site);
      results.push_back(a);
      types.push_back(a.getType());
      attrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
          "onnx.name",
          b.getStringAttr("onnxc_calibration_" + std::to_string(index++)))));
    }
    func::ReturnOp::create(b, ret.getLoc(), results);
    ret.erase();
    func.setType(FunctionType::get(&getContext(),
                                   func.getFunctionType().getInputs(), types));
    func.setAllResultAttrs(attrs);
  }
};

} // namespace
} // namespace onnxc
