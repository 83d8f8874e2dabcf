//===- ApproximateMath.cpp - f32 erf and exp without libm calls -----------===//
//
// Upstream's polynomial approximations of erf and exp, applied on their
// own: the rest of math-polynomial-approximation (log, tanh, ...) would
// replace ops that libm computes more accurately at no cost that matters
// here. erf has no LLVM intrinsic and exp's intrinsic becomes an expf call
// per element (per lane of a vector: LLVM has no vector exp without a
// vector math library), so a GELU epilogue or Softmax's exp(x - max) in a
// vector loop ran one libm call per lane. As arithmetic they stay in
// vector registers, and LLVM vectorizes the scalar loops around them. It
// runs after vectorization and before the vector and math conversions.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "passes/Passes.h.inc"

namespace {

struct ApproximateMathPass : impl::ApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // Matches f32 and vectors of f32 only; f16, bf16 and f64 keep their
    // libm calls.
    populatePolynomialApproximateErfPattern(patterns);
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) { return name == math::ExpOp::getOperationName(); });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace onnxc
