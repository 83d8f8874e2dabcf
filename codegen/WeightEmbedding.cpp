//===- WeightEmbedding.cpp - Weights as raw bytes in the object -----------===//

#include "codegen/WeightEmbedding.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"

using namespace mlir;

namespace onnxc {

/// The in-memory bytes of a global's initial value, or an empty range when
/// they cannot be taken verbatim.
static ArrayRef<char> rawBytesOf(Attribute value) {
  if (auto res = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return {};
    auto type = cast<ShapedType>(res.getType());
    ArrayRef<char> data = blob->getData();
    // ONNX stores one byte per bool, as LLVM lays out i1 in memory; other
    // types must fill exactly the declared number of elements.
    int64_t elementBytes =
        type.getElementType().isInteger(1)
            ? 1
            : int64_t(type.getElementTypeBitWidth() + 7) / 8;
    if (int64_t(data.size()) != type.getNumElements() * elementBytes)
      return {};
    return data;
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (dense.isSplat() || dense.getElementType().isInteger(1) ||
        !dense.getElementType().isIntOrFloat())
      return {};
    return dense.getRawData();
  }
  return {};
}

std::vector<DetachedWeight> detachWeights(ModuleOp module, int64_t minBytes) {
  std::vector<DetachedWeight> weights;
  module.walk([&](LLVM::GlobalOp global) {
    Attribute value = global.getValueOrNull();
    if (!value || !global.getConstant())
      return;
    ArrayRef<char> bytes = rawBytesOf(value);
    if (int64_t(bytes.size()) < minBytes || bytes.empty())
      return;
    weights.push_back({global.getSymName().str(), bytes});
    global.removeValueAttr();
    // A declaration until attachWeights defines it again.
    global.setLinkage(LLVM::Linkage::External);
  });
  return weights;
}

void attachWeights(llvm::Module &module, ArrayRef<DetachedWeight> weights) {
  llvm::Type *byteType = llvm::Type::getInt8Ty(module.getContext());
  for (const DetachedWeight &w : weights) {
    llvm::GlobalVariable *declaration =
        module.getGlobalVariable(w.symbol, /*AllowInternal=*/true);
    if (!declaration)
      continue; // dropped as unused during translation
    llvm::Constant *init = llvm::ConstantDataArray::getRaw(
        llvm::StringRef(w.bytes.data(), w.bytes.size()), w.bytes.size(),
        byteType);
    auto *g = new llvm::GlobalVariable(module, init->getType(),
                                       /*isConstant=*/true,
                                       llvm::GlobalValue::PrivateLinkage, init);
    g->setAlignment(llvm::Align(64));
    g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    g->takeName(declaration);
    // Users only take the address (opaque pointers): the type change is
    // invisible to them.
    declaration->replaceAllUsesWith(g);
    declaration->eraseFromParent();
  }
}

} // namespace onnxc
