//===- OnnxFolders.cpp - Folders of onnx ops ------------------------------===//

#include "dialects/onnx/OnnxDialect.h"

using namespace mlir;
using namespace onnxc;

OpFoldResult ConstantOp::fold(FoldAdaptor) {
  // Only the tensor form folds; the scalar and list forms need building.
  return getValueAttr();
}

OpFoldResult IdentityOp::fold(FoldAdaptor) {
  if (getInput().getType() != getOutput().getType())
    return {};
  return getInput();
}
