//===- ApproximateErf.cpp - f32 erf without a libm call -------------------===//
//
// Upstream's erf polynomial approximation, applied on its own: the rest of
// math-polynomial-approximation (exp, log, tanh, ...) would replace ops
// that LLVM lowers to intrinsics or that libm computes more accurately.
// It runs after vectorization, so that an erf a contraction epilogue put
// on vector accumulators becomes vector arithmetic, and before the vector
// and math conversions to LLVM.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_APPROXIMATEERF
#include "passes/Passes.h.inc"

namespace {

struct ApproximateErfPass : impl::ApproximateErfBase<ApproximateErfPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // Matches f32 and vectors of f32 only; f16, bf16 and f64 erf keep
    // their libm call.
    populatePolynomialApproximateErfPattern(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace onnxc
