//===- GraphImporter.cpp - ONNX nodes to onnx-dialect ops -----------------===//
//
// Each node becomes the op generated for the schema version its opset
// selects. Ops are built generically (by name, operands, attributes,
// regions, result types), so this file needs no per-op code: the schema
// says which inputs are optional or variadic and which attributes exist.
//
//===----------------------------------------------------------------------===//

#include "lib/importer/GraphImporter.h"
#include "lib/importer/ImportError.h"
#include "lib/importer/TensorImporter.h"
#include "lib/importer/TypeImporter.h"

#include "dialects/onnx/OnnxDialect.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"

#include <map>
#include <tuple>

using namespace mlir;

namespace onnxc {
namespace {

/// (domain, op type, since_version) -> MLIR op name, from the generator.
const std::map<std::tuple<std::string, std::string, int>, std::string> &
opNameTable() {
  static const std::map<std::tuple<std::string, std::string, int>, std::string>
      table = {
#define ONNX_OP_VERSION(domain, opType, since, mlirName)                       \
  {{domain, opType, since}, mlirName},
#include "dialects/onnx/OnnxOpVersions.inc"
#undef ONNX_OP_VERSION
      };
  return table;
}

std::string nodeLabel(const onnx::NodeProto &node, int index) {
  return node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                             : node.name();
}

std::string domainName(const std::string &domain) {
  return domain.empty() ? "ai.onnx" : domain;
}

const char *attrTypeName(int type) {
  switch (type) {
  case onnx::AttributeProto::FLOAT: return "float";
  case onnx::AttributeProto::INT: return "int";
  case onnx::AttributeProto::STRING: return "string";
  case onnx::AttributeProto::TENSOR: return "tensor";
  case onnx::AttributeProto::GRAPH: return "graph";
  case onnx::AttributeProto::SPARSE_TENSOR: return "sparse tensor";
  case onnx::AttributeProto::TYPE_PROTO: return "type";
  case onnx::AttributeProto::FLOATS: return "floats";
  case onnx::AttributeProto::INTS: return "ints";
  case onnx::AttributeProto::STRINGS: return "strings";
  case onnx::AttributeProto::TENSORS: return "tensors";
  case onnx::AttributeProto::GRAPHS: return "graphs";
  case onnx::AttributeProto::SPARSE_TENSORS: return "sparse tensors";
  case onnx::AttributeProto::TYPE_PROTOS: return "types";
  default: return "undefined";
  }
}

/// Infers the type an old writer left out of an AttributeProto from the
/// field that is set (ONNX before IR 3 had no `type`).
int effectiveAttrType(const onnx::AttributeProto &a) {
  if (a.type() != onnx::AttributeProto::UNDEFINED)
    return a.type();
  if (a.has_f()) return onnx::AttributeProto::FLOAT;
  if (a.has_i()) return onnx::AttributeProto::INT;
  if (a.has_s()) return onnx::AttributeProto::STRING;
  if (a.has_t()) return onnx::AttributeProto::TENSOR;
  if (a.has_g()) return onnx::AttributeProto::GRAPH;
  if (a.floats_size()) return onnx::AttributeProto::FLOATS;
  if (a.ints_size()) return onnx::AttributeProto::INTS;
  if (a.strings_size()) return onnx::AttributeProto::STRINGS;
  if (a.tensors_size()) return onnx::AttributeProto::TENSORS;
  if (a.graphs_size()) return onnx::AttributeProto::GRAPHS;
  return onnx::AttributeProto::UNDEFINED;
}

} // namespace

//===----------------------------------------------------------------------===//
// GraphScope
//===----------------------------------------------------------------------===//

Value GraphScope::lookupValue(const std::string &name) const {
  for (const GraphScope *s = this; s; s = s->parent) {
    auto it = s->values.find(name);
    if (it != s->values.end())
      return it->second;
  }
  return {};
}

const onnx::TypeProto *GraphScope::lookupType(const std::string &name) const {
  for (const GraphScope *s = this; s; s = s->parent) {
    auto it = s->types.find(name);
    if (it != s->types.end())
      return it->second;
  }
  return nullptr;
}

void GraphScope::addDeclaredTypes(const onnx::GraphProto &graph) {
  auto add = [&](const onnx::ValueInfoProto &info) {
    if (info.has_type())
      types[info.name()] = &info.type();
  };
  for (const auto &vi : graph.value_info())
    add(vi);
  for (const auto &in : graph.input())
    add(in);
  for (const auto &out : graph.output())
    add(out);
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

Location GraphImporter::locationFor(const std::string &label) {
  return NameLoc::get(StringAttr::get(context, label),
                      FileLineColLoc::get(context, model.path, 0, 0));
}

void GraphImporter::importInitializers(onnx::GraphProto &graph,
                                       OpBuilder &builder, GraphScope &scope) {
  for (auto &init : *graph.mutable_initializer()) {
    if (scope.values.count(init.name()))
      continue;
    std::string name = init.name();
    opTypeByLabel[name] = "initializer";
    ElementsAttr value =
        importTensor(init, context, model.folder, model.maxTensorBytes);
    OperationState state(locationFor(name), ConstantOp::getOperationName());
    state.addAttribute("value", value);
    state.addTypes(value.getType());
    scope.values[name] = builder.create(state)->getResult(0);
  }
  if (graph.sparse_initializer_size() > 0)
    throw ImportError("sparse initializer '" +
                      graph.sparse_initializer(0).values().name() +
                      "' is not supported");
}

void GraphImporter::importNodes(onnx::GraphProto &graph, OpBuilder &builder,
                                GraphScope &scope) {
  for (int i = 0; i < graph.node_size(); ++i)
    importNode(*graph.mutable_node(i), i, builder, scope);
}

/// Turns Constant's scalar and list forms (value_float, value_ints, ...)
/// into the tensor form, so a Constant always carries `value`.
static void normalizeConstantNode(onnx::NodeProto &node) {
  for (auto &attr : *node.mutable_attribute()) {
    onnx::TensorProto t;
    const std::string &name = attr.name();
    if (name == "value_float") {
      t.set_data_type(onnx::TensorProto::FLOAT);
      t.add_float_data(attr.f());
    } else if (name == "value_floats") {
      t.set_data_type(onnx::TensorProto::FLOAT);
      t.add_dims(attr.floats_size());
      *t.mutable_float_data() = attr.floats();
    } else if (name == "value_int") {
      t.set_data_type(onnx::TensorProto::INT64);
      t.add_int64_data(attr.i());
    } else if (name == "value_ints") {
      t.set_data_type(onnx::TensorProto::INT64);
      t.add_dims(attr.ints_size());
      *t.mutable_int64_data() = attr.ints();
    } else if (name == "value_string") {
      t.set_data_type(onnx::TensorProto::STRING);
      t.add_string_data(attr.s());
    } else if (name == "value_strings") {
      t.set_data_type(onnx::TensorProto::STRING);
      t.add_dims(attr.strings_size());
      *t.mutable_string_data() = attr.strings();
    } else {
      continue;
    }
    attr.Clear();
    attr.set_name("value");
    attr.set_type(onnx::AttributeProto::TENSOR);
    *attr.mutable_t() = std::move(t);
  }
}

void GraphImporter::importNode(onnx::NodeProto &node, int index,
                               OpBuilder &builder, GraphScope &scope) {
  const std::string label = nodeLabel(node, index);
  const std::string &opType = node.op_type();
  auto fail = [&](const std::string &message) {
    return ImportError(label, opType, message);
  };
  opTypeByLabel[label] = opType;

  std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  static const std::set<std::string> knownDomains = {
      "", "ai.onnx.ml", "ai.onnx.preview.training"};
  if (!knownDomains.count(domain))
    throw fail("domain '" + domain +
               "' is not supported (only ai.onnx, ai.onnx.ml and "
               "ai.onnx.preview.training, plus the model's own functions)");
  auto opsetIt = model.opsets.find(domain);
  if (opsetIt == model.opsets.end())
    throw fail("the model does not import domain '" + domainName(domain) +
               "' (no opset_import entry)");
  int64_t opset = opsetIt->second;
  const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(
      opType, int(std::min<int64_t>(opset, INT32_MAX)), domain);
  if (!schema)
    throw fail("operator '" + opType + "' is not defined in domain " +
               domainName(domain) + " at opset " + std::to_string(opset));
  if (schema->Deprecated())
    throw fail("operator '" + opType + "' is deprecated at opset " +
               std::to_string(opset) + " and has no semantics there");
  auto nameIt = opNameTable().find({domain, opType, schema->SinceVersion()});
  if (nameIt == opNameTable().end())
    throw fail("internal error: no op generated for " + opType + "-" +
               std::to_string(schema->SinceVersion()));

  if (opType == "Constant" && domain.empty())
    normalizeConstantNode(node);

  Location loc = locationFor(label);
  OperationState state(loc, nameIt->second);

  // Operands: one per formal input, `none` for absent optional ones; the
  // variadic input (always last in ONNX) takes the rest.
  const auto &formals = schema->inputs();
  int actual = 0;
  for (size_t f = 0; f < formals.size(); ++f) {
    const auto &formal = formals[f];
    if (formal.GetOption() == onnx::OpSchema::Variadic) {
      int count = 0;
      for (; actual < node.input_size(); ++actual, ++count) {
        const std::string &name = node.input(actual);
        Value v = name.empty() ? Value() : scope.lookupValue(name);
        if (!v)
          throw fail("variadic input '" + name + "' is not defined");
        state.addOperands(v);
      }
      if (count < formal.GetMinArity())
        throw fail("needs at least " + std::to_string(formal.GetMinArity()) +
                   " '" + formal.GetName() + "' inputs, got " +
                   std::to_string(count));
      continue;
    }
    const std::string name =
        actual < node.input_size() ? node.input(actual) : std::string();
    ++actual;
    if (name.empty()) {
      if (formal.GetOption() != onnx::OpSchema::Optional)
        throw fail("required input '" + formal.GetName() + "' (#" +
                   std::to_string(f) + ") is missing");
      state.addOperands(NoValueOp::create(builder, loc, builder.getNoneType()).getResult());
      continue;
    }
    Value v = scope.lookupValue(name);
    if (!v)
      throw fail("input '" + name + "' is not defined");
    state.addOperands(v);
  }
  if (actual < node.input_size())
    throw fail("has " + std::to_string(node.input_size()) +
               " inputs, but " + opType + "-" +
               std::to_string(schema->SinceVersion()) + " takes at most " +
               std::to_string(formals.size()));

  // Attributes, checked against the schema; graphs become regions.
  const auto &schemaAttrs = schema->attributes();
  std::map<std::string, onnx::AttributeProto *> given;
  for (auto &attr : *node.mutable_attribute()) {
    auto s = schemaAttrs.find(attr.name());
    if (s == schemaAttrs.end())
      throw fail("attribute '" + attr.name() + "' is not defined for " +
                 opType + "-" + std::to_string(schema->SinceVersion()));
    int type = effectiveAttrType(attr);
    if (type != s->second.type)
      throw fail("attribute '" + attr.name() + "' has type " +
                 attrTypeName(type) + ", but " + opType + " expects " +
                 attrTypeName(s->second.type));
    given[attr.name()] = &attr;
  }
  Builder b(context);
  std::vector<std::pair<onnx::GraphProto *, std::string>> subgraphs;
  for (const auto &[name, formal] : schemaAttrs) {
    auto g = given.find(name);
    if (g == given.end()) {
      if (formal.required)
        throw fail("required attribute '" + name + "' is missing");
      if (formal.type == onnx::AttributeProto::GRAPH) {
        state.addRegion(); // stays empty; no ai.onnx graph is optional
      }
      continue;
    }
    onnx::AttributeProto &a = *g->second;
    Attribute value;
    switch (formal.type) {
    case onnx::AttributeProto::FLOAT:
      value = b.getF32FloatAttr(a.f());
      break;
    case onnx::AttributeProto::INT:
      value = b.getI64IntegerAttr(a.i());
      break;
    case onnx::AttributeProto::STRING:
      value = b.getStringAttr(a.s());
      break;
    case onnx::AttributeProto::FLOATS:
      value = b.getF32ArrayAttr(
          SmallVector<float>(a.floats().begin(), a.floats().end()));
      break;
    case onnx::AttributeProto::INTS:
      value = b.getI64ArrayAttr(
          SmallVector<int64_t>(a.ints().begin(), a.ints().end()));
      break;
    case onnx::AttributeProto::STRINGS:
      value = b.getStrArrayAttr(
          SmallVector<StringRef>(a.strings().begin(), a.strings().end()));
      break;
    case onnx::AttributeProto::TENSOR:
      // Name the blob after what it feeds: Constant tensors are unnamed.
      if (a.t().name().empty())
        a.mutable_t()->set_name(opType == "Constant" && node.output_size()
                                    ? node.output(0)
                                    : label + "_" + name);
      try {
        value = importTensor(*a.mutable_t(), context, model.folder,
                             model.maxTensorBytes);
      } catch (const ImportError &e) {
        throw fail(std::string("attribute '") + name + "': " + e.what());
      }
      break;
    case onnx::AttributeProto::TENSORS: {
      SmallVector<Attribute> tensors;
      try {
        for (auto &t : *a.mutable_tensors())
          tensors.push_back(
              importTensor(t, context, model.folder, model.maxTensorBytes));
      } catch (const ImportError &e) {
        throw fail(std::string("attribute '") + name + "': " + e.what());
      }
      value = b.getArrayAttr(tensors);
      break;
    }
    case onnx::AttributeProto::TYPE_PROTO: {
      Type t;
      try {
        t = importType(a.tp(), context, model.dimValues, model.maxTensorBytes);
      } catch (const ImportError &e) {
        throw fail("attribute '" + name + "': " + e.what());
      }
      if (!t)
        throw fail("attribute '" + name + "' holds an unsupported type");
      value = TypeAttr::get(t);
      break;
    }
    case onnx::AttributeProto::GRAPH:
      subgraphs.push_back({a.mutable_g(), name});
      state.addRegion();
      continue;
    default:
      throw fail("attribute '" + name + "' has unsupported type " +
                 attrTypeName(formal.type));
    }
    state.addAttribute(name, value);
  }

  // Results: one per formal output, `none` for an optional one the node
  // leaves out; the variadic output takes the rest.
  const auto &outputs = schema->outputs();
  std::vector<std::string> resultNames;
  int out = 0;
  auto resultType = [&](const std::string &name) -> Type {
    const onnx::TypeProto *proto = scope.lookupType(name);
    Type t;
    try {
      if (proto)
        t = importType(*proto, context, model.dimValues, model.maxTensorBytes);
    } catch (const ImportError &e) {
      throw fail("output '" + name + "': " + e.what());
    }
    if (!t)
      throw fail("the type of output '" + name +
                 "' is unknown (ONNX shape inference could not infer it)");
    return t;
  };
  for (size_t f = 0; f < outputs.size(); ++f) {
    const auto &formal = outputs[f];
    if (formal.GetOption() == onnx::OpSchema::Variadic) {
      for (; out < node.output_size(); ++out) {
        state.addTypes(resultType(node.output(out)));
        resultNames.push_back(node.output(out));
      }
      continue;
    }
    std::string name = out < node.output_size() ? node.output(out) : "";
    ++out;
    if (name.empty()) {
      if (formal.GetOption() != onnx::OpSchema::Optional)
        throw fail("required output '" + formal.GetName() + "' is missing");
      state.addTypes(NoneType::get(context));
    } else {
      state.addTypes(resultType(name));
    }
    resultNames.push_back(name);
  }
  if (out < node.output_size())
    throw fail("has " + std::to_string(node.output_size()) +
               " outputs, but " + opType + "-" +
               std::to_string(schema->SinceVersion()) + " has at most " +
               std::to_string(outputs.size()));

  Operation *op = builder.create(state);

  // Subgraph bodies, in the order ODS declared the regions (the schema's
  // attribute order, which is also `subgraphs`' order).
  size_t regionIndex = 0;
  for (const auto &[name, formal] : schemaAttrs) {
    if (formal.type != onnx::AttributeProto::GRAPH)
      continue;
    for (auto &[graph, graphName] : subgraphs)
      if (graphName == name)
        importSubgraph(*graph, op->getRegion(regionIndex), node, label, scope,
                       SmallVector<Value>(op->getOperands()));
    ++regionIndex;
  }

  for (size_t i = 0; i < resultNames.size(); ++i)
    if (!resultNames[i].empty())
      scope.values[resultNames[i]] = op->getResult(i);
}

void GraphImporter::importSubgraph(onnx::GraphProto &graph, Region &region,
                                   const onnx::NodeProto &owner,
                                   const std::string &label,
                                   const GraphScope &scope,
                                   ArrayRef<Value> operands) {
  GraphScope inner;
  inner.parent = &scope;
  inner.addDeclaredTypes(graph);

  Block *block = new Block();
  region.push_back(block);
  for (int i = 0; i < graph.input_size(); ++i) {
    const auto &in = graph.input(i);
    Type t;
    try {
      if (in.has_type())
        t = importType(in.type(), context, model.dimValues,
                       model.maxTensorBytes);
    } catch (const ImportError &e) {
      throw ImportError(label, owner.op_type(),
                        "subgraph input '" + in.name() + "': " + e.what());
    }
    // Loop bodies often leave their inputs untyped: (iteration, condition,
    // carried values...) have known types.
    if (!t && owner.op_type() == "Loop") {
      if (i == 0)
        t = RankedTensorType::get({}, IntegerType::get(context, 64));
      else if (i == 1)
        t = RankedTensorType::get({}, IntegerType::get(context, 1));
      else if (size_t(i) < operands.size())
        t = operands[i].getType();
    }
    if (!t)
      throw ImportError(label, owner.op_type(),
                        "subgraph input '" + in.name() + "' has no type");
    inner.values[in.name()] = block->addArgument(t, locationFor(label));
  }

  OpBuilder builder = OpBuilder::atBlockBegin(block);
  importInitializers(graph, builder, inner);
  importNodes(graph, builder, inner);
  SmallVector<Value> results;
  for (const auto &o : graph.output()) {
    Value v = inner.lookupValue(o.name());
    if (!v)
      throw ImportError(label, owner.op_type(),
                        "subgraph output '" + o.name() + "' is not defined");
    results.push_back(v);
  }
  YieldOp::create(builder, locationFor(label), results);
}

} // namespace onnxc
