//===- SchemaCheck.cpp - Nodes that ONNX's shape inference may see --------===//
//
// A model that fails this check is imported without ONNX's shape inference:
// the importer then reports the node's problem in its own words (it checks
// the same things, with messages naming the node), instead of libonnx
// crashing on it first.
//
//===----------------------------------------------------------------------===//

#include "lib/importer/SchemaCheck.h"

#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"

#include <climits>
#include <map>
#include <string>

namespace onnxc {
namespace {

bool graphMatches(const onnx::GraphProto &graph,
                  const std::map<std::string, int64_t> &opsets) {
  for (const auto &node : graph.node()) {
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    auto opset = opsets.find(domain);
    if (opset != opsets.end()) {
      const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(
          node.op_type(), int(std::min<int64_t>(opset->second, INT_MAX)),
          domain);
      if (schema) {
        try {
          schema->Verify(node);
        } catch (const std::exception &) {
          return false;
        }
      }
    }
    for (const auto &attr : node.attribute()) {
      if (attr.has_g() && !graphMatches(attr.g(), opsets))
        return false;
      for (const auto &g : attr.graphs())
        if (!graphMatches(g, opsets))
          return false;
    }
  }
  return true;
}

} // namespace

bool nodesMatchSchemas(const onnx::ModelProto &model) {
  std::map<std::string, int64_t> opsets;
  for (const auto &imp : model.opset_import())
    opsets[imp.domain() == "ai.onnx" ? "" : imp.domain()] = imp.version();
  if (model.opset_import_size() == 0)
    opsets[""] = 1;
  return graphMatches(model.graph(), opsets);
}

} // namespace onnxc
