//===- Selection.cpp - TopK, Unique, NonZero, Compress, NonMaxSuppression ---===//
//
// Ops that select elements, several with an output size known only at run
// time (computed by a counting pass before the result is allocated).
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

} // namespace

void populateSelectionLoweringPatterns(OnnxTypeConverter &converter,
                                       RewritePatternSet &patterns) {
  (void)converter;
  (void)patterns;
}

} // namespace onnxc
