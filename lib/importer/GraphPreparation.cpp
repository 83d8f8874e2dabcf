//===- GraphPreparation.cpp - Sorting, inlining, shape overrides ----------===//

#include "lib/importer/GraphPreparation.h"
#include "lib/importer/ImportError.h"

#include "onnx/onnx_pb.h"

#include <functional>
#include <map>
#include <queue>
#include <unordered_map>
#include <unordered_set>

namespace onnxc {
namespace {

/// Names a subgraph uses but does not define: what it captures.
void collectCapturedNames(const onnx::GraphProto &graph,
                          std::unordered_set<std::string> &captured) {
  std::unordered_set<std::string> defined;
  for (const auto &in : graph.input())
    defined.insert(in.name());
  for (const auto &init : graph.initializer())
    defined.insert(init.name());
  for (const auto &node : graph.node())
    for (const auto &out : node.output())
      defined.insert(out);
  auto use = [&](const std::string &name) {
    if (!name.empty() && !defined.count(name))
      captured.insert(name);
  };
  for (const auto &node : graph.node()) {
    for (const auto &in : node.input())
      use(in);
    for (const auto &attr : node.attribute()) {
      std::unordered_set<std::string> inner;
      if (attr.has_g())
        collectCapturedNames(attr.g(), inner);
      for (const auto &g : attr.graphs())
        collectCapturedNames(g, inner);
      for (const auto &name : inner)
        use(name);
    }
  }
  for (const auto &out : graph.output())
    use(out.name());
}

std::string nodeLabel(const onnx::NodeProto &node, int index) {
  return node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                             : node.name();
}

} // namespace

void sortGraphTopologically(onnx::GraphProto &graph,
                            const std::set<std::string> &outerScope) {
  const int n = graph.node_size();
  std::unordered_set<std::string> available(outerScope.begin(),
                                            outerScope.end());
  for (const auto &in : graph.input())
    available.insert(in.name());
  for (const auto &init : graph.initializer())
    available.insert(init.name());

  std::unordered_map<std::string, int> producer;
  for (int i = 0; i < n; ++i)
    for (const auto &out : graph.node(i).output()) {
      if (out.empty())
        continue;
      if (!producer.emplace(out, i).second || available.count(out))
        throw ImportError(nodeLabel(graph.node(i), i), graph.node(i).op_type(),
                          "value '" + out + "' is defined more than once");
    }

  // Dependencies: a node's inputs plus whatever its subgraphs capture.
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> users(n);
  for (int i = 0; i < n; ++i) {
    const auto &node = graph.node(i);
    std::unordered_set<std::string> needs(node.input().begin(),
                                          node.input().end());
    for (const auto &attr : node.attribute()) {
      if (attr.has_g())
        collectCapturedNames(attr.g(), needs);
      for (const auto &g : attr.graphs())
        collectCapturedNames(g, needs);
    }
    std::unordered_set<int> deps;
    for (const auto &name : needs) {
      if (name.empty() || available.count(name))
        continue;
      auto it = producer.find(name);
      if (it == producer.end())
        throw ImportError(nodeLabel(node, i), node.op_type(),
                          "input '" + name +
                              "' is not produced by any node, initializer or "
                              "graph input");
      if (it->second == i)
        throw ImportError(nodeLabel(node, i), node.op_type(),
                          "uses its own output '" + name + "'");
      deps.insert(it->second);
    }
    pending[i] = int(deps.size());
    for (int d : deps)
      users[d].push_back(i);
  }

  // Kahn's algorithm, taking the lowest original index first so a sorted
  // graph keeps its order.
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < n; ++i)
    if (pending[i] == 0)
      ready.push(i);
  std::vector<int> order;
  order.reserve(n);
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int u : users[i])
      if (--pending[u] == 0)
        ready.push(u);
  }
  if (int(order.size()) != n) {
    for (int i = 0; i < n; ++i)
      if (pending[i] != 0)
        throw ImportError(nodeLabel(graph.node(i), i), graph.node(i).op_type(),
                          "is part of a cycle in the graph");
  }

  bool alreadySorted = true;
  for (int i = 0; i < n; ++i)
    alreadySorted &= order[i] == i;
  if (!alreadySorted) {
    google::protobuf::RepeatedPtrField<onnx::NodeProto> sorted;
    sorted.Reserve(n);
    for (int i : order)
      sorted.Add()->Swap(graph.mutable_node(i));
    graph.mutable_node()->Swap(&sorted);
  }

  // Subgraphs see everything defined in this graph.
  std::set<std::string> innerScope(outerScope);
  innerScope.insert(available.begin(), available.end());
  for (const auto &[name, index] : producer)
    innerScope.insert(name);
  for (auto &node : *graph.mutable_node())
    for (auto &attr : *node.mutable_attribute()) {
      if (attr.has_g())
        sortGraphTopologically(*attr.mutable_g(), innerScope);
      for (auto &g : *attr.mutable_graphs())
        sortGraphTopologically(g, innerScope);
    }
}

