//===- ExpandBFloat16.cpp - bfloat16 casts without library calls ---------===//
//
// Upstream's arith bf16 expansion, applied on its own: the rest of
// arith-expand (min/max, ceil/floor division) would replace ops that LLVM
// lowers better itself.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_EXPANDBFLOAT16
#include "passes/Passes.h.inc"

namespace {

struct ExpandBFloat16Pass : impl::ExpandBFloat16Base<ExpandBFloat16Pass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    arith::populateExpandBFloat16Patterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace onnxc
