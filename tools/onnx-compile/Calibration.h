//===- Calibration.h - Activation ranges for --quantize=static-int8 -*- C++ -*-//
//
// Static quantization needs each quantized activation's range at compile
// time. The driver gets it the way the model will see it: a variant of the
// module that returns those activations (onnxc-expose-calibration-
// activations) is compiled in-process for the host, linked, dlopen'ed and
// run through the runtime's C API over the calibration data; the ranges
// then go onto the real module's MatMul/Gemm ops as
// `onnxc.activation_range`, which onnxc-quantize-static reads.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_TOOLS_ONNX_COMPILE_CALIBRATION_H
#define ONNXC_TOOLS_ONNX_COMPILE_CALIBRATION_H

#include "codegen/ModelInterface.h"
#include "passes/QuantizeCommon.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace onnxc {

enum class CalibrationMethod { MinMax, Percentile };

struct CalibrationOptions {
  /// One ONNX test-data layout (DIR/input_N.pb) or several
  /// (DIR/test_data_set_*/input_N.pb).
  std::string dataDir;
  CalibrationMethod method = CalibrationMethod::MinMax;
  /// Percentile: the range is [P(100 - p), P(p)] of all the values an
  /// activation took over the calibration data.
  double percentile = 99.99;
  int optLevel = 3;
  /// Where the runtime archive is looked for (beside the compiler).
  const char *argv0 = "";
  /// Print the sets and each activation's range (onnx-compile -v; the
  /// driver's phase timer adds the time calibration took).
  bool verbose = false;
  /// --quantize-ops: the kinds of ops calibrated (those quantized).
  QuantizeOps ops;
};

/// Calibrates `module` (the onnx dialect after the graph passes,
/// buildOnnxGraphPipeline) and puts each range on its op. `interface` is
/// the model's, for checking the calibration inputs. False with `error`
/// set; pass errors of the calibration variant go to the context's
/// diagnostic handler (error then says which phase failed).
bool calibrateActivationRanges(mlir::ModuleOp module,
                               const ModelInterface &interface,
                               const CalibrationOptions &options,
                               std::string &error);

} // namespace onnxc

#endif // ONNXC_TOOLS_ONNX_COMPILE_CALIBRATION_H
