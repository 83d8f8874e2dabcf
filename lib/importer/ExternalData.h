//===- ExternalData.h - Reading tensors stored beside the model -*- C++ -*-===//

#ifndef ONNXC_LIB_IMPORTER_EXTERNALDATA_H
#define ONNXC_LIB_IMPORTER_EXTERNALDATA_H

#include <string>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace onnxc {

/// Reads a tensor's bytes from the file its external_data names. The file
/// must lie inside `modelDir`: absolute paths, `..` components, symlinks
/// anywhere on the path and hard-linked files are refused, as are ranges
/// outside the file. Throws ImportError.
std::string readExternalData(const std::string &modelDir,
                             const onnx::TensorProto &tensor);

} // namespace onnxc

#endif // ONNXC_LIB_IMPORTER_EXTERNALDATA_H
