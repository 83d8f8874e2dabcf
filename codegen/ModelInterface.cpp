//===- ModelInterface.cpp - What a model library says about itself --------===//

#include "codegen/ModelInterface.h"

#include "onnx-compile/onnxc_runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SHA256.h"

using namespace mlir;

namespace onnxc {
namespace {

int32_t dtypeOf(Type t) {
  if (t.isF32()) return ONNXC_DTYPE_FLOAT32;
  if (t.isF64()) return ONNXC_DTYPE_FLOAT64;
  if (t.isF16()) return ONNXC_DTYPE_FLOAT16;
  if (t.isBF16()) return ONNXC_DTYPE_BFLOAT16;
  if (t.isInteger(1)) return ONNXC_DTYPE_BOOL;
  if (auto i = dyn_cast<IntegerType>(t)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 8: return u ? ONNXC_DTYPE_UINT8 : ONNXC_DTYPE_INT8;
    case 16: return u ? ONNXC_DTYPE_UINT16 : ONNXC_DTYPE_INT16;
    case 32: return u ? ONNXC_DTYPE_UINT32 : ONNXC_DTYPE_INT32;
    case 64: return u ? ONNXC_DTYPE_UINT64 : ONNXC_DTYPE_INT64;
    default: return 0;
    }
  }
  return 0;
}

bool readTensor(Type type, DictionaryAttr attrs, const char *what, size_t i,
                TensorInterface &out, std::string &error) {
  auto name = attrs ? attrs.getAs<StringAttr>("onnx.name") : StringAttr();
  out.name = name ? name.str() : std::string(what) + std::to_string(i);
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor) {
    error = std::string(what) + " '" + out.name +
            "' is not a ranked tensor; the runtime cannot pass it";
    return false;
  }
  out.dtype = dtypeOf(tensor.getElementType());
  if (!out.dtype) {
    error = std::string(what) + " '" + out.name +
            "' has an element type the runtime cannot pass";
    return false;
  }
  if (tensor.getRank() > ONNXC_MAX_RANK) {
    error = std::string(what) + " '" + out.name + "' has rank above 16";
    return false;
  }
  ArrayAttr dimParams =
      attrs ? attrs.getAs<ArrayAttr>("onnx.dim_params") : ArrayAttr();
  for (int64_t d = 0; d < tensor.getRank(); ++d) {
    out.dims.push_back(tensor.isDynamicDim(d) ? -1 : tensor.getDimSize(d));
    std::string dimName;
    if (dimParams && d < int64_t(dimParams.size()) && tensor.isDynamicDim(d))
      if (auto s = dyn_cast<StringAttr>(dimParams[d]))
        dimName = s.str();
    out.dimNames.push_back(dimName);
  }
  return true;
}

/// The compile-info entries the importer's module attributes give. Every
/// key is present, empty when the model does not say, so consumers need not
/// guess whether an old compiler or the model left it out.
void readModelOrigin(ModuleOp module, ModelInterface &interface) {
  auto str = [&](StringRef attr) {
    auto s = module->getAttrOfType<StringAttr>(attr);
    return s ? s.str() : std::string();
  };
  // First in the table; the driver fills it in (sha256OfFile).
  setCompileInfo(interface, "model_sha256", "");
  setCompileInfo(interface, "producer_name", str("onnx.producer_name"));
  setCompileInfo(interface, "producer_version", str("onnx.producer_version"));
  auto ir = module->getAttrOfType<IntegerAttr>("onnx.ir_version");
  setCompileInfo(interface, "ir_version",
                 ir ? std::to_string(ir.getInt()) : std::string());
  // `domain:version` pairs, comma-separated, in the dictionary's (sorted)
  // order so the string does not depend on the model's listing order.
  std::string opsets;
  if (auto dict = module->getAttrOfType<DictionaryAttr>("onnx.opset_import"))
    for (NamedAttribute a : dict)
      if (auto v = dyn_cast<IntegerAttr>(a.getValue()))
        opsets += (opsets.empty() ? "" : ",") + a.getName().str() + ":" +
                  std::to_string(v.getInt());
  setCompileInfo(interface, "opsets", opsets);
}

} // namespace

bool readModelInterface(ModuleOp module, const std::string &name,
                        ModelInterface &interface, std::string &error) {
  auto func = module.lookupSymbol<func::FuncOp>("main_graph");
  if (!func) {
    error = "the module has no main_graph function";
    return false;
  }
  interface.name = name;
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    TensorInterface t;
    if (!readTensor(type.getInput(i), func.getArgAttrDict(i), "input", i, t,
                    error))
      return false;
    interface.inputs.push_back(std::move(t));
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    TensorInterface t;
    if (!readTensor(type.getResult(i), func.getResultAttrDict(i), "output", i,
                    t, error))
      return false;
    interface.outputs.push_back(std::move(t));
  }
  if (interface.outputs.empty()) {
    error = "the model has no outputs";
    return false;
  }
  if (auto meta = module->getAttrOfType<DictionaryAttr>("onnx.metadata"))
    for (NamedAttribute a : meta)
      if (auto s = dyn_cast<StringAttr>(a.getValue()))
        interface.metadata.push_back({a.getName().str(), s.str()});
  readModelOrigin(module, interface);
  return true;
}

std::string sha256OfFile(const std::string &path) {
  // Mapped, not copied: models are hundreds of megabytes.
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return "";
  return llvm::toHex(llvm::SHA256::hash(llvm::arrayRefFromStringRef(
                         (*buffer)->getBuffer())),
                     /*LowerCase=*/true);
}

void setCompileInfo(ModelInterface &interface, const std::string &key,
                    const std::string &value) {
  for (auto &entry : interface.compileInfo)
    if (entry.first == key) {
      entry.second = value;
      return;
    }
  interface.compileInfo.push_back({key, value});
}

} // namespace onnxc
