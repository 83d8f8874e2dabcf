//===- ConstantBytes.cpp - The raw bytes of a constant tensor ------------===//

#include "passes/ConstantBytes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace onnxc {

int64_t constantElementBytes(Type elementType) {
  // ONNX stores one byte per bool, as LLVM lays out i1 in memory.
  if (elementType.isInteger(1))
    return 1;
  if (!elementType.isIntOrFloat())
    return 0;
  return int64_t(elementType.getIntOrFloatBitWidth() + 7) / 8;
}

ArrayRef<char> rawConstantBytes(Attribute value) {
  if (auto res = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return {};
    auto type = cast<ShapedType>(res.getType());
    ArrayRef<char> data = blob->getData();
    int64_t elementBytes = constantElementBytes(type.getElementType());
    if (!elementBytes ||
        int64_t(data.size()) != type.getNumElements() * elementBytes)
      return {};
    return data;
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    // DenseElementsAttr packs bools as bits: not their memory layout.
    if (dense.isSplat() || dense.getElementType().isInteger(1) ||
        !dense.getElementType().isIntOrFloat())
      return {};
    return dense.getRawData();
  }
  return {};
}

TypedAttr constantWithBytes(Attribute like, RankedTensorType type,
                            ArrayRef<char> bytes, StringRef suffix) {
  if (auto res = dyn_cast<DenseResourceElementsAttr>(like)) {
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        bytes, alignof(std::max_align_t));
    return DenseResourceElementsAttr::get(
        type, (res.getRawHandle().getKey() + suffix).str(), std::move(blob));
  }
  return DenseElementsAttr::getFromRawBuffer(type, bytes);
}

arith::ConstantOp soleConstantSource(Value v) {
  while (true) {
    Operation *def = v.getDefiningOp();
    if (!def || !def->hasOneUse())
      return {};
    if (auto cst = dyn_cast<arith::ConstantOp>(def))
      return cst;
    if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(def))
      return {};
    v = def->getOperand(0);
  }
}

} // namespace onnxc
