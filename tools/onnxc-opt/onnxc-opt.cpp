//===- onnxc-opt.cpp - mlir-opt with the onnx dialect and our passes ------===//
//
// Registers everything and does nothing else; lit tests drive it.
//
//===----------------------------------------------------------------------===//

#include "codegen/CudaPasses.h"
#include "dialects/onnx/OnnxDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  onnxc::registerOnnxcPasses();
  onnxc::registerOnnxcCudaPasses();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  registry.insert<onnxc::OnnxDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "onnx-compile optimizer driver\n", registry));
}
