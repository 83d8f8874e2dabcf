//===- OnnxOps.cpp - Hand-written verifiers of onnx ops -------------------===//
//
// The ops themselves are generated (see tblgen/OnnxSchemaToOds.cpp); ODS
// checks operand counts, element types and attribute kinds. What it cannot
// know, such as how attributes relate to operand ranks, is checked here.
// The op definitions are compiled in shards (OnnxOpsShard*.cpp).
//
//===----------------------------------------------------------------------===//

#include "dialects/onnx/OnnxDialect.h"

#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace onnxc;

/// Rank of a value's type, or -1 where it is unranked or not a tensor.
static int64_t rankOf(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type ? type.getRank() : -1;
}

LogicalResult ConstantOp::verify() {
  int set = 0;
  for (StringRef name : {"sparse_value", "value", "value_float", "value_floats",
                         "value_int", "value_ints", "value_string",
                         "value_strings"})
    set += (*this)->hasAttr(name) ? 1 : 0;
  if (set != 1)
    return emitOpError("needs exactly one of the value attributes, found ")
           << set;
  if (auto value = getValueAttr()) {
    if (value.getType() != getOutput().getType())
      return emitOpError("value of type ")
             << value.getType() << " does not match result type "
             << getOutput().getType();
  }
  return success();
}

LogicalResult TransposeOp::verify() {
  std::optional<ArrayAttr> perm = getPerm();
  if (!perm)
    return success();
  int64_t rank = rankOf(getData());
  int64_t size = perm->size();
  if (rank >= 0 && size != rank)
    return emitOpError("perm has ") << size << " entries for an input of rank "
                                    << rank;
  llvm::SmallBitVector seen(size);
  for (Attribute a : *perm) {
    int64_t p = cast<IntegerAttr>(a).getInt();
    if (p < 0 || p >= size || seen.test(p))
      return emitOpError("perm is not a permutation of 0..") << size - 1;
    seen.set(p);
  }
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  int64_t axis = getAxis();
  for (Value input : getInputs()) {
    int64_t rank = rankOf(input);
    if (rank < 0)
      continue;
    if (axis < -rank || axis >= rank)
      return emitOpError("axis ") << axis << " is out of range for rank "
                                  << rank;
  }
  return success();
}

LogicalResult GemmOp::verify() {
  for (Value operand : {getA(), getB()}) {
    int64_t rank = rankOf(operand);
    if (rank >= 0 && rank != 2)
      return emitOpError("A and B must be 2-D, got rank ") << rank;
  }
  return success();
}
