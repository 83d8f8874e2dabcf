//===- GraphImporter.h - ONNX nodes to onnx-dialect ops ---------*- C++ -*-===//

#ifndef ONNXC_LIB_IMPORTER_GRAPHIMPORTER_H
#define ONNXC_LIB_IMPORTER_GRAPHIMPORTER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

#include <map>
#include <string>
#include <unordered_map>

namespace onnx {
class GraphProto;
class NodeProto;
class TypeProto;
} // namespace onnx

namespace onnxc {

/// What every node import needs to know about the model.
struct ModelInfo {
  std::string path;     ///< for locations and messages
  std::string folder;   ///< real path of the model's folder (external data)
  std::map<std::string, int64_t> opsets; ///< domain ("" = ai.onnx) -> version
  std::map<std::string, int64_t> dimValues; ///< --dim overrides
  uint64_t maxTensorBytes = 0; ///< --max-tensor-bytes
};

/// Names visible in a graph: its values and the types ONNX knows for them,
/// falling back to the enclosing graph's.
struct GraphScope {
  const GraphScope *parent = nullptr;
  std::unordered_map<std::string, mlir::Value> values;
  std::unordered_map<std::string, const onnx::TypeProto *> types;

  mlir::Value lookupValue(const std::string &name) const;
  const onnx::TypeProto *lookupType(const std::string &name) const;
  /// Records the types a graph declares: inputs, outputs and value_info.
  void addDeclaredTypes(const onnx::GraphProto &graph);
};

/// Builds onnx-dialect ops for the nodes of one (sub)graph.
class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext *context, const ModelInfo &model)
      : context(context), model(model) {}

  /// Adds the graph's initializers as onnx.Constant ops to `scope`, except
  /// those whose names are already bound (inputs that shadow them).
  void importInitializers(onnx::GraphProto &graph, mlir::OpBuilder &builder,
                          GraphScope &scope);

  /// Imports the (topologically sorted) nodes of `graph` at the builder's
  /// insertion point.
  void importNodes(onnx::GraphProto &graph, mlir::OpBuilder &builder,
                   GraphScope &scope);

  /// Node names by the label used in op locations, for messages.
  const std::unordered_map<std::string, std::string> &opTypesByLabel() const {
    return opTypeByLabel;
  }

private:
  void importNode(onnx::NodeProto &node, int index, mlir::OpBuilder &builder,
                  GraphScope &scope);
  void importSubgraph(onnx::GraphProto &graph, mlir::Region &region,
                      const onnx::NodeProto &owner, const std::string &label,
                      const GraphScope &scope,
                      llvm::ArrayRef<mlir::Value> operands);
  mlir::Location locationFor(const std::string &label);

  mlir::MLIRContext *context;
  const ModelInfo &model;
  std::unordered_map<std::string, std::string> opTypeByLabel;
};

} // namespace onnxc

#endif // ONNXC_LIB_IMPORTER_GRAPHIMPORTER_H
