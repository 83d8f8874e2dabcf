//===- OpsetBridge.cpp - Reading models newer than libonnx's schemas ------===//
//
// libonnx 1.12 knows ai.onnx up to opset 17. A model of a newer opset is
// still read: most operators did not change after 17, or changed only in the
// types they accept (which the op verifiers check). The operators whose
// meaning or signature changed are listed here; each is rewritten into its
// opset-17 form where that form means the same, and refused with a precise
// reason where it does not. Operators new after 17 have no schema and are
// refused by the importer as unknown.
//
//===----------------------------------------------------------------------===//

#include "lib/importer/GraphPreparation.h"
#include "lib/importer/ImportError.h"

#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"

#include <cstring>
#include <functional>
#include <unordered_map>

namespace onnxc {
namespace {

/// The newest ai.onnx opset whose changes this table accounts for.
constexpr int64_t kBridgedUpToOpset = 24;

using TensorLookup =
    std::function<const onnx::TensorProto *(const std::string &)>;

struct NodeRewriter {
  onnx::NodeProto &node;
  int64_t opset;
  const TensorLookup &constant;

  [[noreturn]] void refuse(const std::string &why) {
    throw ImportError(node.name(), node.op_type(),
                      "at ai.onnx opset " + std::to_string(opset) + ", " +
                          why + "; this build reads opset-" +
                          std::to_string(maxKnownOpset()) +
                          " semantics and cannot express it");
  }

  onnx::AttributeProto *attr(const std::string &name) {
    for (auto &a : *node.mutable_attribute())
      if (a.name() == name)
        return &a;
    return nullptr;
  }
  int64_t intAttr(const std::string &name, int64_t deflt) {
    auto *a = attr(name);
    return a ? a->i() : deflt;
  }
  std::string stringAttr(const std::string &name, const std::string &deflt) {
    auto *a = attr(name);
    return a ? a->s() : deflt;
  }
  void dropAttr(const std::string &name) {
    auto *attrs = node.mutable_attribute();
    for (int i = 0; i < attrs->size(); ++i)
      if (attrs->Get(i).name() == name) {
        attrs->DeleteSubrange(i, 1);
        return;
      }
  }
  bool hasInput(int i) {
    return node.input_size() > i && !node.input(i).empty();
  }
  void dropTrailingInputs(int keep) {
    while (node.input_size() > keep)
      node.mutable_input()->RemoveLast();
  }

  /// Reads an int64 constant tensor (initializer or Constant output).
  bool constantInts(const std::string &name, std::vector<int64_t> &values) {
    const onnx::TensorProto *t = constant(name);
    if (!t || t->data_type() != onnx::TensorProto::INT64)
      return false;
    values.clear();
    if (t->has_raw_data()) {
      const std::string &raw = t->raw_data();
      values.resize(raw.size() / sizeof(int64_t));
      std::memcpy(values.data(), raw.data(), values.size() * sizeof(int64_t));
    } else {
      values.assign(t->int64_data().begin(), t->int64_data().end());
    }
    return true;
  }

  /// Reduce* at 18 take axes as an input, as ReduceSum has since 13.
  void reduceWithAxesInput() {
    bool noop = intAttr("noop_with_empty_axes", 0) != 0;
    dropAttr("noop_with_empty_axes");
    if (!hasInput(1)) {
      dropTrailingInputs(1);
      if (noop) { // reduce over no axes: the input itself
        node.set_op_type("Identity");
        dropAttr("keepdims");
      }
      return;
    }
    std::vector<int64_t> axes;
    if (!constantInts(node.input(1), axes))
      refuse("its axes come from a computed tensor");
    if (axes.empty() && noop) {
      dropTrailingInputs(1);
      node.set_op_type("Identity");
      dropAttr("keepdims");
      return;
    }
    dropTrailingInputs(1);
    auto *a = node.add_attribute();
    a->set_name("axes");
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t axis : axes)
      a->add_ints(axis);
  }

