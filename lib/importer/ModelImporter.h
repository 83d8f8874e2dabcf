//===- ModelImporter.h - ONNX ModelProto to the onnx dialect ----*- C++ -*-===//
//
// The importer's only public entry point. It hides libonnx and protobuf, so
// the tools that call it need neither (nor exceptions).
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_LIB_IMPORTER_MODELIMPORTER_H
#define ONNXC_LIB_IMPORTER_MODELIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace onnxc {

struct ImportOptions {
  /// Shapes that replace the declared shape of graph inputs, by input name
  /// (`--shape NAME=1x3x224x224`).
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Values of symbolic dims, by dim_param (`--dim batch=1`).
  std::map<std::string, int64_t> dimValues;
  /// Run ONNX's shape inference and use what it finds to refine types.
  bool runShapeInference = true;
  /// Print the time each import phase takes to stderr.
  bool printTiming = false;
  /// The most bytes one tensor may need: initializers, constants and every
  /// declared or inferred static shape (`--max-tensor-bytes`). Larger ones
  /// are refused before anything is allocated.
  uint64_t maxTensorBytes = uint64_t(16) << 30;
};

/// Reads the ONNX model at `path` into a module holding `func.func
/// @main_graph`. On failure returns null and sets `error` to one line of the
/// form `path: node 'NAME' (OpType): message` (or `path: message` when no
/// node is involved).
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxModelFile(llvm::StringRef path, mlir::MLIRContext &context,
                    const ImportOptions &options, std::string &error);

/// Reads an ONNX model from memory, as importOnnxModelFile does from a file;
/// `name` stands for the path in messages and locations. Such a model has
/// no folder: a tensor stored as external data is refused.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxModelBuffer(llvm::StringRef bytes, llvm::StringRef name,
                      mlir::MLIRContext &context, const ImportOptions &options,
                      std::string &error);

/// Registers every dialect an imported module uses in `registry`.
void registerImportedDialects(mlir::DialectRegistry &registry);

} // namespace onnxc

#endif // ONNXC_LIB_IMPORTER_MODELIMPORTER_H
