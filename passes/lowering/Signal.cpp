//===- Signal.cpp - Window functions, DFT, STFT, MelWeightMatrix -------===//
//
// Signal processing ops: HannWindow, HammingWindow, BlackmanWindow, DFT,
// STFT and MelWeightMatrix.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

} // namespace

void populateSignalLoweringPatterns(OnnxTypeConverter &converter,
                                    RewritePatternSet &patterns) {
  (void)converter;
  (void)patterns;
}

} // namespace onnxc
