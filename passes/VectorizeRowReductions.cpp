//===- VectorizeRowReductions.cpp - Reductions along the innermost dim ----===//
//
// ReduceMax/Min/Sum/Mean over the last axis, Softmax's max and sum,
// LayerNormalization's mean and variance, and the per-row ranges of
// dynamic int8 quantization are all linalg generics whose last loop
// reduces along a contiguous innermost dim. Lowered to loops they run one
// element at a time with the accumulator in memory (LLVM may not reorder a
// float sum, nor keep the accumulator in a register when it cannot prove
// it does not alias the input): 30% of BERT's int8 run went to the min/max
// of its activations.
//
// This pass gives each row a vector loop instead: `unroll` vector
// accumulators of `vector-bytes`, the generic's body computed on vectors of
// the inputs, combined lane-wise, then one vector.reduction per row and the
// combination with the output's initial value. A last partial vector is
// masked to the combiner's identity. The rows are an scf.for nest, or with
// `parallel` and enough elements an scf.forall the CPU pipeline runs on
// the session's threads.
//
// Sums are reassociated (lanes, then a tree), as every vectorized BLAS and
// ONNX Runtime do; min and max are exact.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"

#include <cmath>

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_VECTORIZEROWREDUCTIONS
#include "passes/Passes.h.inc"

namespace {

/// A generic that reduces its last loop dim, innermost in every input that
/// reads it, with a body `out = combine(f(inputs...), out)`.
struct RowReduction {
  vector::CombiningKind kind;
  Operation *combiner;
  Value combined; ///< the combiner's operand that is not the accumulator
  int64_t size;   ///< the reduction dim's (static) extent
};

std::optional<vector::CombiningKind> combiningKind(Operation *op) {
  if (isa<arith::AddFOp>(op))
    return vector::CombiningKind::ADD;
  if (isa<arith::MulFOp>(op))
    return vector::CombiningKind::MUL;
  if (isa<arith::MaximumFOp>(op))
    return vector::CombiningKind::MAXIMUMF;
  if (isa<arith::MinimumFOp>(op))
    return vector::CombiningKind::MINIMUMF;
  if (isa<arith::MaxNumFOp>(op))
    return vector::CombiningKind::MAXNUMF;
  if (isa<arith::MinNumFOp>(op))
    return vector::CombiningKind::MINNUMF;
  return std::nullopt;
}

/// The value x with combine(x, y) = y for every y (NaN for maxnum/minnum,
/// which return the other operand of a NaN).
double identityOf(vector::CombiningKind kind) {
  switch (kind) {
  case vector::CombiningKind::ADD:
    return 0.0;
  case vector::CombiningKind::MUL:
    return 1.0;
  case vector::CombiningKind::MAXIMUMF:
    return -INFINITY;
  case vector::CombiningKind::MINIMUMF:
    return INFINITY;
  default:
    return NAN;
  }
}

/// Whether `op` computes lane by lane on vectors as it does on scalars.
bool isElementwiseScalarOp(Operation &op) {
  if (!isPure(&op) || op.getNumRegions() || op.getNumResults() != 1)
    return false;
  if (isa<arith::ConstantOp>(op))
    return true;
  if (!op.hasTrait<OpTrait::Elementwise>() ||
      !isa<arith::ArithDialect, math::MathDialect>(op.getDialect()))
    return false;
  return llvm::all_of(op.getOperandTypes(),
                      [](Type t) { return t.isIntOrIndexOrFloat(); });
}

std::optional<RowReduction> matchRowReduction(linalg::GenericOp op,
                                              int64_t lanes) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op->getNumResults() != 1 || op.getNumDpsInputs() == 0)
    return std::nullopt;
  auto iterators = op.getIteratorTypesArray();
  int64_t numLoops = iterators.size();
  if (numLoops == 0 || iterators.back() != utils::IteratorType::reduction)
    return std::nullopt;
  for (int64_t i = 0; i + 1 < numLoops; ++i)
    if (iterators[i] != utils::IteratorType::parallel)
      return std::nullopt;
  int64_t r = numLoops - 1;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ShapedType::isDynamic(ranges[r]) || ranges[r] < lanes)
    return std::nullopt;
  // The output: every parallel dim, in order.
  auto maps = op.getIndexingMapsArray();
  if (maps.back() != AffineMap::getMultiDimIdentityMap(numLoops, op.getContext())
                         .getMajorSubMap(r))
    return std::nullopt;
  for (OpOperand &operand : op->getOpOperands())
    if (!getElementTypeOrSelf(operand.get().getType()).isF32())
      return std::nullopt;
  // Inputs: dims only; the reduction dim, where read, innermost.
  for (AffineMap map : ArrayRef(maps).drop_back()) {
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return std::nullopt;
    std::optional<unsigned> pos =
        map.getResultPosition(getAffineDimExpr(r, op.getContext()));
    if (pos && *pos != map.getNumResults() - 1)
      return std::nullopt;
  }
  Block &body = *op.getBlock();
  Value acc = body.getArguments().back();
  Operation *combiner = body.getTerminator()->getOperand(0).getDefiningOp();
  if (!combiner || combiner->getBlock() != &body || !acc.hasOneUse() ||
      acc.getUses().begin()->getOwner() != combiner)
    return std::nullopt;
  std::optional<vector::CombiningKind> kind = combiningKind(combiner);
  if (!kind)
    return std::nullopt;
  for (Operation &inner : body.without_terminator())
    if (&inner != combiner && !isElementwiseScalarOp(inner))
      return std::nullopt;
  Value combined = combiner->getOperand(0) == acc ? combiner->getOperand(1)
                                                  : combiner->getOperand(0);
  if (combined == acc)
    return std::nullopt;
  return RowReduction{*kind, combiner, combined, ranges[r]};
}

