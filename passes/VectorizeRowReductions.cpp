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
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
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

/// A generic whose trailing loop dims are reductions, the innermost ones
/// (in order) of every input that reads them, with a body
/// `out = combine(f(inputs...), out)`. Several reduction dims (a
/// DynamicQuantizeLinear's min over a whole tensor) are loops around the
/// vector loop over the last one.
/// Elementwise fusion may merge reductions of one input (the min and max of
/// dynamic quantization) into one generic with an output each.
struct RowReduction {
  struct Output {
    vector::CombiningKind kind;
    Operation *combiner;
    Value combined; ///< the combiner's operand that is not the accumulator
  };
  SmallVector<Output> outputs;
  int64_t size;        ///< the last reduction dim's (static) extent
  int64_t numParallel; ///< the leading (parallel) loop dims
};

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

/// Collapses the trailing reduction loops of `op` into one when they are
/// all static and appear as one contiguous run of dims, in order, in every
/// operand that reads them: a GlobalAveragePool over 13x13 or 7x7 planes
/// is then one row of 169 or 49 elements, which the vector loop below
/// takes, instead of 13 rows shorter than a vector (left to scalar loops).
/// Returns the collapsed generic, or `op` unchanged.
linalg::GenericOp collapseTrailingReductions(RewriterBase &rewriter,
                                             linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics())
    return op;
  auto iterators = op.getIteratorTypesArray();
  int64_t numLoops = iterators.size(), numParallel = 0;
  while (numParallel < numLoops &&
         iterators[numParallel] == utils::IteratorType::parallel)
    ++numParallel;
  if (numLoops - numParallel < 2)
    return op;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (int64_t i = numParallel; i < numLoops; ++i)
    if (iterators[i] != utils::IteratorType::reduction ||
        ShapedType::isDynamic(ranges[i]))
      return op;
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i < numParallel; ++i)
    groups.push_back({i});
  ReassociationIndices reduced;
  for (int64_t i = numParallel; i < numLoops; ++i)
    reduced.push_back(i);
  groups.push_back(reduced);
  // (areDimSequencesPreserved takes projected permutations only: a pooling
  // window's reads, x[o * s + k], are not.)
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!llvm::all_of(maps,
                    [](AffineMap m) { return m.isProjectedPermutation(); }) ||
      !linalg::areDimSequencesPreserved(maps, groups))
    return op;
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::CollapseResult> collapsed =
      linalg::collapseOpIterationDims(op, groups, rewriter);
  if (failed(collapsed))
    return op;
  auto generic = dyn_cast<linalg::GenericOp>(
      collapsed->collapsedOp.getOperation());
  rewriter.replaceOp(op, collapsed->results);
  return generic;
}

