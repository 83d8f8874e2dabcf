//===- GraphUtils.cpp - Helpers of the onnx-dialect graph passes ----------===//

#include "passes/graph/GraphUtils.h"

#include "dialects/onnx/OnnxDialect.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/APFloat.h"

#include <algorithm>
#include <cstring>

using namespace mlir;

namespace onnxc {

ElementsAttr constantAttr(Value v) {
  Operation *def = v ? v.getDefiningOp() : nullptr;
  if (!def)
    return {};
  StringRef name = def->getName().getStringRef();
  if (name != "onnx.Constant" && !name.starts_with("onnx.Constant_v"))
    return {};
  return def->getAttrOfType<ElementsAttr>("value");
}

namespace {

/// The floating-point format of `t`, or null for non-float types (and for
/// the exotic 8-bit formats the graph passes leave alone).
const llvm::fltSemantics *semanticsOf(Type t) {
  if (t.isF16() || t.isBF16() || t.isF32() || t.isF64())
    return &cast<FloatType>(t).getFloatSemantics();
  return nullptr;
}

} // namespace

std::optional<std::vector<double>> floatConstantValues(Value v,
                                                       int64_t maxElements) {
  ElementsAttr attr = constantAttr(v);
  if (!attr)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(attr.getShapedType());
  if (!type || !type.hasStaticShape() || type.getNumElements() > maxElements)
    return std::nullopt;
  const llvm::fltSemantics *sem = semanticsOf(type.getElementType());
  if (!sem)
    return std::nullopt;
  int64_t n = type.getNumElements();
  std::vector<double> out;
  out.reserve(n);
  auto toDouble = [](llvm::APFloat f) {
    bool lost;
    f.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven,
              &lost);
    return f.convertToDouble();
  };
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    for (const llvm::APFloat &f : dense.getValues<llvm::APFloat>())
      out.push_back(toDouble(f));
    return out;
  }
  auto res = dyn_cast<DenseResourceElementsAttr>(attr);
  AsmResourceBlob *blob = res ? res.getRawHandle().getBlob() : nullptr;
  if (!blob)
    return std::nullopt;
  unsigned bits = llvm::APFloat::getSizeInBits(*sem);
  ArrayRef<char> data = blob->getData();
  if (data.size() != size_t(n) * bits / 8)
    return std::nullopt;
  for (int64_t i = 0; i < n; ++i) {
    uint64_t raw = 0;
    // Little-endian bytes, as the importer and ONNX store them.
    std::memcpy(&raw, data.data() + i * (bits / 8), bits / 8);
    out.push_back(toDouble(llvm::APFloat(*sem, llvm::APInt(bits, raw))));
  }
  return out;
}

std::optional<std::vector<int64_t>> integerConstantValues(Value v,
                                                          int64_t maxElements) {
  ElementsAttr attr = constantAttr(v);
  if (!attr)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(attr.getShapedType());
  auto intType = type ? dyn_cast<IntegerType>(type.getElementType()) : nullptr;
  if (!intType || !type.hasStaticShape() ||
      type.getNumElements() > maxElements || intType.getWidth() > 64 ||
      intType.getWidth() % 8 != 0)
    return std::nullopt;
  bool isUnsigned = intType.isUnsigned();
  auto extend = [&](const llvm::APInt &i) {
    return isUnsigned ? int64_t(i.getZExtValue()) : i.getSExtValue();
  };
  int64_t n = type.getNumElements();
  std::vector<int64_t> out;
  out.reserve(n);
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (const llvm::APInt &i : dense.getValues<llvm::APInt>())
      out.push_back(extend(i));
    return out;
  }
  auto res = dyn_cast<DenseResourceElementsAttr>(attr);
  AsmResourceBlob *blob = res ? res.getRawHandle().getBlob() : nullptr;
  unsigned bytes = intType.getWidth() / 8;
  if (!blob || blob->getData().size() != size_t(n) * bytes)
    return std::nullopt;
  const char *data = blob->getData().data();
  for (int64_t i = 0; i < n; ++i) {
    uint64_t raw = 0;
    // Little-endian bytes, as the importer and ONNX store them.
    std::memcpy(&raw, data + i * bytes, bytes);
    out.push_back(extend(llvm::APInt(intType.getWidth(), raw)));
  }
  return out;
}

