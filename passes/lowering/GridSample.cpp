//===- GridSample.cpp - GridSample and RoiAlign ------------------------===//
//
// Both read an image at fractional coordinates and interpolate.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

} // namespace

void populateGridSampleLoweringPatterns(OnnxTypeConverter &converter,
                                        RewritePatternSet &patterns) {
  (void)converter;
  (void)patterns;
}

} // namespace onnxc
