//===- OnnxExtensionOps.h - Hand-written onnx.onnxc.* ops -------*- C++ -*-===//
//
// The ops of OnnxExtensionOps.td: what the graph passes recognize that
// opset 17 has no operator for (GELU, fused contractions).
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_DIALECTS_ONNX_ONNXEXTENSIONOPS_H
#define ONNXC_DIALECTS_ONNX_ONNXEXTENSIONOPS_H

#include "dialects/onnx/OnnxDialect.h"

#define GET_OP_CLASSES
#include "dialects/onnx/OnnxExtensionOps.h.inc"

namespace onnxc {

/// True if `name` (with `params`) is an activation the fused contraction
/// ops know: see OnnxExtensionOps.td.
bool isKnownFusedActivation(llvm::StringRef name, llvm::ArrayRef<float> params);

} // namespace onnxc

#endif // ONNXC_DIALECTS_ONNX_ONNXEXTENSIONOPS_H