/// Emits `op` (of the generic's body) on vectors of `type`, its operands
/// taken from `mapping` (a value from outside the body is broadcast).
Value emitOnVectors(OpBuilder &b, Location loc, Operation &op,
                    IRMapping &mapping, int64_t lanes) {
  auto vectorOf = [&](Type t) { return VectorType::get({lanes}, t); };
  if (auto cst = dyn_cast<arith::ConstantOp>(op))
    return arith::ConstantOp::create(
        b, loc, vectorOf(cst.getType()),
        DenseElementsAttr::get(vectorOf(cst.getType()), cst.getValue()));
  OperationState state(loc, op.getName());
  for (Value operand : op.getOperands()) {
    Value v = mapping.lookupOrNull(operand);
    if (!v)
      v = vector::BroadcastOp::create(b, loc, vectorOf(operand.getType()),
                                      operand);
    state.addOperands(v);
  }
  state.addAttributes(op.getAttrs());
  state.addTypes(vectorOf(op.getResult(0).getType()));
  return b.create(state)->getResult(0);
}

/// Replaces the (row-tiled) generic `tile` by its vectorized row loop.
void vectorizeRow(RewriterBase &rewriter, linalg::GenericOp tile,
                  const RowReduction &red, int64_t lanes, int64_t unroll) {
  Location loc = tile.getLoc();
  rewriter.setInsertionPoint(tile);
  Type f32 = rewriter.getF32Type();
  auto vecType = VectorType::get({lanes}, f32);
  Block &body = *tile.getBlock();
  int64_t r = tile.getNumLoops() - 1;
  auto maps = tile.getIndexingMapsArray();
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value pad = arith::ConstantOp::create(rewriter, loc, f32,
                                        rewriter.getF32FloatAttr(0.0f));
  Value identity = arith::ConstantOp::create(
      rewriter, loc, vecType,
      DenseElementsAttr::get(vecType,
                             rewriter.getF32FloatAttr(identityOf(red.kind))));

  // Per-row values (inputs that do not read the reduction dim) are read
  // once, outside the vector loop.
  IRMapping rowValues;
  for (auto [i, input] : llvm::enumerate(tile.getDpsInputs())) {
    if (maps[i].getResultPosition(rewriter.getAffineDimExpr(r)))
      continue;
    int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
    Value scalar = tensor::ExtractOp::create(
        rewriter, loc, input, SmallVector<Value>(rank, zero));
    rowValues.map(body.getArgument(i),
                  vector::BroadcastOp::create(rewriter, loc, vecType, scalar));
  }

  // f(inputs) on the `lanes` elements from `offset`; with `valid` < lanes,
  // the lanes past it hold the identity.
  auto valuesAt = [&](OpBuilder &b, Location l, Value offset,
                      int64_t valid) -> Value {
    IRMapping mapping = rowValues;
    for (auto [i, input] : llvm::enumerate(tile.getDpsInputs())) {
      if (mapping.contains(body.getArgument(i)))
        continue;
      int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
      SmallVector<Value> indices(rank, zero);
      indices.back() = offset;
      mapping.map(body.getArgument(i),
                  vector::TransferReadOp::create(
                      b, l, vecType, input, indices, pad,
                      AffineMap::getMinorIdentityMap(rank, 1, b.getContext()),
                      ArrayRef<bool>{valid == lanes}));
    }
    for (Operation &inner : body.without_terminator()) {
      if (&inner == red.combiner)
        continue;
      mapping.map(inner.getResult(0), emitOnVectors(b, l, inner, mapping,
                                                    lanes));
    }
    Value v = mapping.lookupOrNull(red.combined);
    if (!v) // a value from outside the body, or an output-only generic
      v = vector::BroadcastOp::create(b, l, vecType, red.combined);
    if (valid < lanes) {
      Value mask = vector::ConstantMaskOp::create(
          b, l, VectorType::get({lanes}, b.getI1Type()),
          ArrayRef<int64_t>{valid});
      v = arith::SelectOp::create(b, l, mask, v, identity);
    }
    return v;
  };
  auto combine = [&](OpBuilder &b, Location l, Value x, Value y) {
    return vector::makeArithReduction(b, l, red.kind, x, y);
  };

  int64_t step = lanes * unroll;
  int64_t mainEnd = red.size / step * step;
  SmallVector<Value> accs(unroll, identity);
  if (mainEnd > 0) {
    auto loop = scf::ForOp::create(
        rewriter, loc, zero,
        arith::ConstantIndexOp::create(rewriter, loc, mainEnd),
        arith::ConstantIndexOp::create(rewriter, loc, step), accs,
        [&](OpBuilder &b, Location l, Value j, ValueRange iter) {
          SmallVector<Value> next;
          for (int64_t u = 0; u < unroll; ++u) {
            Value offset = arith::AddIOp::create(
                b, l, j, arith::ConstantIndexOp::create(b, l, u * lanes));
            next.push_back(combine(b, l, iter[u], valuesAt(b, l, offset, lanes)));
          }
          scf::YieldOp::create(b, l, next);
        });
    accs.assign(loop.getResults().begin(), loop.getResults().end());
  }
  // The rest: whole vectors, then a partial one.
  for (int64_t at = mainEnd, u = 0; at < red.size; at += lanes, ++u) {
    Value offset = arith::ConstantIndexOp::create(rewriter, loc, at);
    int64_t valid = std::min(lanes, red.size - at);
    accs[u % unroll] = combine(rewriter, loc, accs[u % unroll],
                               valuesAt(rewriter, loc, offset, valid));
  }
  while (accs.size() > 1) {
    SmallVector<Value> half;
    for (size_t i = 0; i + 1 < accs.size(); i += 2)
      half.push_back(combine(rewriter, loc, accs[i], accs[i + 1]));
    if (accs.size() % 2)
      half.push_back(accs.back());
    accs = half;
  }
  Value reduced =
      vector::ReductionOp::create(rewriter, loc, red.kind, accs.front());
  Value out = tile.getDpsInits()[0];
  int64_t outRank = cast<RankedTensorType>(out.getType()).getRank();
  SmallVector<Value> outIndices(outRank, zero);
  Value init = tensor::ExtractOp::create(rewriter, loc, out, outIndices);
  Value result = combine(rewriter, loc, reduced, init);
  rewriter.replaceOp(tile, tensor::InsertOp::create(rewriter, loc, result, out,
                                                    outIndices)
                               .getResult());
}

