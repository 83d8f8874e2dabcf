//===- Einsum.cpp - Einsum as one linalg.generic -----------------------===//
//
// An Einsum equation names the iteration space directly: each letter is a
// loop, output letters are parallel and the others are reductions.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

} // namespace

void populateEinsumLoweringPatterns(OnnxTypeConverter &converter,
                                    RewritePatternSet &patterns) {
  (void)converter;
  (void)patterns;
}

} // namespace onnxc
