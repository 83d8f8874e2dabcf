//===- ControlFlow.cpp - If, Loop and Scan to scf ----------------------===//
//
// ONNX's control-flow ops carry their bodies as regions; they become
// scf.if / scf.while / scf.for with the body inlined and its onnx ops
// converted along with the rest.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

} // namespace

void populateControlFlowLoweringPatterns(OnnxTypeConverter &converter,
                                         RewritePatternSet &patterns) {
  (void)converter;
  (void)patterns;
}

} // namespace onnxc
