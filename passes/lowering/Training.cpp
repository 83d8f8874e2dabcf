//===- Training.cpp - Optimizer updates and training-mode ops ----------===//
//
// ai.onnx.preview.training optimizers (Adagrad, Adam, Momentum) and the
// training forms of Dropout and BatchNormalization.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

} // namespace

void populateTrainingLoweringPatterns(OnnxTypeConverter &converter,
                                      RewritePatternSet &patterns) {
  (void)converter;
  (void)patterns;
}

} // namespace onnxc
