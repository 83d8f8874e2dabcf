//===- HeaderWriter.h - The generated <name>.h ------------------*- C++ -*-===//

#ifndef ONNXC_CODEGEN_HEADERWRITER_H
#define ONNXC_CODEGEN_HEADERWRITER_H

#include "codegen/ModelInterface.h"

#include <string>

namespace onnxc {

/// The C header an app includes to use one model library: the runtime ABI
/// (embedded, so the header stands alone), `<prefix>_model()`, the inputs
/// and outputs as comments and constants, and a typed `<prefix>_run`.
std::string generateModelHeader(const ModelInterface &model,
                                const std::string &prefix);

} // namespace onnxc

#endif // ONNXC_CODEGEN_HEADERWRITER_H