struct VectorizeRowReductionsPass
    : impl::VectorizeRowReductionsBase<VectorizeRowReductionsPass> {
  using VectorizeRowReductionsBase::VectorizeRowReductionsBase;

  void runOnOperation() override {
    int64_t lanes = std::max<int64_t>(1, vectorBytes / 4);
    SmallVector<std::pair<linalg::GenericOp, RowReduction>> found;
    getOperation().walk([&](linalg::GenericOp op) {
      if (auto red = matchRowReduction(op, lanes))
        found.push_back({op, *red});
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, red] : found) {
      // One tile per row: 1 along every parallel dim, the reduction whole.
      int64_t numLoops = op.getNumLoops();
      SmallVector<OpFoldResult> sizes(numLoops, rewriter.getIndexAttr(1));
      sizes.back() = rewriter.getIndexAttr(0);
      linalg::GenericOp tile = op;
      if (numLoops > 1) {
        int64_t elements = 1;
        bool dynamic = false;
        for (int64_t range : op.getStaticLoopRanges()) {
          if (ShapedType::isDynamic(range))
            dynamic = true;
          else
            elements *= range;
        }
        scf::SCFTilingOptions options;
        options.setTileSizes(sizes);
        options.setLoopType(parallel && (dynamic || elements >= minParallelElements)
                                ? scf::SCFTilingOptions::LoopType::ForallOp
                                : scf::SCFTilingOptions::LoopType::ForOp);
        rewriter.setInsertionPoint(op);
        FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
            rewriter, cast<TilingInterface>(op.getOperation()), options);
        if (failed(tiled))
          continue;
        rewriter.replaceOp(op, tiled->replacements);
        tile = cast<linalg::GenericOp>(tiled->tiledOps.back());
      }
      // The combiner and combined value now live in the tile's body.
      RowReduction tileRed = red;
      std::optional<RowReduction> again = matchRowReduction(tile, lanes);
      if (!again)
        continue;
      tileRed = *again;
      vectorizeRow(rewriter, tile, tileRed, lanes, unroll);
    }
  }
};

} // namespace
} // namespace onnxc
