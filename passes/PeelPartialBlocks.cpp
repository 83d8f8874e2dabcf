//===- PeelPartialBlocks.cpp - Full blocks and the last one apart ---------===//

#include "passes/PeelPartialBlocks.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace onnxc {

FailureOr<scf::ForallOp> peelPartialBlock(RewriterBase &rewriter,
                                          scf::ForallOp forall, unsigned dim) {
  if (dim >= forall.getRank())
    return failure();
  ArrayRef<int64_t> lbs = forall.getStaticLowerBound(),
                    ubs = forall.getStaticUpperBound(),
                    steps = forall.getStaticStep();
  int64_t lb = lbs[dim], ub = ubs[dim], step = steps[dim];
  if (ShapedType::isDynamic(lb) || ShapedType::isDynamic(ub) ||
      ShapedType::isDynamic(step) || step <= 0 || ub <= lb)
    return failure();
  int64_t fullEnd = lb + (ub - lb) / step * step;
  if (fullEnd == ub || fullEnd == lb)
    return failure();

  rewriter.setInsertionPointAfter(forall);
  auto last = cast<scf::ForallOp>(rewriter.clone(*forall));
  SmallVector<int64_t> fullUbs(ubs), lastLbs(lbs);
  fullUbs[dim] = fullEnd;
  lastLbs[dim] = fullEnd;
  rewriter.modifyOpInPlace(forall, [&] { forall.setStaticUpperBound(fullUbs); });
  // The results of `forall` now feed `last`, whose results take their
  // place everywhere else.
  rewriter.replaceAllUsesWith(forall.getResults(), last.getResults());
  rewriter.modifyOpInPlace(last, [&] {
    last.setStaticLowerBound(lastLbs);
    last.getOutputsMutable().assign(forall.getResults());
  });
  return last;
}

} // namespace onnxc
