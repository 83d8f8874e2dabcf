//===- OnnxExtensionOps.cpp - Verifiers of the onnx.onnxc.* ops -----------===//

#include "dialects/onnx/OnnxExtensionOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;

namespace onnxc {

bool isKnownFusedActivation(StringRef name, ArrayRef<float> params) {
  // How many parameters each activation reads (its ONNX attributes, in
  // order); a wrong count would silently use a default, so it is refused.
  size_t expected = llvm::StringSwitch<size_t>(name)
                        .Cases({"", "Relu", "Sigmoid", "HardSwish", "Tanh",
                                "Gelu", "GeluTanh"},
                               0)
                        .Case("LeakyRelu", 1)
                        .Cases({"Clip", "HardSigmoid"}, 2)
                        .Default(size_t(-1));
  return expected == params.size();
}

namespace {

LogicalResult verifyActivation(Operation *op, StringRef name,
                               ArrayAttr params) {
  SmallVector<float> values;
  for (Attribute a : params)
    values.push_back(cast<FloatAttr>(a).getValueAsDouble());
  if (!isKnownFusedActivation(name, values))
    return op->emitOpError() << "unknown activation '" << name << "' with "
                             << values.size() << " parameters";
  return success();
}

} // namespace

LogicalResult ExtGeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError() << "approximate must be \"none\" or \"tanh\", not \""
                         << getApproximate() << "\"";
  return success();
}

LogicalResult ExtFusedConvOp::verify() {
  if (!isa<NoneType>(getZ().getType()) && getZ().getType() != getY().getType())
    return emitOpError("the residual Z must have the result's type");
  return verifyActivation(*this, getActivation(), getActivationParams());
}

LogicalResult ExtFusedGemmOp::verify() {
  return verifyActivation(*this, getActivation(), getActivationParams());
}

LogicalResult ExtFusedMatMulOp::verify() {
  return verifyActivation(*this, getActivation(), getActivationParams());
}

LogicalResult ExtAttentionOp::verify() {
  auto q = dyn_cast<RankedTensorType>(getQ().getType());
  auto kt = dyn_cast<RankedTensorType>(getKT().getType());
  auto v = dyn_cast<RankedTensorType>(getV().getType());
  if (!q || !kt || !v)
    return success(); // unranked: nothing to check before shape inference
  int64_t rank = q.getRank();
  if (rank < 2 || kt.getRank() != rank || v.getRank() != rank)
    return emitOpError("Q, KT and V must have the same rank, at least 2");
  if (q.getShape().drop_back(2) != kt.getShape().drop_back(2) ||
      q.getShape().drop_back(2) != v.getShape().drop_back(2))
    return emitOpError("Q, KT and V must have the same batch dims");
  return success();
}

LogicalResult ExtGroupScaledMatMulIntegerOp::verify() {
  int64_t groupSize = getGroupSize();
  if (groupSize <= 0)
    return emitOpError() << "group_size must be positive, not " << groupSize;
  auto a = dyn_cast<RankedTensorType>(getA().getType());
  auto b = dyn_cast<RankedTensorType>(getB().getType());
  if (!a || !b)
    return success(); // unranked: nothing to check before shape inference
  if (a.getRank() < 2 || b.getRank() != 2)
    return emitOpError("A must be [.., M, K] and B [K, N]");
  int64_t k = a.getDimSize(a.getRank() - 1);
  if (!ShapedType::isDynamic(k) && !ShapedType::isDynamic(b.getDimSize(0)) &&
      k != b.getDimSize(0))
    return emitOpError() << "A has K = " << k << " but B has "
                         << b.getDimSize(0) << " rows";
  if (!ShapedType::isDynamic(k) && k % groupSize != 0)
    return emitOpError() << "K = " << k << " is not a multiple of group_size "
                         << groupSize;
  for (Value param : {getScale(), getZeroPoint()}) {
    auto t = dyn_cast<RankedTensorType>(param.getType());
    if (!t)
      continue;
    if (t.getRank() != a.getRank())
      return emitOpError("Scale and ZeroPoint must be [.., M, G], of A's rank");
    int64_t g = t.getDimSize(t.getRank() - 1);
    if (!ShapedType::isDynamic(k) && !ShapedType::isDynamic(g) &&
        g * groupSize != k)
      return emitOpError() << "Scale and ZeroPoint must have K / group_size = "
                           << k / groupSize << " groups, not " << g;
  }
  return success();
}

} // namespace onnxc

#define GET_OP_CLASSES
#include "dialects/onnx/OnnxExtensionOps.cpp.inc"