std::optional<RowReduction> matchRowReduction(linalg::GenericOp op,
                                              int64_t lanes) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() == 0 ||
      op->getNumResults() != op.getNumDpsInits() || op.getNumDpsInputs() == 0)
    return std::nullopt;
  auto iterators = op.getIteratorTypesArray();
  int64_t numLoops = iterators.size();
  if (numLoops == 0 || iterators.back() != utils::IteratorType::reduction)
    return std::nullopt;
  int64_t numParallel = 0;
  while (iterators[numParallel] == utils::IteratorType::parallel)
    ++numParallel;
  for (int64_t i = numParallel; i < numLoops; ++i)
    if (iterators[i] != utils::IteratorType::reduction)
      return std::nullopt;
  int64_t r = numLoops - 1, numReductions = numLoops - numParallel;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ShapedType::isDynamic(ranges[r]) || ranges[r] < lanes)
    return std::nullopt;
  // The output: every parallel dim, in order.
  MLIRContext *ctx = op.getContext();
  auto maps = op.getIndexingMapsArray();
  SmallVector<AffineExpr> parallelDims;
  for (int64_t i = 0; i < numParallel; ++i)
    parallelDims.push_back(getAffineDimExpr(i, ctx));
  unsigned numInputs = op.getNumDpsInputs();
  for (AffineMap map : ArrayRef(maps).drop_front(numInputs))
    if (map != AffineMap::get(numLoops, 0, parallelDims, ctx))
      return std::nullopt;
  for (OpOperand &operand : op->getOpOperands())
    if (!getElementTypeOrSelf(operand.get().getType()).isF32())
      return std::nullopt;
  // Inputs: dims only; the reduction dims, where read, all of them and
  // innermost, in order; at least one input reads them.
  bool reducesAnInput = false;
  for (AffineMap map : ArrayRef(maps).take_front(numInputs)) {
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return std::nullopt;
    if (!map.getResultPosition(getAffineDimExpr(r, ctx)))
      continue;
    reducesAnInput = true;
    int64_t first = int64_t(map.getNumResults()) - numReductions;
    if (first < 0)
      return std::nullopt;
    for (int64_t i = 0; i < numReductions; ++i)
      if (map.getResult(first + i) != getAffineDimExpr(numParallel + i, ctx))
        return std::nullopt;
  }
  if (!reducesAnInput)
    return std::nullopt;
  Block &body = *op.getBlock();
  RowReduction red;
  red.size = ranges[r];
  red.numParallel = numParallel;
  SmallPtrSet<Operation *, 2> combiners;
  for (auto [i, yielded] :
       llvm::enumerate(body.getTerminator()->getOperands())) {
    // Output i: yield combine(value, acc_i), acc_i used there only, the
    // combination used by the yield only.
    Value acc = body.getArgument(numInputs + i);
    Operation *combiner = yielded.getDefiningOp();
    if (!combiner || combiner->getBlock() != &body || !combiner->hasOneUse() ||
        !acc.hasOneUse() || acc.getUses().begin()->getOwner() != combiner)
      return std::nullopt;
    // (The outputs are f32, so only float combiners can match.)
    std::optional<vector::CombiningKind> kind =
        linalg::getCombinerOpKind(combiner);
    if (!kind)
      return std::nullopt;
    Value combined = combiner->getOperand(0) == acc ? combiner->getOperand(1)
                                                    : combiner->getOperand(0);
    if (combined == acc)
      return std::nullopt;
    combiners.insert(combiner);
    red.outputs.push_back({*kind, combiner, combined});
  }
  for (Operation &inner : body.without_terminator())
    if (!combiners.contains(&inner) && !isElementwiseScalarOp(inner))
      return std::nullopt;
  return red;
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
  int64_t numOutputs = red.outputs.size();
  SmallVector<Value> identities;
  for (const RowReduction::Output &output : red.outputs)
    identities.push_back(arith::ConstantOp::create(
        rewriter, loc, vecType,
        DenseElementsAttr::get(
            vecType, rewriter.getF32FloatAttr(identityOf(output.kind)))));

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

  int64_t numOuter = tile.getNumLoops() - red.numParallel - 1;
  SmallVector<Value> outerIvs; // set inside the loops over them
  // f(inputs) of every output on the `lanes` elements from `offset`; with
  // `valid` < lanes, the lanes past it hold the combiner's identity.
  auto valuesAt = [&](OpBuilder &b, Location l, Value offset,
                      int64_t valid) -> SmallVector<Value> {
    IRMapping mapping = rowValues;
    for (auto [i, input] : llvm::enumerate(tile.getDpsInputs())) {
      if (mapping.contains(body.getArgument(i)))
        continue;
      int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
      SmallVector<Value> indices(rank, zero);
      for (int64_t i = 0; i < numOuter; ++i)
        indices[rank - 1 - numOuter + i] = outerIvs[i];
      indices.back() = offset;
      mapping.map(body.getArgument(i),
                  vector::TransferReadOp::create(
                      b, l, vecType, input, indices, pad,
                      AffineMap::getMinorIdentityMap(rank, 1, b.getContext()),
                      ArrayRef<bool>{valid == lanes}));
    }
    for (Operation &inner : body.without_terminator()) {
      if (llvm::any_of(red.outputs, [&](const RowReduction::Output &o) {
            return o.combiner == &inner;
          }))
        continue;
      mapping.map(inner.getResult(0), emitOnVectors(b, l, inner, mapping,
                                                    lanes));
    }
    Value mask;
    if (valid < lanes)
      mask = vector::ConstantMaskOp::create(
          b, l, VectorType::get({lanes}, b.getI1Type()),
          ArrayRef<int64_t>{valid});
    SmallVector<Value> values;
    for (auto [o, output] : llvm::enumerate(red.outputs)) {
      Value v = mapping.lookupOrNull(output.combined);
      if (!v) // a value from outside the body
        v = vector::BroadcastOp::create(b, l, vecType, output.combined);
      if (mask)
        v = arith::SelectOp::create(b, l, mask, v, identities[o]);
      values.push_back(v);
    }
    return values;
  };
  // Accumulators: `unroll` per output, output-major.
  auto combine = [&](OpBuilder &b, Location l, int64_t output, Value x,
                     Value y) {
    return vector::makeArithReduction(b, l, red.outputs[output].kind, x, y);
  };

  int64_t step = lanes * unroll;
  int64_t mainEnd = red.size / step * step;
  // One pass over the last reduction dim, from accumulators `accs`.
  auto accumulateRow = [&](OpBuilder &b, Location l,
                           SmallVector<Value> accs) -> SmallVector<Value> {
    if (mainEnd > 0) {
      auto loop = scf::ForOp::create(
          b, l, zero, arith::ConstantIndexOp::create(b, l, mainEnd),
          arith::ConstantIndexOp::create(b, l, step), accs,
          [&](OpBuilder &lb, Location ll, Value j, ValueRange iter) {
            SmallVector<Value> next(iter);
            for (int64_t u = 0; u < unroll; ++u) {
              Value offset = arith::AddIOp::create(
                  lb, ll, j, arith::ConstantIndexOp::create(lb, ll, u * lanes));
              SmallVector<Value> values = valuesAt(lb, ll, offset, lanes);
              for (int64_t o = 0; o < numOutputs; ++o)
                next[o * unroll + u] =
                    combine(lb, ll, o, iter[o * unroll + u], values[o]);
            }
            scf::YieldOp::create(lb, ll, next);
          });
      accs.assign(loop.getResults().begin(), loop.getResults().end());
    }
    // The rest: whole vectors, then a partial one.
    for (int64_t at = mainEnd, u = 0; at < red.size; at += lanes, ++u) {
      Value offset = arith::ConstantIndexOp::create(b, l, at);
      int64_t valid = std::min(lanes, red.size - at);
      SmallVector<Value> values = valuesAt(b, l, offset, valid);
      for (int64_t o = 0; o < numOutputs; ++o)
        accs[o * unroll + u % unroll] =
            combine(b, l, o, accs[o * unroll + u % unroll], values[o]);
    }
    return accs;
  };
  SmallVector<Value> accs;
  for (Value identity : identities)
    accs.append(unroll, identity);
  if (numOuter == 0) {
    accs = accumulateRow(rewriter, loc, accs);
  } else {
    // Loops over the other reduction dims, carrying the accumulators.
    SmallVector<Value> lbs(numOuter, zero), ubs(numOuter),
        steps(numOuter, arith::ConstantIndexOp::create(rewriter, loc, 1));
    // Extents from an input that reads the reduction dims (the match
    // guarantees one).
    for (auto [i, input] : llvm::enumerate(tile.getDpsInputs())) {
      if (!maps[i].getResultPosition(rewriter.getAffineDimExpr(r)))
        continue;
      int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
      for (int64_t d = 0; d < numOuter; ++d)
        ubs[d] = linalg::createOrFoldDimOp(rewriter, loc, input,
                                           rank - 1 - numOuter + d);
      break;
    }
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, lbs, ubs, steps, accs,
        [&](OpBuilder &b, Location l, ValueRange ivs, ValueRange iter) {
          outerIvs.assign(ivs.begin(), ivs.end());
          return scf::ValueVector(
              accumulateRow(b, l, SmallVector<Value>(iter)));
        });
    accs.assign(nest.results.begin(), nest.results.end());
  }
  SmallVector<Value> results;
  for (int64_t o = 0; o < numOutputs; ++o) {
    SmallVector<Value> mine(accs.begin() + o * unroll,
                            accs.begin() + (o + 1) * unroll);
    while (mine.size() > 1) {
      SmallVector<Value> half;
      for (size_t i = 0; i + 1 < mine.size(); i += 2)
        half.push_back(combine(rewriter, loc, o, mine[i], mine[i + 1]));
      if (mine.size() % 2)
        half.push_back(mine.back());
      mine = half;
    }
    Value reduced = vector::ReductionOp::create(
        rewriter, loc, red.outputs[o].kind, mine.front());
    Value out = tile.getDpsInits()[o];
    int64_t outRank = cast<RankedTensorType>(out.getType()).getRank();
    SmallVector<Value> outIndices(outRank, zero);
    Value init = tensor::ExtractOp::create(rewriter, loc, out, outIndices);
    Value result = combine(rewriter, loc, o, reduced, init);
    results.push_back(
        tensor::InsertOp::create(rewriter, loc, result, out, outIndices)
            .getResult());
  }
  rewriter.replaceOp(tile, results);
}

