//===- OnnxDialect.cpp - Dialect registration and types -------------------===//

#include "dialects/onnx/OnnxDialect.h"
#include "dialects/onnx/OnnxExtensionOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace onnxc;

#include "dialects/onnx/OnnxDialect.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/onnx/OnnxTypes.cpp.inc"

void OnnxDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/onnx/OnnxTypes.cpp.inc"
      >();
}

void OnnxDialect::initialize() {
  registerTypes();
  // Ops are defined in several shards (OnnxOpsShard*.cpp); this registers
  // all of them.
  registerOnnxDialectOperations(this);
  // The hand-written onnx.onnxc.* ops (OnnxExtensionOps.td).
  addOperations<
#define GET_OP_LIST
#include "dialects/onnx/OnnxExtensionOps.cpp.inc"
      >();
}

Operation *OnnxDialect::materializeConstant(OpBuilder &builder,
                                            Attribute value, Type type,
                                            Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  OperationState state(loc, ConstantOp::getOperationName());
  state.addAttribute(ConstantOp::getValueAttrName(state.name), elements);
  state.addTypes(type);
  return builder.create(state);
}
