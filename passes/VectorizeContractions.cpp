//===- VectorizeContractions.cpp - Register-blocked contraction kernels ---===//
//
// The lowerings emit every MatMul, Gemm and Conv as a linalg contraction
// (a generic whose body is `acc + a * b`). Lowered to scalar loops these
// run at a fraction of a GFLOP/s; this pass turns them into register-blocked
// vector code before bufferization:
//
//  1. A convolution generic (the form passes/lowering/Conv.cpp emits) is
//     rewritten as an explicit im2col copy followed by a batched matrix
//     product: col[n, g, (c, k...), (o...)] = X[n, g, c, o*s + k*d], then
//     Y[n, g, m, p] += W[g, m, r] * col[n, g, r, p]. A 1x1 convolution with
//     unit strides needs no copy (col is X itself).
//     (f32 depthwise convolutions never get here: the CPU pipeline runs
//     passes/VectorizeDepthwiseConv.cpp first.)
//  2. A contraction with static columns and reduction and an f32/f64
//     `acc + a * b` body is tiled (scf::tileUsingSCF) so that each tile is a
//     block of MR rows by NR columns of the output (NR a power of two of
//     vectors; the other parallel dims tiled by 1). Each tile becomes a
//     loop over the reduction dim that keeps the MR x NR accumulators in
//     vector registers: per step, one vector of B's row, MR broadcast
//     elements of A's column and MR vector FMAs. Partial tiles at the edges
//     use out-of-bounds transfers (masked loads and stores), so any size
//     works.
//     A product with fewer rows than MR (batch-1 MatMul/Gemm: a matrix-
//     vector product) spends the register budget on more columns instead;
//     one whose row count is only known at run time is versioned on it
//     (scf.if few rows: one row at a time, wide; else MR-row blocks).
//     B's panel (its NR columns over the whole reduction) is read from a
//     packed copy, one contiguous run, where reading it in place would be
//     slow (passes/ColumnPanels.h): a constant B always (packed at compile
//     time), another when it is read across its rows or its rows alias in
//     the caches. A is packed likewise when its MR rows share an L1 set.
//     An elementwise op that is the product's only consumer (bias, ReLU,
//     Clip, GELU, a residual add) is applied to the accumulators before they
//     are stored (passes/ContractionEpilogue.h) instead of in another pass
//     over C; when C's initial value is only a fill or a broadcast bias,
//     the accumulators start from that value (passes/AccumulatorInit.h)
//     instead of reading C back.
//  3. With the `parallel` option, the blocks of a large contraction are one
//     scf.forall over every parallel dim instead of nested scf.for loops:
//     they write disjoint parts of the output, and the CPU pipeline runs the
//     loop on the session's threads (codegen/CpuPipeline.cpp).
//
// Anything else is left for the scalar-loop lowering. The vector ops are
// lowered by the CPU pipeline (convert-vector-to-scf, convert-vector-to-llvm).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/AccumulatorInit.h"
#include "passes/ColumnPanels.h"
#include "passes/ContractionEpilogue.h"
#include "passes/ConvForm.h"
#include "passes/PeelPartialBlocks.h"
#include "passes/lowering/LoweringUtils.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "llvm/Support/MathExtras.h"

#include <numeric>

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_VECTORIZECONTRACTIONS
#include "passes/Passes.h.inc"

namespace {

bool isVectorizableElement(Type t) { return t.isF32() || t.isF64(); }

//===----------------------------------------------------------------------===//
// Unfusing elementwise prologues
//===----------------------------------------------------------------------===//

/// Elementwise fusion (in the onnx -> linalg pipeline) folds producers such
/// as a ReLU into a convolution or matrix product: the body becomes
/// `acc + f(x...) * g(w...)`. Such a generic is split back into one
/// elementwise generic per side that computes f (resp. g) and a plain
/// `acc + a * b` contraction, which the kernels below handle (computing f
/// inside the contraction evaluates it once per column of the product: a
/// GELU fused into BERT's second FFN matmul costs 768 erf calls per
/// element). A side is only split when one of its inputs reads every index
/// that the others read (the others are broadcast over it); f is then
/// computed once over that input's shape.
LogicalResult unfusePrologues(RewriterBase &rewriter, linalg::GenericOp op) {
  if (op.getNumDpsInits() != 1 || op->getNumResults() != 1 ||
      op.getNumDpsInputs() < 2 || !op.hasPureTensorSemantics() ||
      op.getNumReductionLoops() == 0)
    return failure();
  Block &body = *op.getBlock();
  unsigned numInputs = op.getNumDpsInputs();
  Value acc = body.getArgument(numInputs);
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || !add->hasOneUse() || !acc.hasOneUse() ||
      (add.getLhs() != acc && add.getRhs() != acc))
    return failure();
  auto mul = (add.getLhs() == acc ? add.getRhs() : add.getLhs())
                 .getDefiningOp<arith::MulFOp>();
  if (!mul || !mul->hasOneUse() || mul->getBlock() != &body)
    return failure();
  // The inputs each body value depends on (bit i: input i).
  DenseMap<Value, uint64_t> deps;
  if (numInputs > 64)
    return failure();
  for (unsigned i = 0; i < numInputs; ++i)
    deps[body.getArgument(i)] = uint64_t(1) << i;
  for (Operation &inner : body.without_terminator()) {
    if (&inner == add.getOperation() || &inner == mul.getOperation())
      continue;
    if (inner.getNumRegions() || isa<linalg::IndexOp>(inner) ||
        !isPure(&inner))
      return failure();
    uint64_t d = 0;
    for (Value v : inner.getOperands()) {
      if (v == acc)
        return failure(); // not a prologue: reads the accumulator
      d |= deps.lookup(v); // 0 for values from above (constants)
    }
    for (Value r : inner.getResults())
      deps[r] = d;
  }
  Value sides[2] = {mul.getLhs(), mul.getRhs()};
  uint64_t sideDeps[2] = {deps.lookup(sides[0]), deps.lookup(sides[1])};
  if (!sideDeps[0] || !sideDeps[1] || (sideDeps[0] & sideDeps[1]) ||
      (sideDeps[0] | sideDeps[1]) != (uint64_t(1) << numInputs) - 1)
    return failure();
  Type elem = getElementTypeOrSelf(op->getResult(0).getType());
  if (sides[0].getType() != elem || sides[1].getType() != elem)
    return failure();
  bool trivial[2] = {isa<BlockArgument>(sides[0]),
                     isa<BlockArgument>(sides[1])};
  if (trivial[0] && trivial[1])
    return failure(); // already a plain contraction

