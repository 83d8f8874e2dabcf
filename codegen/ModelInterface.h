//===- ModelInterface.h - What a model library says about itself -*- C++ -*-===//

#ifndef ONNXC_CODEGEN_MODELINTERFACE_H
#define ONNXC_CODEGEN_MODELINTERFACE_H

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace onnxc {

struct TensorInterface {
  std::string name;
  int32_t dtype = 0;              ///< onnxc_dtype (ONNX's DataType values)
  std::vector<int64_t> dims;      ///< -1 for a dynamic dim
  std::vector<std::string> dimNames; ///< "" where unnamed
};

/// Inputs, outputs and metadata, read from the imported module before it is
/// lowered (names, symbolic dims and unsigned types are gone afterwards).
struct ModelInterface {
  std::string name;
  std::vector<TensorInterface> inputs, outputs;
  std::vector<std::pair<std::string, std::string>> metadata;
  /// How the library was made (docs/runtime-api.md lists the keys):
  /// model_sha256 (set by the driver), what the module says of the model
  /// (producer_name, producer_version, ir_version, opsets), then what the
  /// compiler adds (compiler_version, compiler_flags, target, cpu). Kept apart from the
  /// model's own metadata_props, whose keys are the model author's.
  std::vector<std::pair<std::string, std::string>> compileInfo;
};

/// Reads `main_graph`'s interface. Fails (with `error`) for inputs or
/// outputs the runtime cannot pass: non-tensors, unranked or unsupported
/// element types, rank above ONNXC_MAX_RANK.
bool readModelInterface(mlir::ModuleOp module, const std::string &name,
                        ModelInterface &interface, std::string &error);

/// The SHA-256 of the file at `path`, 64 lowercase hex digits; "" when it
/// cannot be read.
std::string sha256OfFile(const std::string &path);

/// Sets `key` in `interface.compileInfo` (replacing an earlier value).
void setCompileInfo(ModelInterface &interface, const std::string &key,
                    const std::string &value);

} // namespace onnxc

#endif // ONNXC_CODEGEN_MODELINTERFACE_H