void overrideInputShapes(
    onnx::GraphProto &graph,
    const std::map<std::string, std::vector<int64_t>> &inputShapes) {
  for (const auto &[name, shape] : inputShapes) {
    onnx::ValueInfoProto *input = nullptr;
    for (auto &in : *graph.mutable_input())
      if (in.name() == name)
        input = &in;
    if (!input || !input->type().has_tensor_type())
      throw ImportError("--shape names '" + name +
                        "', which is not a tensor input of the graph");
    auto *tensorType = input->mutable_type()->mutable_tensor_type();
    if (tensorType->has_shape() &&
        tensorType->shape().dim_size() != int(shape.size()))
      throw ImportError("--shape gives input '" + name + "' rank " +
                        std::to_string(shape.size()) + ", but the model says " +
                        std::to_string(tensorType->shape().dim_size()));
    auto *shapeProto = tensorType->mutable_shape();
    shapeProto->clear_dim();
    for (int64_t d : shape)
      shapeProto->add_dim()->set_dim_value(d);
  }
}

//===----------------------------------------------------------------------===//
// Inlining model-local functions
//===----------------------------------------------------------------------===//

namespace {

struct FunctionInliner {
  std::map<std::pair<std::string, std::string>, const onnx::FunctionProto *>
      functions;
  int uniqueId = 0;

  void inlineIn(onnx::GraphProto &graph, int depth) {
    google::protobuf::RepeatedPtrField<onnx::NodeProto> result;
    for (auto &node : *graph.mutable_node())
      expand(node, result, depth);
    graph.mutable_node()->Swap(&result);
    for (auto &node : *graph.mutable_node())
      for (auto &attr : *node.mutable_attribute()) {
        if (attr.has_g())
          inlineIn(*attr.mutable_g(), depth);
        for (auto &g : *attr.mutable_graphs())
          inlineIn(g, depth);
      }
  }

  void expand(onnx::NodeProto &call,
              google::protobuf::RepeatedPtrField<onnx::NodeProto> &out,
              int depth) {
    auto it = functions.find({call.domain(), call.op_type()});
    if (it == functions.end()) {
      out.Add()->Swap(&call);
      return;
    }
    const onnx::FunctionProto &fn = *it->second;
    if (depth > 32)
      throw ImportError(call.name(), call.op_type(),
                        "model-local functions nest more than 32 deep "
                        "(recursive function?)");
    if (call.input_size() > fn.input_size() ||
        call.output_size() > fn.output_size())
      throw ImportError(call.name(), call.op_type(),
                        "calls function '" + fn.name() +
                            "' with more inputs or outputs than it declares");

    // Formal names map to the caller's actual names; everything else the
    // body defines gets a fresh prefix.
    std::unordered_map<std::string, std::string> rename;
    for (int i = 0; i < fn.input_size(); ++i)
      rename[fn.input(i)] = i < call.input_size() ? call.input(i) : "";
    for (int i = 0; i < fn.output_size(); ++i)
      rename[fn.output(i)] = i < call.output_size() ? call.output(i) : "";
    std::string prefix = (call.name().empty() ? fn.name() : call.name()) +
                         "/inl" + std::to_string(uniqueId++) + "/";
    auto mapped = [&](const std::string &name) {
      if (name.empty())
        return name;
      auto r = rename.find(name);
      return r != rename.end() ? r->second : prefix + name;
    };

    std::unordered_map<std::string, const onnx::AttributeProto *> actualAttrs;
    for (const auto &a : call.attribute())
      actualAttrs[a.name()] = &a;

    google::protobuf::RepeatedPtrField<onnx::NodeProto> body;
    for (const auto &src : fn.node()) {
      onnx::NodeProto *node = body.Add();
      *node = src;
      node->set_name(prefix + src.name());
      for (auto &in : *node->mutable_input())
        in = mapped(in);
      for (auto &o : *node->mutable_output())
        o = mapped(o);
      google::protobuf::RepeatedPtrField<onnx::AttributeProto> attrs;
      for (const auto &attr : src.attribute()) {
        if (attr.ref_attr_name().empty()) {
          *attrs.Add() = attr;
          continue;
        }
        // Attribute defaults of functions (IR 9 attribute_proto) are not in
        // libonnx 1.12's proto; an unset reference leaves the body node's
        // own default in force.
        auto a = actualAttrs.find(attr.ref_attr_name());
        if (a == actualAttrs.end())
          continue;
        onnx::AttributeProto *copy = attrs.Add();
        *copy = *a->second;
        copy->set_name(attr.name());
      }
      node->mutable_attribute()->Swap(&attrs);
    }
    for (auto &node : body)
      expand(node, out, depth + 1);
  }
};

} // namespace

void inlineModelFunctions(onnx::ModelProto &model) {
  if (model.functions_size() == 0)
    return;
  FunctionInliner inliner;
  for (const auto &fn : model.functions())
    inliner.functions[{fn.domain(), fn.name()}] = &fn;
  inliner.inlineIn(*model.mutable_graph(), 0);
}

} // namespace onnxc