  auto maps = op.getIndexingMapsArray();
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> newInputs;
  SmallVector<AffineMap> newMaps;
  for (int side = 0; side < 2; ++side) {
    SmallVector<unsigned> inputs;
    for (unsigned i = 0; i < numInputs; ++i)
      if (sideDeps[side] & (uint64_t(1) << i))
        inputs.push_back(i);
    // The side's domain: its input with the most indexing results; every
    // other input must read a subset of those results (a broadcast).
    unsigned domain = inputs.front();
    for (unsigned i : inputs)
      if (maps[i].getNumResults() > maps[domain].getNumResults())
        domain = i;
    AffineMap map = maps[domain];
    Type type = op.getDpsInputs()[domain].getType();
    SmallVector<AffineMap> pointwise;
    for (unsigned i : inputs) {
      SmallVector<AffineExpr> exprs;
      for (AffineExpr e : maps[i].getResults()) {
        auto it = llvm::find(map.getResults(), e);
        if (it == map.getResults().end())
          return failure();
        exprs.push_back(rewriter.getAffineDimExpr(
            std::distance(map.getResults().begin(), it)));
      }
      pointwise.push_back(
          AffineMap::get(map.getNumResults(), 0, exprs, op.getContext()));
    }
    if (trivial[side]) {
      newInputs.push_back(
          op.getDpsInputs()[cast<BlockArgument>(sides[side]).getArgNumber()]);
      newMaps.push_back(map);
      continue;
    }
    auto tensorType = dyn_cast<RankedTensorType>(type);
    if (!tensorType)
      return failure();
    SmallVector<Value> operands;
    for (unsigned i : inputs)
      operands.push_back(op.getDpsInputs()[i]);
    int64_t rank = tensorType.getRank();
    // Dynamic dims (a model's batch) come from the domain input itself.
    Value empty = tensor::EmptyOp::create(
        rewriter, loc,
        tensor::getMixedSizes(rewriter, loc, op.getDpsInputs()[domain]),
        elem);
    pointwise.push_back(rewriter.getMultiDimIdentityMap(rank));
    Value computed = sides[side];
    uint64_t mine = sideDeps[side];
    auto prologue = linalg::GenericOp::create(
        rewriter, loc, empty.getType(), operands, empty, pointwise,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          IRMapping mapping;
          for (auto [k, i] : llvm::enumerate(inputs))
            mapping.map(body.getArgument(i), args[k]);
          // Clone this side's ops (and the constants they use), in order.
          for (Operation &inner : body.without_terminator()) {
            if (&inner == add.getOperation() || &inner == mul.getOperation())
              continue;
            uint64_t d = inner.getNumResults() ? deps.lookup(inner.getResult(0))
                                               : 0;
            if (d && (d & ~mine))
              continue;
            b.clone(inner, mapping);
          }
          linalg::YieldOp::create(b, l, mapping.lookup(computed));
        });
    newInputs.push_back(prologue.getResult(0));
    newMaps.push_back(map);
  }
  newMaps.push_back(maps[numInputs]);
  auto product = linalg::GenericOp::create(
      rewriter, loc, op->getResult(0).getType(), newInputs, op.getDpsInits(),
      newMaps, op.getIteratorTypesArray(),
      [](OpBuilder &b, Location l, ValueRange a) {
        Value prod = arith::MulFOp::create(b, l, a[0], a[1]);
        linalg::YieldOp::create(
            b, l, arith::AddFOp::create(b, l, a[2], prod).getResult());
      });
  rewriter.replaceOp(op, product.getResults());
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution -> im2col + matrix product
//===----------------------------------------------------------------------===//

LogicalResult rewriteConvAsMatmul(RewriterBase &rewriter, linalg::GenericOp op,
                                  const ConvForm &form) {
  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  int64_t ns = form.ns;
  Value x = op.getDpsInputs()[0], w = op.getDpsInputs()[1];
  Value init = op.getDpsInits()[0];
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  auto yType = cast<RankedTensorType>(init.getType());
  Type elem = yType.getElementType();
  int64_t n = xType.getDimSize(0), g = xType.getDimSize(1),
          cg = xType.getDimSize(2);
  ArrayRef<int64_t> kernel = wType.getShape().drop_front(3);
  ArrayRef<int64_t> outSpatial = yType.getShape().drop_front(3);
  rewriter.setInsertionPoint(op);
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  auto range = [](int64_t from, int64_t count) {
    ReassociationIndices r;
    for (int64_t i = 0; i < count; ++i)
      r.push_back(from + i);
    return r;
  };

  // col[n, g, c, k..., o...] (copy) or X itself for 1x1, unit strides.
  bool identity = true;
  for (int64_t i = 0; i < ns; ++i)
    identity &= kernel[i] == 1 && form.strides[i] == 1 &&
                xType.getDimSize(3 + i) == outSpatial[i];
  Value col2d;
  if (identity) {
    col2d = tensor::CollapseShapeOp::create(
        rewriter, loc, x,
        SmallVector<ReassociationIndices>{{0}, {1}, {2}, range(3, ns)});
  } else {
    SmallVector<int64_t> colShape{n, g, cg};
    colShape.append(kernel.begin(), kernel.end());
    colShape.append(outSpatial.begin(), outSpatial.end());
    int64_t colRank = colShape.size();
    SmallVector<AffineExpr> xExprs{d(0), d(1), d(2)};
    for (int64_t i = 0; i < ns; ++i)
      xExprs.push_back(d(3 + ns + i) * form.strides[i] +
                       d(3 + i) * form.dilations[i]);
    Value empty = tensor::EmptyOp::create(rewriter, loc, colShape, elem);
    Value col = buildMappedCopy(rewriter, loc, x,
                                AffineMap::get(colRank, 0, xExprs, ctx), empty);
    col2d = tensor::CollapseShapeOp::create(
        rewriter, loc, col,
        SmallVector<ReassociationIndices>{
            {0}, {1}, range(2, 1 + ns), range(3 + ns, ns)});
  }
  Value w2d = tensor::CollapseShapeOp::create(
      rewriter, loc, w,
      SmallVector<ReassociationIndices>{{0}, {1}, range(2, 1 + ns)});
  SmallVector<ReassociationIndices> outReassoc{{0}, {1}, {2}, range(3, ns)};
  Value init2d =
      tensor::CollapseShapeOp::create(rewriter, loc, init, outReassoc);
  // Loops n g m p | r: Y[n, g, m, p] += W[g, m, r] * col[n, g, r, p].
  auto product =
      linalg::GenericOp::create(
          rewriter, loc, init2d.getType(), ValueRange{w2d, col2d}, init2d,
          ArrayRef<AffineMap>{AffineMap::get(5, 0, {d(1), d(2), d(4)}, ctx),
                              AffineMap::get(5, 0, {d(0), d(1), d(4), d(3)},
                                             ctx),
                              AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)},
                                             ctx)},
          {utils::IteratorType::parallel, utils::IteratorType::parallel,
           utils::IteratorType::parallel, utils::IteratorType::parallel,
           utils::IteratorType::reduction},
          [](OpBuilder &b, Location l, ValueRange a) {
            Value prod = arith::MulFOp::create(b, l, a[0], a[1]);
            linalg::YieldOp::create(b, l,
                                    arith::AddFOp::create(b, l, a[2], prod)
                                        .getResult());
          })
          .getResult(0);
  rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, yType, product,
                                                     outReassoc);
  return success();
}

