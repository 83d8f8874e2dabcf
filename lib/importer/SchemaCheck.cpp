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
      // libonnx's Conv/pool inference divides by every stride: a stride of
      // 0 (which Verify lets through) is a SIGFPE there.
      if (attr.name() == "strides")
        for (int64_t stride : attr.ints())
          if (stride <= 0)
            return false;
      if (attr.has_g() && !graphMatches(attr.g(), opsets))
        return false;
      for (const auto &g : attr.graphs())
        if (!graphMatches(g, opsets))
          return false;
    }
  }
  return true;
}

bool typeIsComplete(const onnx::TypeProto &type) {
  switch (type.value_case()) {
  case onnx::TypeProto::kTensorType:
  case onnx::TypeProto::kSparseTensorType:
    return true;
  case onnx::TypeProto::kSequenceType:
    return type.sequence_type().has_elem_type() &&
           typeIsComplete(type.sequence_type().elem_type());
  case onnx::TypeProto::kOptionalType:
    return type.optional_type().has_elem_type() &&
           typeIsComplete(type.optional_type().elem_type());
  case onnx::TypeProto::kMapType:
    return type.map_type().has_value_type() &&
           typeIsComplete(type.map_type().value_type());
  default:
    return false;
  }
}

bool graphTypesComplete(const onnx::GraphProto &graph) {
  auto complete = [](const auto &infos) {
    for (const auto &info : infos)
      if (info.has_type() && !typeIsComplete(info.type()))
        return false;
    return true;
  };
  if (!complete(graph.input()) || !complete(graph.output()) ||
      !complete(graph.value_info()))
    return false;
  for (const auto &node : graph.node())
    for (const auto &attr : node.attribute()) {
      if (attr.has_g() && !graphTypesComplete(attr.g()))
        return false;
      for (const auto &g : attr.graphs())
        if (!graphTypesComplete(g))
          return false;
    }
  return true;
}

} // namespace

bool declaredTypesAreComplete(const onnx::ModelProto &model) {
  // The main graph's inputs must have a type (the importer refuses them
  // otherwise); inference reads them unchecked. Subgraph inputs may be
  // untyped (Loop bodies): their node's inference types them.
  for (const auto &in : model.graph().input())
    if (!in.has_type())
      return false;
  return graphTypesComplete(model.graph());
}

bool nodesMatchSchemas(const onnx::ModelProto &model) {
  std::map<std::string, int64_t> opsets;
  for (const auto &imp : model.opset_import())
    opsets[imp.domain() == "ai.onnx" ? "" : imp.domain()] = imp.version();
  if (model.opset_import_size() == 0)
    opsets[""] = 1;
  return graphMatches(model.graph(), opsets);
}

} // namespace onnxc
