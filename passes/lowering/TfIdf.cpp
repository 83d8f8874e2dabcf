//===- TfIdf.cpp - TfIdfVectorizer -------------------------------------===//
//
// Counts n-grams of integer token ids against a fixed pool and weights them.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

} // namespace

void populateTfIdfLoweringPatterns(OnnxTypeConverter &converter,
                                   RewritePatternSet &patterns) {
  (void)converter;
  (void)patterns;
}

} // namespace onnxc