//===----------------------------------------------------------------------===//
// Contraction -> register-blocked vector kernel
//===----------------------------------------------------------------------===//

/// Which loop dims play which role in a contraction C[.., m, n] += A * B.
struct ContractionPlan {
  int64_t m = -1; // -1: no row dim (the output is a row vector)
  int64_t n = -1;
  int64_t k = -1;
  unsigned aIdx = 0, bIdx = 1; // inputs holding (m, k) and (k, n)
};

/// Positions of map results that are dims; -1 for constants (broadcast).
std::optional<SmallVector<int64_t>> resultDims(AffineMap map) {
  SmallVector<int64_t> dims;
  for (AffineExpr e : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(e)) {
      if (llvm::is_contained(dims, int64_t(dim.getPosition())))
        return std::nullopt;
      dims.push_back(dim.getPosition());
    } else if (auto c = dyn_cast<AffineConstantExpr>(e);
               c && c.getValue() == 0) {
      dims.push_back(-1);
    } else {
      return std::nullopt;
    }
  }
  return dims;
}

std::optional<ContractionPlan> planContraction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op->getNumResults() != 1 || !op.hasPureTensorSemantics() ||
      op->getNumRegions() != 1 || !isMulAddBody(*op.getBlock()))
    return std::nullopt;
  Type elem = getElementTypeOrSelf(op->getResult(0).getType());
  if (!isVectorizableElement(elem))
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands())
    if (getElementTypeOrSelf(operand.get().getType()) != elem ||
        !isa<RankedTensorType>(operand.get().getType()))
      return std::nullopt;
  auto iterators = op.getIteratorTypesArray();
  ContractionPlan plan;
  int64_t numParallel = 0;
  // With several reduction dims (reshapes propagated through a matmul split
  // its k), the last is the kernel's; the others become loops around it.
  for (auto [i, it] : llvm::enumerate(iterators)) {
    if (it == utils::IteratorType::parallel)
      ++numParallel;
    else
      plan.k = i;
  }
  if (plan.k < 0)
    return std::nullopt;
  auto maps = op.getIndexingMapsArray();
  auto aDims = resultDims(maps[0]), bDims = resultDims(maps[1]),
       cDims = resultDims(maps[2]);
  if (!aDims || !bDims || !cDims || cDims->empty() ||
      int64_t(cDims->size()) != numParallel ||
      llvm::is_contained(*cDims, -1) || llvm::is_contained(*cDims, plan.k))
    return std::nullopt;
  for (int64_t dim : *cDims)
    if (iterators[dim] != utils::IteratorType::parallel)
      return std::nullopt;
  if (!llvm::is_contained(*aDims, plan.k) ||
      !llvm::is_contained(*bDims, plan.k))
    return std::nullopt;
  plan.n = cDims->back();
  bool nInA = llvm::is_contained(*aDims, plan.n),
       nInB = llvm::is_contained(*bDims, plan.n);
  if (nInA == nInB)
    return std::nullopt;
  if (nInA) {
    std::swap(plan.aIdx, plan.bIdx);
    std::swap(aDims, bDims);
  }
  // Columns and the kernel's reduction need static sizes; rows and the
  // dims tiled by 1 may be dynamic (a batch dim of a model).
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ShapedType::isDynamic(ranges[plan.n]) ||
      ShapedType::isDynamic(ranges[plan.k]))
    return std::nullopt;
  // Rows: the largest output dim that only A reads (the innermost on ties;
  // dynamic counts as large), so that a unit dim (as in [128, 1, 768] x
  // [768, N]) is never chosen.
  auto extent = [&](int64_t dim) {
    return ShapedType::isDynamic(ranges[dim])
               ? std::numeric_limits<int64_t>::max()
               : ranges[dim];
  };
  for (int64_t dim : *cDims)
    if (dim != plan.n && llvm::is_contained(*aDims, dim) &&
        !llvm::is_contained(*bDims, dim) &&
        (plan.m < 0 || extent(dim) >= extent(plan.m)))
      plan.m = dim;
  return plan;
}

/// Indices into an operand of the tiled op: the reduction iv at the
/// reduction dim's position, 0 elsewhere (the tile's slices start at 0).
SmallVector<Value> tileIndices(OpBuilder &b, Location loc, AffineMap map,
                               int64_t k, Value kIv) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  SmallVector<Value> indices;
  for (AffineExpr e : map.getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(e);
    indices.push_back(dim && int64_t(dim.getPosition()) == k ? kIv : zero);
  }
  return indices;
}

/// The transfer permutation map reading `vectorDims` (loop dims) of an
/// operand indexed by `map`.
AffineMap transferMap(AffineMap map, ArrayRef<int64_t> vectorDims) {
  SmallVector<AffineExpr> exprs;
  for (int64_t dim : vectorDims) {
    std::optional<unsigned> pos = map.getResultPosition(
        getAffineDimExpr(dim, map.getContext()));
    exprs.push_back(getAffineDimExpr(*pos, map.getContext()));
  }
  return AffineMap::get(map.getNumResults(), 0, exprs, map.getContext());
}

/// in_bounds of a transfer of `shape` (vector) from `source` along `tmap`.
SmallVector<bool> inBounds(Value source, AffineMap tmap,
                           ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(source.getType());
  SmallVector<bool> result;
  for (auto [i, e] : llvm::enumerate(tmap.getResults())) {
    int64_t size = type.getDimSize(cast<AffineDimExpr>(e).getPosition());
    result.push_back(!ShapedType::isDynamic(size) && size >= shape[i]);
  }
  return result;
}

/// Multiply-adds of a contraction with loop `ranges`, dynamic ones
/// counted as 1.
uint64_t staticMacs(ArrayRef<int64_t> ranges) {
  uint64_t macs = 1;
  for (int64_t range : ranges)
    if (!ShapedType::isDynamic(range))
      macs = llvm::SaturatingMultiply(macs, uint64_t(range));
  return macs;
}

/// Whether the blocks of a contraction are worth a parallel region: more
/// than one block (or a dynamic count of them), and enough work to pay for
/// waking the other threads even when every dynamic size is 1 (a model's
/// batch dim is often 1 at run time).
bool worthParallel(ArrayRef<int64_t> ranges, ArrayRef<OpFoldResult> tileSizes,
                   int64_t minMacs) {
  uint64_t macs = staticMacs(ranges), blocks = 1;
  bool dynamicBlocks = false;
  for (auto [range, size] : llvm::zip(ranges, tileSizes)) {
    int64_t tile = getConstantIntValue(size).value_or(0);
    if (ShapedType::isDynamic(range)) {
      dynamicBlocks |= tile > 0;
      continue;
    }
    if (tile > 0)
      blocks = llvm::SaturatingMultiply(
          blocks, uint64_t(llvm::divideCeil(range, tile)));
  }
  return (blocks > 1 || dynamicBlocks) &&
         macs >= uint64_t(std::max<int64_t>(minMacs, 0));
}

