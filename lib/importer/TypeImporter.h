//===- TypeImporter.h - ONNX types to MLIR types ----------------*- C++ -*-===//

#ifndef ONNXC_LIB_IMPORTER_TYPEIMPORTER_H
#define ONNXC_LIB_IMPORTER_TYPEIMPORTER_H

#include "mlir/IR/Types.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace onnx {
class TypeProto;
} // namespace onnx

namespace onnxc {

/// The MLIR element type of an ONNX TensorProto.DataType, or null for one we
/// do not know. Signed integers are signless (i8..i64), unsigned ones are
/// ui8..ui64, bool is i1, strings are !onnx.string.
mlir::Type importElementType(int32_t dataType, mlir::MLIRContext *context);

/// The ONNX name of a data type, for messages.
std::string dataTypeName(int32_t dataType);

/// Converts a TypeProto. Symbolic dims become dynamic unless `dimValues`
/// fixes them; their names are appended to `dimNames` ("" for other dims)
/// when it is given. Returns null for a type with no element type. Throws
/// ImportError for a negative dim, or a static shape whose element count
/// overflows int64 or whose bytes exceed `maxTensorBytes`.
mlir::Type importType(const onnx::TypeProto &type, mlir::MLIRContext *context,
                      const std::map<std::string, int64_t> &dimValues,
                      uint64_t maxTensorBytes,
                      std::vector<std::string> *dimNames = nullptr);

} // namespace onnxc

#endif // ONNXC_LIB_IMPORTER_TYPEIMPORTER_H
