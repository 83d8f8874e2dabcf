//===- Scatter.cpp - ScatterElements, ScatterND, Scatter, GatherND ---===//
//
// Writes (or reads) elements at positions given by index tensors.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

} // namespace

void populateScatterLoweringPatterns(OnnxTypeConverter &converter,
                                     RewritePatternSet &patterns) {
  (void)converter;
  (void)patterns;
}

} // namespace onnxc
