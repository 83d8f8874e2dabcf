//===- Passes.td - onnx-compile's passes -----------------------------------===//

#ifndef ONNXC_PASSES_TD
#define ONNXC_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertOnnxToLinalg : Pass<"convert-onnx-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lower onnx-dialect ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every onnx op into upstream MLIR on tensors, following ONNX
    semantics (multidirectional broadcasting, attribute defaults, the
    opset version the op records). Unsigned integer tensors become signless
    ones; ops that care about signedness read it from the original type.
    An op with no lowering is reported at its location (its ONNX node) and
    the pass fails.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect", "mlir::tensor::TensorDialect",
    "mlir::scf::SCFDialect", "mlir::func::FuncDialect",
    "mlir::bufferization::BufferizationDialect"
  ];
}

def EnsureFreshResults : Pass<"onnxc-ensure-fresh-results", "mlir::func::FuncOp"> {
  let summary = "Make every returned buffer a fresh allocation";
  let description = [{
    The runtime frees each result buffer of a model after handing it out.
    A returned memref that aliases an argument, a global or another result
    is replaced by a copy into a new allocation.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

#endif // ONNXC_PASSES_TD