/// The offsets of `tile` in the operand it was sliced from, through any
/// chain of (unit-stride) extract_slices: 0 in every dim when it is the
/// operand itself.
SmallVector<OpFoldResult> sliceOffsets(OpBuilder &b, Location loc,
                                       Value tile) {
  int64_t rank = cast<RankedTensorType>(tile.getType()).getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  AffineExpr d0 = b.getAffineDimExpr(0), d1 = b.getAffineDimExpr(1);
  while (auto slice = tile.getDefiningOp<tensor::ExtractSliceOp>()) {
    if (slice.getSourceType().getRank() != rank)
      break; // rank-reducing: not what tiling makes
    for (auto [total, offset] : llvm::zip(offsets, slice.getMixedOffsets()))
      total = affine::makeComposedFoldedAffineApply(b, loc, d0 + d1,
                                                    {total, offset});
    tile = slice.getSource();
  }
  return offsets;
}

/// The cache geometry the packing heuristic assumes, that of current x86
/// and Arm server cores: 64-byte lines, 12 L1 ways of 4 KiB (64 sets), L2
/// ways of 128 KiB, 16 of them (12 and 16 on Intel's Golden Cove).
constexpr int64_t kLineBytes = 64, kL1WayBytes = 4096, kL1Ways = 12,
                  kL2WayBytes = 131072, kL2Ways = 16;

/// B rows shorter than this many bytes, read by at least kShortRowReuse
/// blocks of rows, are packed at run time (see runtimePackingPays).
constexpr int64_t kShortRowBytes = 1024, kShortRowReuse = 32;

/// The number of distinct sets that addresses `strideBytes` apart fall
/// into, in a cache whose ways are `wayBytes` long.
int64_t setsTouched(int64_t strideBytes, int64_t wayBytes) {
  return std::min(wayBytes / kLineBytes,
                  wayBytes / std::gcd(strideBytes, wayBytes));
}

/// Elements between consecutive indices of dim `pos` of a row-major tensor
/// of `type`; std::nullopt when a later dim is dynamic.
std::optional<int64_t> dimStride(RankedTensorType type, int64_t pos) {
  int64_t stride = 1;
  for (int64_t d = pos + 1; d < type.getRank(); ++d) {
    if (type.isDynamicDim(d))
      return std::nullopt;
    stride *= type.getDimSize(d);
  }
  return stride;
}

/// Whether copying input `index` of `op` into panels of `width` along loop
/// dim `panelDim` (n for B, m for A) at run time is worth its pass over
/// the operand, read by `reuse` blocks of the other dim (0: unknown).
/// It is when the kernel's reads in place are pathological:
///  - B read across its rows (n not its innermost dim, as attention's
///    K^T): every vector is a gather;
///  - A's mr elements of a column (`width` rows K elements apart) falling
///    into so few L1 sets that they take more than half of a set's ways
///    (K * 4 bytes a multiple of 4 KiB: all in one set);
///  - a panel's K rows (contiguous runs of `width`) falling into too few
///    L2 sets to stay there while the blocks of the other dim reuse it:
///    rows 1024 floats apart touch 32 of 2048 sets.
///  - B's rows shorter than kShortRowBytes (a convolution's 14x14 or 7x7
///    output: rows of 196 or 49 floats), read by at least kShortRowReuse
///    blocks of rows: each panel's rows start mid-line, share lines with
///    the next panel, and the last panel is a masked read on every k
///    step. Packed, they are whole lines. Measured on resnet50's layers:
///    2-18% faster with 32 to 256 blocks of rows, but up to 40% slower
///    at 56x56 with 8 or 16 (a 7 MB im2col copy read by few blocks).
/// Otherwise the copy would cost about as much as it saves: in a
/// convolution of 64 output channels the im2col matrix is read by only
/// eight blocks of rows.
bool runtimePackingPays(linalg::LinalgOp op, unsigned index, int64_t panelDim,
                        int64_t k, int64_t width, int64_t reuse, bool isB) {
  if (reuse == 1)
    return false;
  Value operand = op.getDpsInputs()[index];
  auto type = cast<RankedTensorType>(operand.getType());
  AffineMap map = op.getIndexingMapsArray()[index];
  std::optional<unsigned> panelPos =
      map.getResultPosition(getAffineDimExpr(panelDim, op.getContext()));
  std::optional<unsigned> kPos =
      map.getResultPosition(getAffineDimExpr(k, op.getContext()));
  if (!panelPos || !kPos)
    return false;
  int64_t elementBytes =
      llvm::divideCeil(type.getElementType().getIntOrFloatBitWidth(), 8);
  if (int64_t(*panelPos) != type.getRank() - 1) {
    if (isB)
      return true;
    std::optional<int64_t> stride = dimStride(type, *panelPos);
    return stride && width / setsTouched(*stride * elementBytes,
                                         kL1WayBytes) > kL1Ways / 2;
  }
  std::optional<int64_t> stride = dimStride(type, *kPos);
  int64_t kSize = type.getDimSize(*kPos);
  if (!stride || ShapedType::isDynamic(kSize))
    return false;
  if (isB && reuse >= kShortRowReuse &&
      *stride * elementBytes < kShortRowBytes)
    return true;
  int64_t panelLines = kSize * llvm::divideCeil(width * elementBytes, kLineBytes);
  return panelLines >
         setsTouched(*stride * elementBytes, kL2WayBytes) * kL2Ways / 2;
}

