//===- ExtensionOps.h - Lowering of the onnx.onnxc.* ops --------*- C++ -*-===//

#ifndef ONNXC_PASSES_LOWERING_EXTENSIONOPS_H
#define ONNXC_PASSES_LOWERING_EXTENSIONOPS_H

#include "passes/lowering/LoweringUtils.h"

namespace onnxc {

/// Registers the lowerings of the hand-written ops of
/// dialects/onnx/OnnxExtensionOps.td (Gelu, FusedConv, FusedGemm,
/// FusedMatMul).
void populateExtensionOpsLoweringPatterns(OnnxTypeConverter &converter,
                                          mlir::RewritePatternSet &patterns);

} // namespace onnxc

#endif // ONNXC_PASSES_LOWERING_EXTENSIONOPS_H