  void rewrite() {
    const std::string &op = node.op_type();
    if (op == "ReduceL1" || op == "ReduceL2" || op == "ReduceLogSum" ||
        op == "ReduceLogSumExp" || op == "ReduceMax" || op == "ReduceMean" ||
        op == "ReduceMin" || op == "ReduceProd" || op == "ReduceSumSquare") {
      reduceWithAxesInput();
    } else if (op == "Split") {
      // Opset 18 adds num_outputs; without a `split` input both versions
      // split evenly into as many parts as there are outputs. Lowering
      // checks that the dimension divides evenly.
      if (auto *n = attr("num_outputs")) {
        if (!hasInput(1) && n->i() != node.output_size())
          refuse("Split has num_outputs=" + std::to_string(n->i()) +
                 " but " + std::to_string(node.output_size()) + " outputs");
        dropAttr("num_outputs");
      }
    } else if (op == "Pad") {
      if (hasInput(3))
        refuse("Pad has an axes input");
      dropTrailingInputs(std::min(node.input_size(), 3));
      if (stringAttr("mode", "constant") == "wrap")
        refuse("Pad uses mode 'wrap'");
    } else if (op == "Resize") {
      if (intAttr("antialias", 0) != 0)
        refuse("Resize uses antialias");
      if (attr("axes"))
        refuse("Resize has an axes attribute");
      if (stringAttr("keep_aspect_ratio_policy", "stretch") != "stretch")
        refuse("Resize uses keep_aspect_ratio_policy");
      if (stringAttr("coordinate_transformation_mode", "half_pixel") ==
          "half_pixel_symmetric")
        refuse("Resize uses coordinate_transformation_mode "
               "'half_pixel_symmetric'");
      dropAttr("antialias");
      dropAttr("keep_aspect_ratio_policy");
    } else if (op == "ScatterElements" || op == "ScatterND") {
      std::string reduction = stringAttr("reduction", "none");
      if (reduction == "max" || reduction == "min")
        refuse(op + " uses reduction '" + reduction + "'");
    } else if (op == "LpPool" || op == "AveragePool") {
      if (auto *d = attr("dilations")) {
        for (int64_t v : d->ints())
          if (v != 1)
            refuse(op + " uses dilations");
        dropAttr("dilations");
      }
      if (op == "LpPool") {
        if (intAttr("ceil_mode", 0) != 0)
          refuse("LpPool uses ceil_mode");
        dropAttr("ceil_mode");
      }
    } else if (op == "Cast" || op == "CastLike") {
      dropAttr("saturate"); // only affects float8 targets
    } else if (op == "QuantizeLinear" || op == "DequantizeLinear") {
      dropAttr("saturate");
      if (intAttr("block_size", 0) != 0)
        refuse(op + " uses blocked quantization");
      if (intAttr("output_dtype", 0) != 0)
        refuse(op + " sets output_dtype");
      dropAttr("block_size");
      dropAttr("output_dtype");
    } else if (op == "DFT") {
      refuse("DFT takes dft_length and axis as inputs");
    } else if (op == "GridSample") {
      if (auto *m = attr("mode")) {
        if (m->s() == "linear")
          m->set_s("bilinear");
        else if (m->s() == "cubic")
          m->set_s("bicubic");
      }
    } else if (op == "TopK" || op == "Attention") {
      // Nothing to do: no semantic change is bridged beyond types.
    }
  }
};

void lowerGraph(onnx::GraphProto &graph, int64_t opset,
                const TensorLookup &outer) {
  std::unordered_map<std::string, const onnx::TensorProto *> constants;
  for (const auto &init : graph.initializer())
    constants[init.name()] = &init;
  for (const auto &node : graph.node())
    if (node.op_type() == "Constant" && node.output_size() == 1)
      for (const auto &a : node.attribute())
        if (a.name() == "value" && a.has_t())
          constants[node.output(0)] = &a.t();
  TensorLookup lookup = [&](const std::string &name)
      -> const onnx::TensorProto * {
    auto it = constants.find(name);
    if (it != constants.end())
      return it->second;
    return outer ? outer(name) : nullptr;
  };
  for (auto &node : *graph.mutable_node()) {
    if (node.domain().empty() || node.domain() == "ai.onnx")
      NodeRewriter{node, opset, lookup}.rewrite();
    for (auto &attr : *node.mutable_attribute()) {
      if (attr.has_g())
        lowerGraph(*attr.mutable_g(), opset, lookup);
      for (auto &g : *attr.mutable_graphs())
        lowerGraph(g, opset, lookup);
    }
  }
}

} // namespace

int maxKnownOpset() {
  const auto &ranges =
      onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = ranges.find("");
  return it == ranges.end() ? 17 : it->second.second;
}

int64_t lowerOpsetToKnown(onnx::ModelProto &model) {
  int64_t known = maxKnownOpset();
  int64_t original = 0;
  onnx::OperatorSetIdProto *defaultDomain = nullptr;
  for (auto &imp : *model.mutable_opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx") {
      defaultDomain = &imp;
      original = imp.version();
    }
  if (!defaultDomain || original <= known)
    return original;
  if (original > kBridgedUpToOpset)
    throw ImportError("ai.onnx opset " + std::to_string(original) +
                      " is newer than this build understands (up to " +
                      std::to_string(kBridgedUpToOpset) + ")");
  lowerGraph(*model.mutable_graph(), original, nullptr);
  defaultDomain->set_version(known);
  return original;
}

} // namespace onnxc