struct VectorizeRowReductionsPass
    : impl::VectorizeRowReductionsBase<VectorizeRowReductionsPass> {
  using VectorizeRowReductionsBase::VectorizeRowReductionsBase;

  void runOnOperation() override {
    int64_t lanes = std::max<int64_t>(1, vectorBytes / 4);
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    SmallVector<std::pair<linalg::GenericOp, RowReduction>> found;
    for (linalg::GenericOp op : generics) {
      if (auto red = matchRowReduction(op, lanes)) {
        found.push_back({op, *red});
        continue;
      }
      // Several short reduced dims as one row. (A collapsed generic that
      // still does not match is the same computation, left to the loops.)
      linalg::GenericOp collapsed = collapseTrailingReductions(rewriter, op);
      if (collapsed == op)
        continue;
      if (auto red = matchRowReduction(collapsed, lanes))
        found.push_back({collapsed, *red});
    }
    for (auto &[op, red] : found) {
      // One tile per row: 1 along every parallel dim, the reductions whole.
      int64_t numLoops = op.getNumLoops();
      SmallVector<OpFoldResult> sizes(numLoops, rewriter.getIndexAttr(0));
      for (int64_t i = 0; i < red.numParallel; ++i)
        sizes[i] = rewriter.getIndexAttr(1);
      linalg::GenericOp tile = op;
      if (red.numParallel > 0) {
        // Dynamic dims count as 1, as for the contraction kernels: a
        // model's batch is often 1 at run time, and a Softmax over
        // [batch, 10] is no work for a second thread (it made the example
        // MLP's static library need libomp).
        int64_t elements = 1;
        for (int64_t range : op.getStaticLoopRanges())
          if (!ShapedType::isDynamic(range))
            elements *= range;
        scf::SCFTilingOptions options;
        options.setTileSizes(sizes);
        options.setLoopType(parallel && elements >= minParallelElements
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
      // The combiners and combined values now live in the tile's body.
      if (std::optional<RowReduction> inTile = matchRowReduction(tile, lanes))
        vectorizeRow(rewriter, tile, *inTile, lanes, unroll);
    }
  }
};

} // namespace
} // namespace onnxc
