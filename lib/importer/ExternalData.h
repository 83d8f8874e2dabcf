//===- ExternalData.h - Reading tensors stored beside the model -*- C++ -*-===//

#ifndef ONNXC_LIB_IMPORTER_EXTERNALDATA_H
#define ONNXC_LIB_IMPORTER_EXTERNALDATA_H

#include <cstdint>
#include <string>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace onnxc {

/// Reads a tensor's bytes from the file its external_data names. The file
/// must lie inside `modelDir`: absolute paths, `..` components, NUL bytes,
/// symlinks anywhere on the path, hard-linked files and anything but a
/// regular file are refused, as are ranges outside the file and ranges of
/// another size than `expectedBytes` (checked before anything is read).
/// Throws ImportError.
std::string readExternalData(const std::string &modelDir,
                             const onnx::TensorProto &tensor,
                             uint64_t expectedBytes);

} // namespace onnxc

#endif // ONNXC_LIB_IMPORTER_EXTERNALDATA_H
