//===- OnnxSchemaToOds.cpp - Generate the onnx dialect's ODS from libonnx -===//
//
// Build-time generator: walks ONNX's own schema registry (libonnx) and writes
//   1. OnnxOps.td: one ODS op per distinct signature of every ONNX operator,
//   2. OnnxOpVersions.inc: a table from (domain, op type, since_version) to
//      the MLIR op name, used by the importer to pick the right op.
//
// Versions of an operator whose inputs, outputs and attributes (names,
// optionality, types, defaults) are identical share one op; the op records
// every since_version it covers. A version whose signature differs gets its
// own op, named `<Op>_v<since>`; the newest signature keeps the plain name.
// This is how "which semantics apply" is recorded: an old Softmax (axis
// default 1, coerced to 2-D) is `onnx.Softmax_v11`, the opset-13 one is
// `onnx.Softmax`.
//
//===----------------------------------------------------------------------===//

#include "onnx/defs/schema.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using onnx::AttributeProto;
using onnx::OpSchema;
using onnx::OpSchemaRegistry;

namespace {

/// The domains we generate ops for, with the op-name prefix inside the
/// `onnx` dialect and the C++ class-name prefix.
struct DomainInfo {
  const char *domain;
  const char *opPrefix;
  const char *classPrefix;
};
const DomainInfo kDomains[] = {
    {"", "", ""},
    {"ai.onnx.ml", "ml.", "ML"},
    {"ai.onnx.preview.training", "training.", "Training"},
};

/// Ops whose results are not a pure function of their operands.
const std::set<std::string> kNondeterministicOps = {
    "RandomNormal",     "RandomUniform", "RandomNormalLike",
    "RandomUniformLike", "Multinomial",  "Bernoulli"};

/// Newest-version ops with hand-written hooks (in OnnxOps.cpp and
/// OnnxFolders.cpp); ODS declares the hooks, we define them.
const std::map<std::string, std::vector<std::string>> kHandWrittenHooks = {
    {"Constant", {"hasVerifier", "hasFolder"}},
    {"Identity", {"hasFolder"}},
    {"Transpose", {"hasVerifier"}},
    {"Concat", {"hasVerifier"}},
    {"Gemm", {"hasVerifier"}},
};

/// Newest-version ops with extra traits. Constant must be ConstantLike, or
/// folding would rebuild it forever.
const std::map<std::string, std::vector<std::string>> kExtraTraits = {
    {"Constant", {"ConstantLike"}},
};

std::string escapeTd(std::string s) {
  // A description lives in a [{ ... }] block; keep "}]" out of it.
  size_t pos = 0;
  while ((pos = s.find("}]", pos)) != std::string::npos) {
    s.replace(pos, 2, "} ]");
    pos += 3;
  }
  return s;
}

std::string quoteCpp(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

/// ODS names that would clash with methods every Operation already has.
std::string sanitizeName(const std::string &name) {
  static const std::set<std::string> reserved = {
      "type",       "operands",   "results",   "attributes", "location",
      "context",    "region",     "regions",   "operation",  "properties",
      "name",       "loc",        "dialect",   "body_",      "operand",
      "result",     "attrs",      "odsOperand"};
  std::string out;
  for (char c : name)
    out += (isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  if (out.empty() || isdigit(static_cast<unsigned char>(out[0])))
    out = "v_" + out;
  if (reserved.count(out))
    out += "_";
  return out;
}

std::string formatFloat(float f) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", f);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  return s;
}

/// Maps one ONNX tensor element type name to its ODS type constraint.
const char *elementTypeToOds(const std::string &t) {
  static const std::map<std::string, const char *> table = {
      {"float", "F32"},       {"double", "F64"},
      {"float16", "F16"},     {"bfloat16", "BF16"},
      {"int8", "I8"},         {"int16", "I16"},
      {"int32", "I32"},       {"int64", "I64"},
      {"uint8", "UI8"},       {"uint16", "UI16"},
      {"uint32", "UI32"},     {"uint64", "UI64"},
      {"bool", "I1"},         {"string", "Onnx_StringType"},
      {"complex64", "Complex<F32>"}, {"complex128", "Complex<F64>"}};
  auto it = table.find(t);
  return it == table.end() ? nullptr : it->second;
}

/// Builds the ODS constraint for a formal parameter from the set of ONNX
/// type strings it accepts ("tensor(float)", "seq(tensor(int64))", ...).
std::string typeConstraint(const std::set<std::string> &types,
                           bool allowNone) {
  std::vector<std::string> tensorElems;
  bool seq = false, opt = false, other = false;
  for (const std::string &t : types) {
    if (t.rfind("tensor(", 0) == 0) {
      const char *ods = elementTypeToOds(t.substr(7, t.size() - 8));
      if (ods)
        tensorElems.push_back(ods);
      else
        other = true;
    } else if (t.rfind("seq(", 0) == 0) {
      seq = true;
    } else if (t.rfind("optional(", 0) == 0) {
      opt = true;
    } else {
      other = true; // sparse tensors, ML maps: accept anything.
    }
  }
  if (other)
    return allowNone ? "Onnx_AnyOrNone" : "Onnx_Any";
  std::vector<std::string> alts;
  if (!tensorElems.empty()) {
    std::sort(tensorElems.begin(), tensorElems.end());
    tensorElems.erase(std::unique(tensorElems.begin(), tensorElems.end()),
                      tensorElems.end());
    std::string s = "TensorOf<[";
    for (size_t i = 0; i < tensorElems.size(); ++i)
      s += (i ? ", " : "") + tensorElems[i];
    alts.push_back(s + "]>");
  }
  if (seq)
    alts.push_back("Onnx_SeqType");
  if (opt)
    alts.push_back("Onnx_OptType");
  if (allowNone)
    alts.push_back("NoneType");
  if (alts.empty())
    return allowNone ? "Onnx_AnyOrNone" : "Onnx_Any";
  if (alts.size() == 1)
    return alts[0];
  std::string s = "AnyTypeOf<[";
  for (size_t i = 0; i < alts.size(); ++i)
    s += (i ? ", " : "") + alts[i];
  return s + "]>";
}

/// The part of a schema that decides whether two versions can share an op.
std::string signatureOf(const OpSchema &schema) {
  std::ostringstream os;
  for (const auto &in : schema.inputs())
    os << "i:" << in.GetName() << ":" << int(in.GetOption()) << ";";
  for (const auto &out : schema.outputs())
    os << "o:" << out.GetName() << ":" << int(out.GetOption()) << ";";
  for (const auto &[name, attr] : schema.attributes())
    os << "a:" << name << ":" << int(attr.type) << ":" << attr.required << ":"
       << attr.default_value.SerializeAsString() << ";";
  return os.str();
}

/// One generated op: a run of schema versions with the same signature.
struct OpGroup {
  const DomainInfo *domain;
  std::string onnxName;
  std::vector<const OpSchema *> versions; // ascending since_version
  bool isNewest = false;

  const OpSchema &newest() const { return *versions.back(); }
  std::string suffix() const {
    return isNewest ? ""
                    : "_v" + std::to_string(versions.front()->SinceVersion());
  }
  std::string mlirName() const {
    return std::string(domain->opPrefix) + onnxName + suffix();
  }
  /// ODS derives the C++ class name from the def name after "Onnx_".
  std::string defName() const { return "Onnx_" + cppClass(); }
  std::string cppClass() const {
    std::string s = std::string(domain->classPrefix) + onnxName;
    if (!isNewest)
      s += "V" + std::to_string(versions.front()->SinceVersion());
    return s;
  }
};

std::string attrConstraint(const OpSchema::Attribute &attr, bool &isRegion) {
  isRegion = false;
  std::string base;
  std::string deflt;
  const AttributeProto &d = attr.default_value;
  bool hasDefault = d.type() != AttributeProto::UNDEFINED;
  switch (attr.type) {
  case AttributeProto::FLOAT:
    base = "F32Attr";
    if (hasDefault)
      deflt = formatFloat(d.f());
    break;
  case AttributeProto::INT:
    base = "I64Attr";
    if (hasDefault)
      deflt = std::to_string(d.i());
    break;
  case AttributeProto::STRING:
    base = "StrAttr";
    if (hasDefault)
      return "DefaultValuedStrAttr<StrAttr, " + quoteCpp(d.s()) + ">";
    break;
  case AttributeProto::FLOATS:
    base = "F32ArrayAttr";
    if (hasDefault) {
      deflt = "{";
      for (int i = 0; i < d.floats_size(); ++i)
        deflt += (i ? ", " : "") + formatFloat(d.floats(i)) + "f";
      deflt += "}";
    }
    break;
  case AttributeProto::INTS:
    base = "I64ArrayAttr";
    if (hasDefault) {
      deflt = "{";
      for (int i = 0; i < d.ints_size(); ++i)
        deflt += (i ? ", " : "") + std::to_string(d.ints(i));
      deflt += "}";
    }
    break;
  case AttributeProto::STRINGS:
    base = "StrArrayAttr";
    if (hasDefault) {
      deflt = "{";
      for (int i = 0; i < d.strings_size(); ++i)
        deflt += std::string(i ? ", " : "") + quoteCpp(d.strings(i));
      deflt += "}";
    }
    break;
  case AttributeProto::TENSOR:
  case AttributeProto::SPARSE_TENSOR:
    base = "ElementsAttr";
    hasDefault = false; // no ai.onnx op has a tensor default worth encoding
    break;
  case AttributeProto::TENSORS:
  case AttributeProto::SPARSE_TENSORS:
    base = "TypedArrayAttrBase<ElementsAttr, \"array of tensors\">";
    hasDefault = false;
    break;
  case AttributeProto::TYPE_PROTO:
    base = "TypeAttr";
    hasDefault = false;
    break;
  case AttributeProto::TYPE_PROTOS:
    base = "TypeArrayAttr";
    hasDefault = false;
    break;
  case AttributeProto::GRAPH:
    isRegion = true;
    return "SizedRegion<1>";
  default:
    std::cerr << "onnx-ods-gen: unsupported attribute type " << attr.type
              << " for attribute " << attr.name << "\n";
    std::exit(1);
  }
  if (attr.required)
    return base;
  if (hasDefault && !deflt.empty())
    return "DefaultValuedAttr<" + base + ", " + quoteCpp(deflt) + ">";
  return "OptionalAttr<" + base + ">";
}

/// Collects the union of accepted types of the i-th input or output across
/// the versions of a group.
std::set<std::string> typesOf(const OpGroup &g, bool input, size_t i) {
  std::set<std::string> types;
  for (const OpSchema *s : g.versions) {
    const auto &params = input ? s->inputs() : s->outputs();
    for (const auto *t : params[i].GetTypes())
      types.insert(*t);
  }
  return types;
}

void emitOp(std::ostream &os, const OpGroup &g) {
  const OpSchema &s = g.newest();
  bool hasRegions = false;
  for (const auto &[name, attr] : s.attributes())
    hasRegions |= attr.type == AttributeProto::GRAPH;

  std::vector<std::string> traits;
  if (hasRegions)
    traits.push_back("RecursiveMemoryEffects");
  else if (!kNondeterministicOps.count(g.onnxName))
    traits.push_back("NoMemoryEffect");

  auto extra = kExtraTraits.find(g.onnxName);
  if (g.isNewest && !*g.domain->domain && extra != kExtraTraits.end())
    traits.insert(traits.end(), extra->second.begin(), extra->second.end());

  os << "def " << g.defName() << "Op : Onnx_Op<\"" << g.mlirName() << "\", [";
  for (size_t i = 0; i < traits.size(); ++i)
    os << (i ? ", " : "") << traits[i];
  os << "]> {\n";
  os << "  let summary = \"ONNX " << g.onnxName << " ("
     << (*g.domain->domain ? g.domain->domain : "ai.onnx") << ", opset ";
  for (size_t i = 0; i < g.versions.size(); ++i)
    os << (i ? ", " : "") << g.versions[i]->SinceVersion();
  os << ")\";\n";
  if (s.doc() && *s.doc())
    os << "  let description = [{\n" << escapeTd(s.doc()) << "\n  }];\n";

  std::set<std::string> used;
  auto uniqueName = [&](const std::string &raw, const char *suffix) {
    std::string n = sanitizeName(raw);
    while (used.count(n))
      n += suffix;
    used.insert(n);
    return n;
  };

  os << "  let arguments = (ins";
  bool first = true;
  for (size_t i = 0; i < s.inputs().size(); ++i) {
    const auto &in = s.inputs()[i];
    bool optional = in.GetOption() == OpSchema::Optional;
    std::string c = typeConstraint(typesOf(g, true, i), optional);
    if (in.GetOption() == OpSchema::Variadic)
      c = "Variadic<" + c + ">";
    os << (first ? "\n    " : ",\n    ") << c << ":$"
       << uniqueName(in.GetName(), "_in");
    first = false;
  }
  std::vector<std::pair<std::string, std::string>> regions;
  for (const auto &[name, attr] : s.attributes()) {
    bool isRegion;
    std::string c = attrConstraint(attr, isRegion);
    std::string n = uniqueName(name, "_attr");
    if (isRegion) {
      regions.push_back({c, n});
      continue;
    }
    os << (first ? "\n    " : ",\n    ") << c << ":$" << n;
    first = false;
  }
  os << ");\n";

  os << "  let results = (outs";
  first = true;
  for (size_t i = 0; i < s.outputs().size(); ++i) {
    const auto &out = s.outputs()[i];
    // Optional outputs an ONNX node leaves out get type `none`.
    bool optional = out.GetOption() == OpSchema::Optional;
    std::string c = typeConstraint(typesOf(g, false, i), optional);
    if (out.GetOption() == OpSchema::Variadic)
      c = "Variadic<" + c + ">";
    os << (first ? "\n    " : ",\n    ") << c << ":$"
       << uniqueName(out.GetName(), "_out");
    first = false;
  }
  os << ");\n";

  if (!regions.empty()) {
    os << "  let regions = (region";
    for (size_t i = 0; i < regions.size(); ++i)
      os << (i ? ", " : " ") << regions[i].first << ":$" << regions[i].second;
    os << ");\n";
  }

  auto hooks = kHandWrittenHooks.find(g.onnxName);
  if (g.isNewest && !*g.domain->domain && hooks != kHandWrittenHooks.end())
    for (const std::string &hook : hooks->second)
      os << "  let " << hook << " = 1;\n";

  os << "  let extraClassDeclaration = [{\n";
  os << "    /// The ONNX domain and op type this op imports.\n";
  os << "    static llvm::StringRef getOnnxDomain() { return "
     << quoteCpp(g.domain->domain) << "; }\n";
  os << "    static llvm::StringRef getOnnxOpType() { return "
     << quoteCpp(g.onnxName) << "; }\n";
  os << "    /// The ONNX since_versions whose semantics this op has.\n";
  os << "    static llvm::ArrayRef<int> getOnnxSinceVersions() {\n";
  os << "      static const int versions[] = {";
  for (size_t i = 0; i < g.versions.size(); ++i)
    os << (i ? ", " : "") << g.versions[i]->SinceVersion();
  os << "};\n      return versions;\n    }\n";
  os << "  }];\n";
  os << "}\n\n";
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: onnx-ods-gen OUT_OPS_TD OUT_VERSIONS_INC\n";
    return 2;
  }
  const std::vector<OpSchema> all =
      OpSchemaRegistry::get_all_schemas_with_history();

  // (domain, name) -> versions, ascending.
  std::map<std::pair<std::string, std::string>, std::vector<const OpSchema *>>
      byOp;
  for (const OpSchema &s : all)
    byOp[{s.domain(), s.Name()}].push_back(&s);

  std::vector<OpGroup> groups;
  for (const DomainInfo &dom : kDomains) {
    for (auto &[key, versions] : byOp) {
      if (key.first != dom.domain)
        continue;
      std::sort(versions.begin(), versions.end(),
                [](const OpSchema *a, const OpSchema *b) {
                  return a->SinceVersion() < b->SinceVersion();
                });
      std::vector<OpGroup> opGroups;
      std::string lastSig;
      for (const OpSchema *v : versions) {
        std::string sig = signatureOf(*v);
        if (opGroups.empty() || sig != lastSig)
          opGroups.push_back(OpGroup{&dom, key.second, {}, false});
        opGroups.back().versions.push_back(v);
        lastSig = sig;
      }
      opGroups.back().isNewest = true;
      groups.insert(groups.end(), opGroups.begin(), opGroups.end());
    }
  }

  std::ofstream td(argv[1]);
  td << "// Generated by onnx-ods-gen from libonnx " << "schemas. Do not edit.\n\n";
  td << "#ifndef ONNXC_ONNX_GENERATED_OPS_TD\n#define ONNXC_ONNX_GENERATED_OPS_TD\n\n";
  td << "include \"dialects/onnx/OnnxBase.td\"\n\n";
  for (const OpGroup &g : groups)
    emitOp(td, g);
  td << "#endif // ONNXC_ONNX_GENERATED_OPS_TD\n";

  std::ofstream inc(argv[2]);
  inc << "// Generated by onnx-ods-gen. Do not edit.\n";
  inc << "// ONNX_OP_VERSION(domain, op_type, since_version, mlir_op_name)\n";
  for (const OpGroup &g : groups)
    for (const OpSchema *v : g.versions)
      inc << "ONNX_OP_VERSION(" << quoteCpp(g.domain->domain) << ", "
          << quoteCpp(g.onnxName) << ", " << v->SinceVersion() << ", "
          << quoteCpp("onnx." + g.mlirName()) << ")\n";
  if (!td || !inc) {
    std::cerr << "onnx-ods-gen: cannot write output\n";
    return 1;
  }
  std::cerr << "onnx-ods-gen: " << groups.size() << " ops from " << all.size()
            << " schemas\n";
  return 0;
}