std::optional<double> scalarConstantValue(Value v) {
  ElementsAttr attr = constantAttr(v);
  if (!attr)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(attr.getShapedType());
  if (!type || !type.hasStaticShape() || type.getNumElements() != 1)
    return std::nullopt;
  Type elem = type.getElementType();
  if (semanticsOf(elem)) {
    auto values = floatConstantValues(v, 1);
    if (!values)
      return std::nullopt;
    return (*values)[0];
  }
  // Bools (i1) are one byte each in a blob.
  auto intType = dyn_cast<IntegerType>(elem);
  if (!intType || intType.getWidth() > 64 ||
      (intType.getWidth() % 8 != 0 && intType.getWidth() != 1))
    return std::nullopt;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    llvm::APInt i = *dense.getValues<llvm::APInt>().begin();
    if (intType.getWidth() == 1)
      return i.isZero() ? 0.0 : 1.0;
    return intType.isUnsigned() ? double(i.getZExtValue())
                                : double(i.getSExtValue());
  }
  auto res = dyn_cast<DenseResourceElementsAttr>(attr);
  AsmResourceBlob *blob = res ? res.getRawHandle().getBlob() : nullptr;
  unsigned bytes = std::max(1u, intType.getWidth() / 8);
  if (!blob || blob->getData().size() != bytes)
    return std::nullopt;
  uint64_t raw = 0;
  std::memcpy(&raw, blob->getData().data(), bytes);
  if (intType.getWidth() == 1)
    return raw != 0 ? 1.0 : 0.0;
  llvm::APInt i(intType.getWidth(), raw);
  return intType.isUnsigned() ? double(i.getZExtValue())
                              : double(i.getSExtValue());
}

Value createFloatConstant(OpBuilder &b, Location loc, RankedTensorType type,
                          ArrayRef<double> values, bool asResource) {
  const llvm::fltSemantics *sem = semanticsOf(type.getElementType());
  assert(sem && type.hasStaticShape() &&
         type.getNumElements() == int64_t(values.size()) &&
         "a static float tensor with one value per element");
  auto round = [&](double d) {
    llvm::APFloat f(d);
    bool lost;
    f.convert(*sem, llvm::APFloat::rmNearestTiesToEven, &lost);
    return f;
  };
  ElementsAttr attr;
  if (asResource) {
    unsigned bytes = llvm::APFloat::getSizeInBits(*sem) / 8;
    std::vector<char> data(values.size() * bytes);
    for (size_t i = 0; i < values.size(); ++i) {
      uint64_t raw = round(values[i]).bitcastToAPInt().getZExtValue();
      std::memcpy(data.data() + i * bytes, &raw, bytes);
    }
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        ArrayRef<char>(data), alignof(std::max_align_t));
    // The blob manager makes the name unique.
    attr = DenseResourceElementsAttr::get(type, "onnxc_folded",
                                          std::move(blob));
  } else {
    SmallVector<llvm::APFloat> rounded;
    rounded.reserve(values.size());
    for (double d : values)
      rounded.push_back(round(d));
    attr = DenseElementsAttr::get(type, rounded);
  }
  return ConstantOp::create(b, loc, type, ElementsAttr(), attr, FloatAttr(),
                            ArrayAttr(), IntegerAttr(), ArrayAttr(),
                            StringAttr(), ArrayAttr());
}

bool hasNUses(Value v, unsigned n) {
  unsigned count = 0;
  for (OpOperand &use : v.getUses()) {
    (void)use;
    if (++count > n)
      return false;
  }
  return count == n;
}

bool isOnnxOp(Operation *op, StringRef name) {
  StringRef full = op->getName().getStringRef();
  return full.consume_front("onnx.") && full == name;
}

int64_t countComputeOps(Operation *root) {
  int64_t count = 0;
  root->walk([&](Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == "onnx" &&
        !isa<ConstantOp, NoValueOp>(op) && !op->hasTrait<OpTrait::IsTerminator>())
      ++count;
  });
  return count;
}

int64_t applyGraphRewrites(Operation *root, RewritePatternSet &&patterns) {
  int64_t before = countComputeOps(root);
  GreedyRewriteConfig config;
  config.enableConstantCSE(false);
  (void)applyPatternsGreedily(root, std::move(patterns), config);
  return before - countComputeOps(root);
}

} // namespace onnxc
