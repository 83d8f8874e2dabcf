//===- ModelImporter.cpp - ONNX ModelProto to the onnx dialect ------------===//
//
// The order of work: parse, inline model-local functions, bridge opsets
// newer than libonnx's, sort, apply shape overrides, run ONNX shape
// inference, then build `func.func @main_graph` and verify it. Any failure
// becomes one line naming the file and, where there is one, the node.
//
//===----------------------------------------------------------------------===//

#include "lib/importer/ModelImporter.h"
#include "lib/importer/GraphImporter.h"
#include "lib/importer/GraphPreparation.h"
#include "lib/importer/ShapeFolding.h"
#include "lib/importer/ImportError.h"
#include "lib/importer/Limits.h"
#include "lib/importer/SchemaCheck.h"
#include "lib/importer/TypeImporter.h"

#include "dialects/onnx/OnnxDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"

#include <google/protobuf/io/coded_stream.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <functional>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir;

namespace onnxc {
namespace {

std::string folderOf(const std::string &path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (dir.empty())
    dir = "/";
  char resolved[PATH_MAX];
  if (!::realpath(dir.c_str(), resolved))
    return dir;
  return resolved;
}

/// Parses the bytes of a ModelProto.
void parseModelBytes(const uint8_t *data, size_t size,
                     onnx::ModelProto &model) {
  if (size > size_t(INT_MAX))
    throw ImportError("the file is larger than 2 GB; protobuf cannot hold it, "
                      "store the weights as external data");
  if (size == 0)
    throw ImportError("not an ONNX model: the file is empty");
  google::protobuf::io::CodedInputStream stream(data, int(size));
  stream.SetTotalBytesLimit(INT_MAX);
  // Each level of subgraph costs three messages (Graph, Node, Attribute);
  // leave room for kMaxSubgraphDepth of them plus nested TypeProtos, so a
  // model too deep gets checkSubgraphDepth's message naming the node, while
  // protobuf's own recursion stays bounded.
  stream.SetRecursionLimit(3 * kMaxSubgraphDepth + 40);
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
    throw ImportError("not a valid ONNX model: the protobuf does not parse "
                      "(truncated, or not an ONNX file)");
  // Almost any bytes parse as *some* protobuf; a model has these.
  if (!model.has_graph() || model.ir_version() <= 0)
    throw ImportError("not an ONNX model: no graph or no ir_version");
}

void parseModelFile(const std::string &path, onnx::ModelProto &model) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw ImportError(std::string("cannot open file: ") + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw ImportError("not a regular file");
  }
  if (st.st_size > INT_MAX || st.st_size == 0) {
    ::close(fd);
    parseModelBytes(nullptr, size_t(st.st_size), model); // throws
  }
  // Map the file rather than read it: protobuf copies what it keeps anyway,
  // and a second private copy of the weights costs as much as the parse.
  void *data = ::mmap(nullptr, size_t(st.st_size), PROT_READ,
                      MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (data == MAP_FAILED)
    throw ImportError(std::string("cannot map file: ") + std::strerror(errno));
  try {
    parseModelBytes(static_cast<const uint8_t *>(data), size_t(st.st_size),
                    model);
  } catch (...) {
    ::munmap(data, size_t(st.st_size));
    throw;
  }
  ::munmap(data, size_t(st.st_size));
}

/// Refuses --dim names that no graph input has (a typo would otherwise be
/// ignored and leave the dim dynamic) and --shape dims that contradict a
/// dim the model declares static (which would otherwise surface later as a
/// verifier error far from its cause).
void checkOverrides(const onnx::GraphProto &graph,
                    const ImportOptions &options) {
  std::set<std::string> dimParams;
  for (const auto &in : graph.input())
    if (in.type().has_tensor_type() && in.type().tensor_type().has_shape())
      for (const auto &dim : in.type().tensor_type().shape().dim())
        if (dim.has_dim_param())
          dimParams.insert(dim.dim_param());
  for (const auto &[name, value] : options.dimValues)
    if (!dimParams.count(name)) {
      std::string known;
      for (const std::string &p : dimParams)
        known += (known.empty() ? "" : ", ") + p;
      throw ImportError("--dim " + name + "=" + std::to_string(value) +
                        ": no graph input has a dim named '" + name + "'" +
                        (known.empty() ? " (the inputs have no named dims)"
                                       : " (named dims: " + known + ")"));
    }
  for (const auto &[name, shape] : options.inputShapes)
    for (const auto &in : graph.input()) {
      if (in.name() != name || !in.type().has_tensor_type() ||
          !in.type().tensor_type().has_shape())
        continue;
      const auto &dims = in.type().tensor_type().shape().dim();
      // A rank mismatch is reported by overrideInputShapes.
      if (dims.size() != int(shape.size()))
        continue;
      for (int d = 0; d < dims.size(); ++d)
        if (dims[d].has_dim_value() && dims[d].dim_value() != shape[d])
          throw ImportError(
              "--shape gives input '" + name + "' dim " + std::to_string(d) +
              " = " + std::to_string(shape[d]) + ", but the model declares it " +
              std::to_string(dims[d].dim_value()));
    }
}

/// Sets symbolic dims fixed by --dim in the proto, so shape inference can
/// use the values too.
void applyDimValues(onnx::GraphProto &graph,
                    const std::map<std::string, int64_t> &dimValues) {
  if (dimValues.empty())
    return;
  for (auto &in : *graph.mutable_input()) {
    if (!in.type().has_tensor_type() || !in.type().tensor_type().has_shape())
      continue;
    for (auto &dim :
         *in.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim()) {
      if (!dim.has_dim_param())
        continue;
      auto it = dimValues.find(dim.dim_param());
      if (it != dimValues.end())
        dim.set_dim_value(it->second);
    }
  }
}

ArrayAttr dimNamesAttr(Builder &b, const std::vector<std::string> &names) {
  bool any = false;
  for (const auto &n : names)
    any |= !n.empty();
  if (!any)
    return {};
  SmallVector<StringRef> refs(names.begin(), names.end());
  return b.getStrArrayAttr(refs);
}

OwningOpRef<ModuleOp> buildModule(onnx::ModelProto &model,
                                  const ModelInfo &info, int64_t origOpset,
                                  MLIRContext &context,
                                  GraphImporter &importer) {
  Builder b(&context);
  Location fileLoc = FileLineColLoc::get(&context, info.path, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);

  // What the model says about itself, kept for later stages and --info.
  SmallVector<NamedAttribute> opsets;
  for (const auto &[domain, version] : info.opsets)
    opsets.push_back(b.getNamedAttr(domain.empty() ? "ai.onnx" : domain,
                                    b.getI64IntegerAttr(version)));
  (*module)->setAttr("onnx.ir_version", b.getI64IntegerAttr(model.ir_version()));
  (*module)->setAttr("onnx.opset_import", b.getDictionaryAttr(opsets));
  auto defaultOpset = info.opsets.find("");
  if (defaultOpset != info.opsets.end() && origOpset > defaultOpset->second)
    (*module)->setAttr("onnx.original_opset", b.getI64IntegerAttr(origOpset));
  if (!model.producer_name().empty())
    (*module)->setAttr("onnx.producer_name",
                       b.getStringAttr(model.producer_name()));
  if (!model.producer_version().empty())
    (*module)->setAttr("onnx.producer_version",
                       b.getStringAttr(model.producer_version()));
  if (model.metadata_props_size()) {
    SmallVector<NamedAttribute> meta;
    for (const auto &p : model.metadata_props())
      if (!p.key().empty())
        meta.push_back(b.getNamedAttr(p.key(), b.getStringAttr(p.value())));
    (*module)->setAttr("onnx.metadata", b.getDictionaryAttr(meta));
  }

  onnx::GraphProto &graph = *model.mutable_graph();
  GraphScope scope;
  scope.addDeclaredTypes(graph);

  // Inputs that an initializer also names are constants with a default:
  // old exporters list every weight as an input. We compile them in.
  std::set<std::string> initializerNames;
  for (const auto &init : graph.initializer())
    initializerNames.insert(init.name());

  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  SmallVector<std::string> argNames;
  for (const auto &in : graph.input()) {
    if (initializerNames.count(in.name()))
      continue;
    std::vector<std::string> dimNames;
    Type t;
    try {
      if (in.has_type())
        t = importType(in.type(), &context, info.dimValues,
                       info.maxTensorBytes, &dimNames);
    } catch (const ImportError &e) {
      throw ImportError("graph input '" + in.name() + "': " + e.what());
    }
    if (!t)
      throw ImportError("graph input '" + in.name() +
                        "' has a missing or unsupported type");
    argTypes.push_back(t);
    argNames.push_back(in.name());
    SmallVector<NamedAttribute> attrs{
        b.getNamedAttr("onnx.name", b.getStringAttr(in.name()))};
    if (ArrayAttr dims = dimNamesAttr(b, dimNames))
      attrs.push_back(b.getNamedAttr("onnx.dim_params", dims));
    argAttrs.push_back(b.getDictionaryAttr(attrs));
  }

  auto func = func::FuncOp::create(fileLoc, "main_graph",
                                   b.getFunctionType(argTypes, {}));
  module->push_back(func);
  Block *entry = func.addEntryBlock();
  for (size_t i = 0; i < argNames.size(); ++i) {
    scope.values[argNames[i]] = entry->getArgument(i);
    func.setArgAttrs(i, argAttrs[i]);
  }

  OpBuilder builder = OpBuilder::atBlockBegin(entry);
  importer.importInitializers(graph, builder, scope);
  importer.importNodes(graph, builder, scope);

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const auto &out : graph.output()) {
    Value v = scope.lookupValue(out.name());
    if (!v)
      throw ImportError("graph output '" + out.name() +
                        "' is not produced by any node, initializer or input");
    results.push_back(v);
    resultTypes.push_back(v.getType());
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setType(b.getFunctionType(argTypes, resultTypes));
  for (size_t i = 0; i < graph.output().size(); ++i) {
    std::vector<std::string> dimNames;
    const auto &out = graph.output(i);
    SmallVector<NamedAttribute> attrs{
        b.getNamedAttr("onnx.name", b.getStringAttr(out.name()))};
    if (out.has_type()) {
      try {
        importType(out.type(), &context, info.dimValues, info.maxTensorBytes,
                   &dimNames);
      } catch (const ImportError &e) {
        throw ImportError("graph output '" + out.name() + "': " + e.what());
      }
      if (ArrayAttr dims = dimNamesAttr(b, dimNames))
        attrs.push_back(b.getNamedAttr("onnx.dim_params", dims));
    }
    func.setResultAttrs(i, b.getDictionaryAttr(attrs));
  }
  return module;
}

/// Runs the verifier; turns its first complaint into an ImportError naming
/// the node whose op failed.
void verifyImported(ModuleOp module, const GraphImporter &importer) {
  std::string message;
  std::string label;
  ScopedDiagnosticHandler handler(
      module.getContext(), [&](Diagnostic &diag) {
        if (diag.getSeverity() != DiagnosticSeverity::Error ||
            !message.empty())
          return success();
        message = diag.str();
        if (auto name = dyn_cast<NameLoc>(diag.getLocation()))
          label = name.getName().str();
        return success();
      });
  if (succeeded(verify(module)))
    return;
  auto it = importer.opTypesByLabel().find(label);
  if (it != importer.opTypesByLabel().end())
    throw ImportError(label, it->second, message);
  throw ImportError(message);
}

} // namespace

void registerImportedDialects(DialectRegistry &registry) {
  registry.insert<OnnxDialect, func::FuncDialect>();
}

namespace {

/// The work after parsing, shared by the file and buffer entry points.
/// `read` fills the ModelProto; `folder` is where external data may be read
/// from ("" for none).
OwningOpRef<ModuleOp>
importModel(const std::string &path, const std::string &folder,
            const std::function<void(onnx::ModelProto &)> &read,
            MLIRContext &context, const ImportOptions &options,
            std::string &error) {
  context.loadDialect<OnnxDialect, func::FuncDialect>();
  auto start = std::chrono::steady_clock::now();
  auto phase = [&](const char *name) {
    if (!options.printTiming)
      return;
    auto now = std::chrono::steady_clock::now();
    llvm::errs() << "import: " << name << " "
                 << std::chrono::duration<double>(now - start).count()
                 << " s\n";
    start = now;
  };
  try {
    onnx::ModelProto model;
    read(model);
    // Before anything recurses into subgraphs (inlining, sorting, ONNX's
    // inference): a deep nest must be an error, not a stack overflow.
    checkSubgraphDepth(model.graph());
    phase("parse");

    ModelInfo info;
    info.path = path;
    info.folder = folder;
    info.dimValues = options.dimValues;
    info.maxTensorBytes = options.maxTensorBytes;

    inlineModelFunctions(model);
    // Inlined function bodies may hold subgraphs of their own.
    checkSubgraphDepth(model.graph());
    int64_t origOpset = lowerOpsetToKnown(model);

    for (const auto &imp : model.opset_import()) {
      std::string domain = imp.domain() == "ai.onnx" ? "" : imp.domain();
      info.opsets[domain] = imp.version();
    }
    // IR version 1 and 2 models have no opset_import: they are opset 1.
    if (model.opset_import_size() == 0)
      info.opsets[""] = 1;

    sortGraphTopologically(*model.mutable_graph());
    checkOverrides(model.graph(), options);
    overrideInputShapes(*model.mutable_graph(), options.inputShapes);
    applyDimValues(*model.mutable_graph(), options.dimValues);
    phase("prepare");

    // libonnx's inference trusts nodes to match their schemas and types
    // to be complete; a model where they do not is left for the importer
    // to refuse in its own words.
    if (options.runShapeInference && nodesMatchSchemas(model) &&
        declaredTypesAreComplete(model)) {
      inferShapesAndFoldConstants(model);
      phase("shape inference");
    }

    GraphImporter importer(&context, info);
    OwningOpRef<ModuleOp> module =
        buildModule(model, info, origOpset, context, importer);
    phase("build");
    verifyImported(*module, importer);
    phase("verify");
    return module;
  } catch (const ImportError &e) {
    error = path + ": ";
    if (e.hasNode)
      error += "node '" + e.nodeName + "' (" + e.opType + "): ";
    error += e.what();
  } catch (const std::exception &e) {
    error = path + ": " + e.what();
  }
  return nullptr;
}

} // namespace

OwningOpRef<ModuleOp> importOnnxModelFile(StringRef pathRef,
                                          MLIRContext &context,
                                          const ImportOptions &options,
                                          std::string &error) {
  const std::string path = pathRef.str();
  return importModel(
      path, folderOf(path),
      [&](onnx::ModelProto &model) { parseModelFile(path, model); }, context,
      options, error);
}

OwningOpRef<ModuleOp> importOnnxModelBuffer(StringRef bytes, StringRef name,
                                            MLIRContext &context,
                                            const ImportOptions &options,
                                            std::string &error) {
  return importModel(
      name.str(), /*folder=*/"",
      [&](onnx::ModelProto &model) {
        parseModelBytes(reinterpret_cast<const uint8_t *>(bytes.data()),
                        bytes.size(), model);
      },
      context, options, error);
}

} // namespace onnxc