/// Vectorizes `op`; with `epilogue`, also applies it to every block before
/// the store when that is possible, and says so in `epilogueApplied`. With
/// `packPanels`, A and B are read from packed panels where that pays
/// (passes/ColumnPanels.h). With `inPlaceResidual`, the result may take over
/// the buffer of a residual that the epilogue adds (writeIntoResidual).
LogicalResult vectorizeContraction(RewriterBase &rewriter, linalg::LinalgOp op,
                                   const ContractionPlan &plan, int64_t mr,
                                   int64_t nr, int64_t lanes, bool parallel,
                                   int64_t minParallelMacs, int64_t minPeelMacs,
                                   bool packPanels,
                                   const ContractionEpilogue *epilogue,
                                   bool inPlaceResidual,
                                   bool &epilogueApplied) {
  epilogueApplied = false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t mSize = plan.m < 0                            ? 1
                  : ShapedType::isDynamic(ranges[plan.m]) ? mr
                                                          : std::min(mr, ranges[plan.m]);
  // Blocks a power of two of whole vectors wide (the last block masked
  // where the columns end): LLVM legalizes a vector<49xf32> (a 7x7
  // convolution's output under 64-column blocks) into shuffles and spills,
  // and a vector<48xf32> or <40xf32> likewise (a 512 x 512 x 48 product
  // took 35x as long as 512 x 512 x 64; resnet50 4.6x as long).
  int64_t nSize = std::min(nr, ranges[plan.n]);
  if (nSize > lanes && nSize % lanes == 0 &&
      llvm::isPowerOf2_64(nSize / lanes)) {
    // Already whole vectors, a power of two of them.
  } else if (nSize > lanes) {
    int64_t vectors = llvm::PowerOf2Ceil(llvm::divideCeil(nSize, lanes));
    if (vectors * lanes > nr)
      vectors = int64_t(1) << llvm::Log2_64(nr / lanes);
    nSize = vectors * lanes;
  }
  int64_t kSize = ranges[plan.k];
  if (mSize <= 0 || nSize <= 0 || kSize <= 0)
    return failure();

  // B from panels when it has more than one (with one, B's rows are
  // already the panel's), or when it is read across its rows (a transposed
  // B: even one panel would be a gather per k step).
  AffineMap bOperandMap = op.getIndexingMapsArray()[plan.bIdx];
  std::optional<unsigned> bColumnPos = bOperandMap.getResultPosition(
      rewriter.getAffineDimExpr(plan.n));
  bool bAcrossRows =
      bColumnPos && *bColumnPos + 1 != bOperandMap.getNumResults();
  std::optional<ColumnPanels> panels;
  if (packPanels && (ranges[plan.n] > nSize || bAcrossRows)) {
    int64_t rowBlocks =
        plan.m < 0 ? 1
        : ShapedType::isDynamic(ranges[plan.m])
            ? 0
            : llvm::divideCeil(ranges[plan.m], mSize);
    FailureOr<ColumnPanels> packed = packColumnPanels(
        rewriter, op, plan.bIdx, plan.k, plan.n, nSize,
        runtimePackingPays(op, plan.bIdx, plan.n, plan.k, nSize, rowBlocks,
                           /*isB=*/true));
    if (succeeded(packed))
      panels = *packed;
  }
  // A from panels of mr rows (Ap[.., i, k, r] = A[.., i * mr + r, k]):
  // the kernel's column of A is then mr consecutive elements, not mr rows
  // K elements apart. Only where those rows crowd into one L1 set (K * 4
  // bytes a multiple of 4 KiB), even for a constant A: elsewhere the
  // packed layout measured no faster, and up to 10% slower (a 1x1
  // convolution of 256 to 64 channels at 56x56).
  std::optional<ColumnPanels> aPanels;
  if (packPanels && plan.m >= 0 &&
      !ShapedType::isDynamic(ranges[plan.m]) && ranges[plan.m] > mSize &&
      runtimePackingPays(op, plan.aIdx, plan.m, plan.k, mSize,
                         llvm::divideCeil(ranges[plan.n], nSize),
                         /*isB=*/false)) {
    FailureOr<ColumnPanels> packed =
        packColumnPanels(rewriter, op, plan.aIdx, plan.k, plan.m, mSize,
                         /*atRunTime=*/true);
    if (succeeded(packed))
      aPanels = *packed;
  }

  // Tiles: 1 along batch dims, mSize x nSize, the whole reduction. Loop
  // order: batch dims, columns, rows (a column panel of B stays in cache
  // while the rows sweep over it).
  // Other reduction dims are tiled by 1 inside the row loop (the block is
  // then loaded and stored once per step of theirs).
  auto iterators = op.getIteratorTypesArray();
  SmallVector<OpFoldResult> tileSizes;
  SmallVector<int64_t> interchange, outerReductions;
  for (int64_t i = 0, e = ranges.size(); i < e; ++i) {
    int64_t size = 1;
    if (i == plan.k)
      size = 0;
    else if (i == plan.n)
      size = nSize;
    else if (i == plan.m)
      size = mSize;
    else if (iterators[i] == utils::IteratorType::reduction)
      outerReductions.push_back(i);
    else
      interchange.push_back(i);
    tileSizes.push_back(rewriter.getIndexAttr(size));
  }
  interchange.push_back(plan.n);
  if (plan.m >= 0)
    interchange.push_back(plan.m);
  interchange.append(outerReductions);
  interchange.push_back(plan.k);
  // Tiles `target` by `sizes` (loops in `interchange` order); returns the
  // tile's op.
  scf::ForallOp blockLoop;
  auto tileOp = [&](linalg::LinalgOp target, ArrayRef<OpFoldResult> sizes,
                    scf::SCFTilingOptions::LoopType loopType)
      -> FailureOr<linalg::LinalgOp> {
    scf::SCFTilingOptions options;
    options.setLoopType(loopType);
    options.setTileSizes(sizes);
    options.setInterchange(interchange);
    rewriter.setInsertionPoint(target);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(target.getOperation()), options);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(target, tiled->replacements);
    if (loopType == scf::SCFTilingOptions::LoopType::ForallOp &&
        !tiled->loops.empty())
      blockLoop = dyn_cast<scf::ForallOp>(tiled->loops.front().getOperation());
    return cast<linalg::LinalgOp>(tiled->tiledOps.back());
  };
  // The blocks write disjoint parts of C: with `parallel`, one scf.forall
  // over every parallel dim (in the order above, so that the threads'
  // static shares are runs of rows over a column panel), then, per block,
  // the loops over the other reduction dims.
  SmallVector<OpFoldResult> blockSizes(tileSizes),
      reductionSizes(tileSizes.size(), rewriter.getIndexAttr(0));
  for (int64_t i : outerReductions) {
    blockSizes[i] = rewriter.getIndexAttr(0);
    reductionSizes[i] = rewriter.getIndexAttr(1);
  }
  // Accumulators start from the init's fill value or bias, not from a
  // copy of it in C (passes/AccumulatorInit.h). Not with other reduction
  // dims: their later steps must read the block back.
  std::optional<AccumulatorInit> accumulatorInit;
  Value detachedInit;
  if (outerReductions.empty())
    accumulatorInit = matchAccumulatorInit(op);
  if (accumulatorInit)
    detachedInit = detachAccumulatorInit(rewriter, op);
  // The kernel then never reads its init: it may be the residual's tensor.
  ContractionEpilogue inPlace;
  if (epilogue && accumulatorInit && inPlaceResidual) {
    inPlace = *epilogue;
    if (writeIntoResidual(rewriter, inPlace, op))
      epilogue = &inPlace;
  }

  FailureOr<linalg::LinalgOp> tiled = failure();
  if (parallel && worthParallel(ranges, blockSizes, minParallelMacs)) {
    tiled = tileOp(op, blockSizes, scf::SCFTilingOptions::LoopType::ForallOp);
    if (succeeded(tiled) && !outerReductions.empty())
      tiled = tileOp(*tiled, reductionSizes,
                     scf::SCFTilingOptions::LoopType::ForOp);
  } else {
    tiled = tileOp(op, tileSizes, scf::SCFTilingOptions::LoopType::ForOp);
  }
  if (failed(tiled)) {
    // Left to the scalar lowering, which reads the init: give it back.
    if (detachedInit)
      rewriter.modifyOpInPlace(
          op, [&] { op.getDpsInitsMutable()[0].set(detachedInit); });
    return failure();
  }
  linalg::LinalgOp tile = *tiled;
  // With other reduction dims the block is stored once per step of theirs:
  // not the final values.
  if (!outerReductions.empty())
    epilogue = nullptr;

  // The kernel on the tile's slices, `width` columns wide (nSize, or fewer
  // for the last tile of columns). With `fullColumns`, the tile is known
  // to be `width` columns wide: B's and C's transfers along them are in
  // bounds (no masks).
  Location loc = tile.getLoc();
  auto buildKernel = [&](int64_t width, bool fullColumns) -> Value {
    Type elem = getElementTypeOrSelf(tile->getResult(0).getType());
    auto rowType = VectorType::get({width}, elem);
    auto maps = tile.getIndexingMapsArray();
    Value a = tile.getDpsInputs()[plan.aIdx], b = tile.getDpsInputs()[plan.bIdx];
    Value c = tile.getDpsInits()[0];
    AffineMap aMap = maps[plan.aIdx], bMap = maps[plan.bIdx], cMap = maps[2];
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value pad = arith::ConstantOp::create(rewriter, loc, elem,
                                          rewriter.getFloatAttr(elem, 0.0));

    // Accumulators: the tile of C, row by row.
    SmallVector<int64_t> cVectorDims;
    SmallVector<int64_t> cShape;
    if (plan.m >= 0) {
      cVectorDims.push_back(plan.m);
      cShape.push_back(mSize);
    }
    cVectorDims.push_back(plan.n);
    cShape.push_back(width);
    auto cVecType = VectorType::get(cShape, elem);
    AffineMap cTransfer = transferMap(cMap, cVectorDims);
    SmallVector<Value> cIndices = tileIndices(rewriter, loc, cMap, -1, zero);
    SmallVector<bool> cInBounds = inBounds(c, cTransfer, cShape);
    if (fullColumns)
      cInBounds.back() = true; // the last vector dim is plan.n
    // A block of C (cVecType) as one vector per row of the block.
    auto blockRows = [&](Value tile) {
      SmallVector<Value> perRow;
      if (plan.m >= 0) {
        for (int64_t i = 0; i < mSize; ++i)
          perRow.push_back(vector::ExtractOp::create(rewriter, loc, tile, i));
      } else {
        perRow.push_back(tile);
      }
      return perRow;
    };
    auto readCBlock = [&]() -> Value {
      return vector::TransferReadOp::create(rewriter, loc, cVecType, c,
                                            cIndices, pad, cTransfer,
                                            cInBounds);
    };
    Value cTile;
    if (accumulatorInit) {
      SmallVector<int64_t> cPositions;
      for (int64_t dim : cVectorDims)
        cPositions.push_back(
            *cMap.getResultPosition(rewriter.getAffineDimExpr(dim)));
      cTile = readAccumulatorInit(rewriter, loc, *accumulatorInit,
                                  sliceOffsets(rewriter, loc, c), cPositions,
                                  cVecType);
    } else {
      cTile = readCBlock();
    }
    SmallVector<Value> rows = blockRows(cTile);

    // Where the tile's A and B lie in the operands: the panels to read.
    SmallVector<OpFoldResult> aOffsets, bOffsets;
    if (aPanels)
      aOffsets = sliceOffsets(rewriter, loc, a);
    if (panels)
      bOffsets = sliceOffsets(rewriter, loc, b);
    // A's mr elements of each k step are read one by one (each a broadcast
    // load: a vector load would need a lane permute per element, on the port
    // that also does half the FMAs). The tile's rows past A's end (a partial
    // block) read its last row instead: they are never stored.
    SmallVector<Value> aRowIndex;
    std::optional<unsigned> aRowPos;
    if (plan.m >= 0 && !aPanels) {
      aRowPos = aMap.getResultPosition(rewriter.getAffineDimExpr(plan.m));
      auto aType = cast<RankedTensorType>(a.getType());
      Value lastRow;
      if (aType.isDynamicDim(*aRowPos) || aType.getDimSize(*aRowPos) < mSize) {
        Value size = tensor::DimOp::create(rewriter, loc, a, *aRowPos);
        lastRow = arith::SubIOp::create(
            rewriter, loc, size, arith::ConstantIndexOp::create(rewriter, loc, 1));
      }
      for (int64_t i = 0; i < mSize; ++i) {
        Value row = arith::ConstantIndexOp::create(rewriter, loc, i);
        if (lastRow && i > 0)
          row = arith::MinUIOp::create(rewriter, loc, row, lastRow);
        aRowIndex.push_back(row);
      }
    }
    Value kUpper = arith::ConstantIndexOp::create(rewriter, loc, kSize);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto loop = scf::ForOp::create(
        rewriter, loc, zero, kUpper, one, rows,
        [&](OpBuilder &lb, Location l, Value kIv, ValueRange acc) {
          Value bRow;
          if (panels) {
            bRow = readPanelRow(lb, l, *panels, bOffsets, kIv, width);
          } else {
            AffineMap bTransfer = transferMap(bMap, {plan.n});
            SmallVector<bool> bInBounds = inBounds(b, bTransfer, {width});
            if (fullColumns)
              bInBounds.back() = true;
            bRow = vector::TransferReadOp::create(
                lb, l, rowType, b, tileIndices(lb, l, bMap, plan.k, kIv), pad,
                bTransfer, bInBounds);
          }
          SmallVector<Value> aElems;
          if (aPanels) {
            SmallVector<Value> indices =
                panelRowIndices(lb, l, *aPanels, aOffsets, kIv);
            for (int64_t i = 0; i < mSize; ++i) {
              indices.back() = arith::ConstantIndexOp::create(lb, l, i);
              aElems.push_back(
                  tensor::ExtractOp::create(lb, l, aPanels->packed, indices));
            }
          } else if (plan.m >= 0) {
            SmallVector<Value> indices = tileIndices(lb, l, aMap, plan.k, kIv);
            for (int64_t i = 0; i < mSize; ++i) {
              indices[*aRowPos] = aRowIndex[i];
              aElems.push_back(tensor::ExtractOp::create(lb, l, a, indices));
            }
          } else {
            aElems.push_back(tensor::ExtractOp::create(
                lb, l, a, tileIndices(lb, l, aMap, plan.k, kIv)));
          }
          SmallVector<Value> next;
          for (auto [ai, row] : llvm::zip(aElems, acc)) {
            Value splat = vector::BroadcastOp::create(lb, l, rowType, ai);
            next.push_back(vector::FMAOp::create(lb, l, splat, bRow, row));
          }
          scf::YieldOp::create(lb, l, next);
        });

    SmallVector<Value> results(loop.getResults());
    if (epilogue) {
      // The block's place in C: the offsets of the tile's slice of it.
      EpilogueBlock block;
      auto cType = cast<RankedTensorType>(c.getType());
      if (auto slice = c.getDefiningOp<tensor::ExtractSliceOp>())
        block.offsets = slice.getMixedOffsets();
      else
        block.offsets.assign(cType.getRank(), rewriter.getIndexAttr(0));
      if (plan.m >= 0) {
        block.rowPos =
            *cMap.getResultPosition(rewriter.getAffineDimExpr(plan.m));
        block.rows = mSize;
        block.wholeRows = !ShapedType::isDynamic(ranges[plan.m]) &&
                          ranges[plan.m] % mSize == 0;
      }
      block.colPos = *cMap.getResultPosition(rewriter.getAffineDimExpr(plan.n));
      block.cols = width;
      block.wholeCols =
          fullColumns || (width == nSize && ranges[plan.n] % nSize == 0);
      // An in-place residual's block is C's block before the store.
      SmallVector<Value> residualRows;
      if (epilogue->inPlaceInput >= 0)
        residualRows = blockRows(readCBlock());
      results = emitContractionEpilogue(rewriter, loc, *epilogue, block,
                                        results, residualRows);
      epilogueApplied = true;
    }

    // Row by row (one 1 x NR transfer each: a row past the end of a partial
    // tile is out of bounds, hence not written). Assembling an MR x NR vector
    // first would be canonicalized into element-wise shuffles.
    Value written = c;
    if (plan.m >= 0) {
      auto rowTileType = VectorType::get({1, width}, elem);
      int64_t mPos = *cMap.getResultPosition(rewriter.getAffineDimExpr(plan.m));
      for (int64_t i = 0; i < mSize; ++i) {
        Value row = vector::ShapeCastOp::create(rewriter, loc, rowTileType,
                                                results[i]);
        SmallVector<Value> indices(cIndices);
        indices[mPos] = arith::ConstantIndexOp::create(rewriter, loc, i);
        written = vector::TransferWriteOp::create(rewriter, loc, row, written,
                                                  indices, cTransfer, cInBounds)
                      .getResult();
      }
    } else {
      written = vector::TransferWriteOp::create(rewriter, loc, results[0],
                                                c, cIndices, cTransfer,
                                                cInBounds)
                    .getResult();
    }
    return written;
  };

  // A column count that is not whole blocks makes every tile's column size
  // dynamic, and so every transfer along the columns masked, even in the
  // full tiles (a mask compare per vector and k step: squeezenet's
  // 55 x 55 outputs, resnet50's 28 x 28 and 14 x 14). The full tiles get
  // their own unmasked kernel. The last tile gets a kernel only as wide as
  // the power of two of vectors that covers its columns: resnet50's 14 x 14
  // outputs (196 columns: three blocks of 64 and 4 columns) spent a quarter
  // of their FMAs on masked-off lanes with a 64-wide last kernel.
  Value written;
  int64_t cColPos = *tile.getIndexingMapsArray()[2].getResultPosition(
      rewriter.getAffineDimExpr(plan.n));
  Value cTileValue = tile.getDpsInits()[0];
  if (!ShapedType::isDynamic(ranges[plan.n]) && ranges[plan.n] > nSize &&
      ranges[plan.n] % nSize != 0 &&
      cast<RankedTensorType>(cTileValue.getType()).isDynamicDim(cColPos)) {
    rewriter.setInsertionPoint(tile);
    Value width = tensor::DimOp::create(rewriter, loc, cTileValue, cColPos);
    Value full = arith::CmpIOp::create(
        rewriter, loc, arith::CmpIPredicate::eq, width,
        arith::ConstantIndexOp::create(rewriter, loc, nSize));
    auto ifOp = scf::IfOp::create(rewriter, loc, cTileValue.getType(), full,
                                  /*withElseRegion=*/true);
    rewriter.setInsertionPointToStart(&ifOp.getThenRegion().front());
    scf::YieldOp::create(rewriter, loc, buildKernel(nSize, true));
    rewriter.setInsertionPointToStart(&ifOp.getElseRegion().front());
    int64_t lastColumns = ranges[plan.n] % nSize;
    int64_t lastWidth = std::min(
        nSize, int64_t(llvm::PowerOf2Ceil(llvm::divideCeil(lastColumns, lanes))) *
                   lanes);
    scf::YieldOp::create(rewriter, loc,
                         buildKernel(lastWidth, lastColumns == lastWidth));
    written = ifOp.getResult(0);
  } else {
    rewriter.setInsertionPoint(tile);
    written = buildKernel(nSize, false);
  }
  rewriter.replaceOp(tile, written);

  // Blocks of columns run outside blocks of rows, so with a partial last
  // block of columns the threads' last static share is all partial blocks
  // (passes/PeelPartialBlocks.h). Its own loop shares them evenly, at the
  // cost of one more parallel region: only for large contractions
  // (`min-peel-macs`).
  if (blockLoop && !ShapedType::isDynamic(ranges[plan.n]) &&
      ranges[plan.n] % nSize != 0 &&
      staticMacs(ranges) >= uint64_t(std::max<int64_t>(minPeelMacs, 0))) {
    // The block loop's dims are the tiled ones in `interchange` order.
    unsigned dim = 0;
    for (int64_t i : interchange) {
      if (i == plan.n)
        break;
      if (!isZeroInteger(blockSizes[i]))
        ++dim;
    }
    (void)peelPartialBlock(rewriter, blockLoop, dim);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Few rows: matrix-vector kernels
//===----------------------------------------------------------------------===//

/// Register blocking for `rows` rows of the output (std::nullopt when the
/// row count is only known at run time). A block of the full `mr` rows has
/// `columnVectors` vectors per row. With fewer rows (a batch-1 MatMul/Gemm is
/// a matrix-vector product), the same register budget goes to more columns
/// instead, up to `maxVectors` per row: the accumulators are then several
/// independent FMA chains per k step (two chains of one row would wait on
/// the FMA latency), each step reads a longer contiguous run of B's row, and
/// no FMA is spent on rows past the end.
struct Blocking {
  int64_t mr, nr;
};
/// `columns` is the product's static column count: wide blocks are only
/// used when they tile it exactly (or cover it whole), because a partial
/// block's masked transfers are slow at such widths (a 128-lane mask is
/// built element by element, on every k step).
Blocking blockingForRows(std::optional<int64_t> rows, int64_t mr,
                         int64_t columnVectors, int64_t maxVectors,
                         int64_t lanes, int64_t columns) {
  if (!rows || *rows >= mr || *rows <= 0)
    return {mr, columnVectors * lanes};
  int64_t vectors = std::clamp<int64_t>(mr * columnVectors / *rows,
                                        columnVectors,
                                        std::max(maxVectors, columnVectors));
  // Powers of two only (see vectorizeContraction: other widths legalize
  // badly), down to the usual width.
  vectors = int64_t(1) << llvm::Log2_64(vectors);
  for (; vectors > columnVectors; vectors /= 2)
    if (columns <= vectors * lanes || columns % (vectors * lanes) == 0)
      break;
  return {*rows, std::max(vectors, columnVectors) * lanes};
}

/// The size of loop dim `dim` of `op`, read from the first operand indexed
/// by it (the op is a contraction: every loop dim indexes an operand).
Value loopDimSize(OpBuilder &b, Location loc, linalg::LinalgOp op,
                  int64_t dim) {
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (std::optional<unsigned> pos =
            map.getResultPosition(b.getAffineDimExpr(dim)))
      return tensor::DimOp::create(b, loc, operand.get(), *pos);
  }
  return {};
}

