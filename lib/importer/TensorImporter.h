//===- TensorImporter.h - ONNX tensors to MLIR attributes -------*- C++ -*-===//

#ifndef ONNXC_LIB_IMPORTER_TENSORIMPORTER_H
#define ONNXC_LIB_IMPORTER_TENSORIMPORTER_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"

#include <cstdint>
#include <string>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace onnxc {

/// Converts a TensorProto to an ElementsAttr. Numeric data becomes a dense
/// resource blob; raw_data is moved, not copied, into it, which is why the
/// tensor is taken by mutable reference (it is left without its data).
/// External data is read from inside `modelDir`. Strings become a
/// DenseStringElementsAttr. Throws ImportError on inconsistent or
/// unsupported tensors, and on a shape that needs more than
/// `maxTensorBytes` bytes (checked before any data is read).
mlir::ElementsAttr importTensor(onnx::TensorProto &tensor,
                                mlir::MLIRContext *context,
                                const std::string &modelDir,
                                uint64_t maxTensorBytes);

} // namespace onnxc

#endif // ONNXC_LIB_IMPORTER_TENSORIMPORTER_H
