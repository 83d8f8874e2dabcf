//===- Quantization.cpp - QuantizeLinear, DequantizeLinear and friends ---===//
//
// Affine int8/uint8 quantization: (De)QuantizeLinear, DynamicQuantizeLinear,
// MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/LoweringUtils.h"

using namespace mlir;

namespace onnxc {
namespace {

} // namespace

void populateQuantizationLoweringPatterns(OnnxTypeConverter &converter,
                                          RewritePatternSet &patterns) {
  (void)converter;
  (void)patterns;
}

} // namespace onnxc