/// A contraction whose row count is only known at run time (a model's
/// batch dim) is versioned: `scf.if rows < smallRows` runs a copy of it
/// blocked one row at a time with wide rows of columns (the matrix-vector
/// kernel of batch 1), the other branch the usual mr-row blocks. Each copy
/// is then vectorized like a static contraction. Returns the two copies.
FailureOr<std::pair<linalg::LinalgOp, linalg::LinalgOp>>
versionOnRowCount(RewriterBase &rewriter, linalg::LinalgOp op,
                  const ContractionPlan &plan, int64_t smallRows) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value rows = loopDimSize(rewriter, loc, op, plan.m);
  if (!rows)
    return failure();
  Value bound = arith::ConstantIndexOp::create(rewriter, loc, smallRows);
  Value few = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult,
                                    rows, bound);
  linalg::LinalgOp copies[2];
  // (The result types come from the yields.)
  auto ifOp = scf::IfOp::create(
      rewriter, loc, few,
      [&](OpBuilder &b, Location l) {
        copies[0] = cast<linalg::LinalgOp>(b.clone(*op));
        scf::YieldOp::create(b, l, copies[0]->getResults());
      },
      [&](OpBuilder &b, Location l) {
        copies[1] = cast<linalg::LinalgOp>(b.clone(*op));
        scf::YieldOp::create(b, l, copies[1]->getResults());
      });
  rewriter.replaceOp(op, ifOp.getResults());
  return std::make_pair(copies[0], copies[1]);
}

