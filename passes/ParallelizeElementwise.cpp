//===- ParallelizeElementwise.cpp - Large elementwise generics on threads -===//
//
// The contraction and depthwise kernels run on the session's threads, but
// everything between them (bias broadcasts, activations, residual adds,
// the im2col copies of VectorizeContractions, pooling) stayed serial: with
// two threads those serial parts cap the speed-up. An all-parallel generic
// writes each output element from one iteration, so any split of its
// iteration space writes disjoint parts of the outputs; a generic with
// reductions (MaxPool's window, a row sum) likewise along the parallel dims
// that every output indexes. A large one is tiled along its outer such
// dims into an scf.forall of about `tiles` tiles, which the CPU pipeline
// runs like the kernels' (scf.parallel, then OpenMP with the session's
// thread count).
//
// Transposes are made generics first and split the same way.
//
// The convolutions' tensor.pad (a fill and a copy, serial memset/memcpy
// once bufferized) is split the same way along its unpadded outer dims
// (batch, channels): each tile fills and copies its own planes.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_PARALLELIZEELEMENTWISE
#include "passes/Passes.h.inc"

namespace {

/// Tile sizes splitting `ranges` into about `tiles` tiles: 1 along the
/// outer dims, a larger size along the dim where their product reaches
/// `tiles`, the inner dims whole (0). Only dims in `splittable` are split
/// (the others stay whole wherever they are). None when the outer dims give
/// fewer than two tiles.
std::optional<SmallVector<int64_t>>
tileSizesFor(ArrayRef<int64_t> ranges, const llvm::SmallBitVector &splittable,
             int64_t tiles) {
  SmallVector<int64_t> sizes(ranges.size(), 0);
  int64_t count = 1;
  for (auto [i, range] : llvm::enumerate(ranges)) {
    if (range == 1 || !splittable.test(i))
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
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0)
    return rewriter.notifyMatchFailure(op, "not a tensor op");
  if (op->getParentOfType<scf::ForallOp>())
    return rewriter.notifyMatchFailure(op, "already in a parallel loop");
  // A loop dim may be split when it is parallel and every output indexes
  // it (as a plain dim): the tiles then write disjoint parts of every
  // output, each with its whole reductions (a pooling window, a row sum).
  // In an all-parallel generic with permutation output maps, every dim.
  llvm::SmallBitVector splittable(op.getNumLoops(), false);
  auto iterators = op.getIteratorTypesArray();
  for (unsigned d = 0, e = op.getNumLoops(); d < e; ++d)
    splittable[d] = iterators[d] == utils::IteratorType::parallel;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return rewriter.notifyMatchFailure(
          op, "an output map is not a projected permutation (iterations may "
              "share an element)");
    llvm::SmallBitVector indexed(op.getNumLoops(), false);
    for (AffineExpr e : map.getResults())
      indexed.set(cast<AffineDimExpr>(e).getPosition());
    splittable &= indexed;
  }
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  uint64_t elements = 1;
  for (int64_t r : ranges) {
    if (ShapedType::isDynamic(r))
      return rewriter.notifyMatchFailure(op, "dynamic loop range");
    elements = llvm::SaturatingMultiply(elements, uint64_t(r));
  }
  if (elements < uint64_t(std::max<int64_t>(minElements, 0)))
    return rewriter.notifyMatchFailure(op, "too small to pay for threads");
  std::optional<SmallVector<int64_t>> sizes =
      tileSizesFor(ranges, splittable, tiles);
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

/// tensor.pad with a constant value and static shapes, whose leading dims
/// are not padded: an scf.forall over those dims (tiles of 1, until there
/// are `tiles` of them) whose iterations fill their part of the result and
/// copy the source's into it.
LogicalResult parallelizePad(RewriterBase &rewriter, tensor::PadOp op,
                             int64_t minElements, int64_t tiles) {
  RankedTensorType resultType = op.getResultType();
  RankedTensorType sourceType = op.getSourceType();
  Value padValue = op.getConstantPaddingValue();
  if (!padValue || !resultType.hasStaticShape() ||
      !sourceType.hasStaticShape() || !op.getLow().empty() ||
      !op.getHigh().empty())
    return rewriter.notifyMatchFailure(
        op, "needs static shapes, static padding and a constant value");
  if (op->getParentOfType<scf::ForallOp>())
    return rewriter.notifyMatchFailure(op, "already in a parallel loop");
  if (resultType.getNumElements() < std::max<int64_t>(minElements, 0))
    return rewriter.notifyMatchFailure(op, "too small to pay for threads");
  ArrayRef<int64_t> low = op.getStaticLow(), high = op.getStaticHigh();
  int64_t rank = resultType.getRank(), outer = 0, count = 1;
  while (outer < rank && low[outer] == 0 && high[outer] == 0 &&
         count < tiles) {
    count *= resultType.getDimSize(outer);
    ++outer;
  }
  if (count < 2)
    return rewriter.notifyMatchFailure(op, "no unpadded outer dims to split");

  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                        resultType.getElementType());
  SmallVector<OpFoldResult> bounds;
  for (int64_t i = 0; i < outer; ++i)
    bounds.push_back(rewriter.getIndexAttr(resultType.getDimSize(i)));
  auto forall = scf::ForallOp::create(
      rewriter, loc, bounds, ValueRange{empty}, std::nullopt,
      [&](OpBuilder &b, Location, ValueRange args) {
        Value out = args[outer];
        // Offsets: the tile's indices on the outer dims, 0 inside; sizes:
        // 1 on the outer dims, whole inside.
        auto slice = [&](ArrayRef<int64_t> shape) {
          SmallVector<OpFoldResult> offsets, sizes;
          for (int64_t i = 0; i < rank; ++i) {
            offsets.push_back(i < outer ? OpFoldResult(args[i])
                                        : OpFoldResult(b.getIndexAttr(0)));
            sizes.push_back(b.getIndexAttr(i < outer ? 1 : shape[i]));
          }
          return std::make_pair(offsets, sizes);
        };
        SmallVector<OpFoldResult> unit(rank, b.getIndexAttr(1));
        auto [srcOffsets, srcSizes] = slice(sourceType.getShape());
        auto [dstOffsets, dstSizes] = slice(resultType.getShape());
        Value src = tensor::ExtractSliceOp::create(b, loc, op.getSource(),
                                                   srcOffsets, srcSizes, unit);
        Value dst = tensor::ExtractSliceOp::create(b, loc, out, dstOffsets,
                                                   dstSizes, unit);
        Value filled =
            linalg::FillOp::create(b, loc, padValue, dst).getResult(0);
        SmallVector<OpFoldResult> at;
        for (int64_t i = 0; i < rank; ++i)
          at.push_back(b.getIndexAttr(i < outer ? 0 : low[i]));
        Value copied = tensor::InsertSliceOp::create(b, loc, src, filled, at,
                                                     srcSizes, unit);
        auto inParallel = scf::InParallelOp::create(b, loc);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(inParallel.getBody());
        tensor::ParallelInsertSliceOp::create(b, loc, copied, out, dstOffsets,
                                              dstSizes, unit);
      });
  rewriter.replaceOp(op, forall.getResults());
  return success();
}

struct ParallelizeElementwisePass
    : impl::ParallelizeElementwiseBase<ParallelizeElementwisePass> {
  using Base::Base;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Transposes (attention's heads split and K^T) as generics first, so
    // that they are split too: as linalg.transpose they stayed one serial
    // loop nest (BERT: 1.8% of its time at one thread, twice that share
    // at two).
    SmallVector<linalg::TransposeOp> transposes;
    getOperation().walk([&](linalg::TransposeOp op) {
      if (op.hasPureTensorSemantics() &&
          !op->getParentOfType<scf::ForallOp>())
        transposes.push_back(op);
    });
    for (linalg::TransposeOp op : transposes) {
      rewriter.setInsertionPoint(op);
      (void)linalg::generalizeNamedOp(rewriter, op);
    }
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics)
      (void)parallelize(rewriter, op, minParallelElements,
                        std::max<int64_t>(2, tiles));
    SmallVector<tensor::PadOp> pads;
    getOperation().walk([&](tensor::PadOp op) { pads.push_back(op); });
    for (tensor::PadOp op : pads)
      (void)parallelizePad(rewriter, op, minParallelElements,
                           std::max<int64_t>(2, tiles));
  }
};

} // namespace
} // namespace onnxc
