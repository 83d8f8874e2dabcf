//===- ImportError.h - The importer's one kind of failure -------*- C++ -*-===//
//
// Importer internals report a problem by throwing ImportError; the entry
// point catches it (and libonnx's own exceptions) and turns it into the one
// line the user sees. Only the importer is built with exceptions.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_LIB_IMPORTER_IMPORTERROR_H
#define ONNXC_LIB_IMPORTER_IMPORTERROR_H

#include <stdexcept>
#include <string>

namespace onnxc {

struct ImportError : std::runtime_error {
  /// A problem with the model as a whole.
  explicit ImportError(const std::string &message)
      : std::runtime_error(message) {}
  /// A problem with one node.
  ImportError(std::string nodeName, std::string opType,
              const std::string &message)
      : std::runtime_error(message), nodeName(std::move(nodeName)),
        opType(std::move(opType)), hasNode(true) {}

  std::string nodeName;
  std::string opType;
  bool hasNode = false;
};

} // namespace onnxc

#endif // ONNXC_LIB_IMPORTER_IMPORTERROR_H