struct VectorizeContractionsPass
    : impl::VectorizeContractionsBase<VectorizeContractionsPass> {
  using VectorizeContractionsBase::VectorizeContractionsBase;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics)
      (void)unfusePrologues(rewriter, op);

    SmallVector<std::pair<linalg::GenericOp, ConvForm>> convs;
    getOperation().walk([&](linalg::GenericOp op) {
      if (auto form = matchConv(op))
        convs.push_back({op, *form});
    });
    for (auto &[op, form] : convs)
      (void)rewriteConvAsMatmul(rewriter, op, form);

    SmallVector<std::pair<linalg::LinalgOp, ContractionPlan>> contractions;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (auto plan = planContraction(op))
        contractions.push_back({op, *plan});
    });
    for (auto &[op, plan] : contractions) {
      int64_t lanes = std::max<int64_t>(
          1, vectorBytes / (getElementTypeOrSelf(op->getResult(0).getType())
                                .getIntOrFloatBitWidth() /
                            8));
      int64_t columns = op.getStaticLoopRanges()[plan.n];
      std::optional<int64_t> rowCount;
      if (plan.m < 0)
        rowCount = 1;
      else if (int64_t r = op.getStaticLoopRanges()[plan.m];
               !ShapedType::isDynamic(r))
        rowCount = r;
      std::optional<ContractionEpilogue> epilogue;
      if (fuseEpilogues) {
        DominanceInfo dominance(getOperation());
        epilogue = matchContractionEpilogue(op, dominance);
        if (epilogue)
          hoistEpilogueInputs(*epilogue, op);
      }
      const ContractionEpilogue *fused = epilogue ? &*epilogue : nullptr;
      if (!rowCount && gemvMaxRows > 0 && rows > 1) {
        auto copies = versionOnRowCount(rewriter, op, plan, gemvMaxRows + 1);
        if (succeeded(copies)) {
          Blocking few = blockingForRows(1, rows, columnVectors,
                                         gemvColumnVectors, lanes, columns);
          Blocking many = blockingForRows(std::nullopt, rows, columnVectors,
                                          gemvColumnVectors, lanes, columns);
          bool applied[2];
          // Neither copy writes into a residual: both would have to share
          // its buffer, from inside the scf.if.
          // Both copies read the same B, so a constant one has two users
          // and is not packed at compile time (that would keep two copies
          // of the weights); the many-row copy may still copy it into
          // panels at run time where that pays. The few-row copy reads it
          // in place.
          LogicalResult done[2] = {
              vectorizeContraction(rewriter, copies->first, plan, few.mr,
                                   few.nr, lanes, parallel, minParallelMacs,
                                   minPeelMacs, /*packPanels=*/false, fused,
                                   /*inPlaceResidual=*/false, applied[0]),
              vectorizeContraction(rewriter, copies->second, plan, many.mr,
                                   many.nr, lanes, parallel, minParallelMacs,
                                   minPeelMacs, packPanels, fused,
                                   /*inPlaceResidual=*/false, applied[1])};
          (void)done;
          if (applied[0] != applied[1]) {
            // One copy now computes the epilogue too, the other not: the
            // result would depend on the batch size.
            epilogue->op.emitError(
                "onnxc-vectorize-contractions: the epilogue was fused into "
                "only one version of the contraction it consumes");
            return signalPassFailure();
          }
          if (applied[0])
            foldContractionEpilogue(rewriter, *epilogue);
          continue;
        }
      }
      Blocking blocking = blockingForRows(rowCount, rows, columnVectors,
                                          gemvColumnVectors, lanes, columns);
      bool applied = false;
      (void)vectorizeContraction(rewriter, op, plan, blocking.mr, blocking.nr,
                                 lanes, parallel, minParallelMacs, minPeelMacs,
                                 packPanels, fused, /*inPlaceResidual=*/true,
                                 applied);
      if (applied)
        foldContractionEpilogue(rewriter, *epilogue);
    }
  }
};

} // namespace
} // namespace onnxc
