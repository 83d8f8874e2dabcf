//===- ParallelizeElementwise.cpp - Large elementwise generics on threads -===//
//
// The contraction and depthwise kernels run on the session's threads, but
// everything between them (bias broadcasts, activations, residual adds,
// the im2col copies of VectorizeContractions) stayed serial: with two
// threads those serial parts cap the speed-up. An all-parallel generic
// writes each output element from one iteration, so any split of its
// iteration space writes disjoint parts of the outputs; a large one is
// tiled along its outer loop dims into an scf.forall of about `tiles`
// tiles, which the CPU pipeline runs like the kernels' (scf.parallel, then
// OpenMP with the session's thread count).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_PARALLELIZEELEMENTWISE
#include "passes/Passes.h.inc"

namespace {

/// Tile sizes splitting `ranges` into about `tiles` tiles: 1 along the
/// outer dims, a larger size along the dim where their product reaches
/// `tiles`, the inner dims whole (0). None when the outer dims give fewer
/// than two tiles.
std::optional<SmallVector<int64_t>> tileSizesFor(ArrayRef<int64_t> ranges,
                                                 int64_t tiles) {
  SmallVector<int64_t> sizes(ranges.size(), 0);
  int64_t count = 1;
  for (auto [i, range] : llvm::enumerate(ranges)) {
    if (range == 1)
      continue;
    if (count * range >= tiles) {
      int64_t chunks = llvm::divideCeil(tiles, count);
      sizes[i] = llvm::divideCeil(range, chunks);
      count *= llvm::divideCeil(range, sizes[i]);
      break;
    }
    sizes[i] = 1;
    count *= range;
  }
  if (count < 2)
    return std::nullopt;
  return sizes;
}

LogicalResult parallelize(RewriterBase &rewriter, linalg::GenericOp op,
                          int64_t minElements, int64_t tiles) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0 ||
      op.getNumReductionLoops() != 0)
    return rewriter.notifyMatchFailure(op, "not an all-parallel tensor op");
  if (op->getParentOfType<scf::ForallOp>())
    return rewriter.notifyMatchFailure(op, "already in a parallel loop");
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!op.getMatchingIndexingMap(&init).isPermutation())
      return rewriter.notifyMatchFailure(
          op, "an output map is not a permutation (iterations may share an "
              "element)");
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  uint64_t elements = 1;
  for (int64_t r : ranges) {
    if (ShapedType::isDynamic(r))
      return rewriter.notifyMatchFailure(op, "dynamic loop range");
    elements = llvm::SaturatingMultiply(elements, uint64_t(r));
  }
  if (elements < uint64_t(std::max<int64_t>(minElements, 0)))
    return rewriter.notifyMatchFailure(op, "too small to pay for threads");
  std::optional<SmallVector<int64_t>> sizes = tileSizesFor(ranges, tiles);
  if (!sizes)
    return rewriter.notifyMatchFailure(op, "no outer dim to split");

  scf::SCFTilingOptions options;
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  options.setTileSizes(getAsIndexOpFoldResult(op.getContext(), *sizes));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return failure();
  rewriter.replaceOp(op, tiled->replacements);
  return success();
}

struct ParallelizeElementwisePass
    : impl::ParallelizeElementwiseBase<ParallelizeElementwisePass> {
  using Base::Base;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics)
      (void)parallelize(rewriter, op, minParallelElements,
                        std::max<int64_t>(2, tiles));
  }
};

} // namespace
} // namespace onnxc
