//===- AccumulatorInit.cpp - Kernel accumulators from a fill/broadcast ----===//

#include "passes/AccumulatorInit.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace onnxc {
namespace {

/// A generic that only copies its one input into its output through a
/// projected permutation (a broadcast, a transpose of it, or a copy).
bool isBroadcastCopy(linalg::GenericOp gen) {
  if (gen.getNumDpsInputs() != 1 || gen.getNumDpsInits() != 1 ||
      !gen.hasPureTensorSemantics() ||
      gen.getNumParallelLoops() != gen.getNumLoops())
    return false;
  auto maps = gen.getIndexingMapsArray();
  if (!maps[1].isIdentity() || !maps[0].isProjectedPermutation())
    return false;
  Block &body = *gen.getBlock();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  return body.getOperations().size() == 1 &&
         yield.getOperand(0) == body.getArgument(0) &&
         isa<RankedTensorType>(gen.getDpsInputs()[0].getType());
}

} // namespace

std::optional<AccumulatorInit> matchAccumulatorInit(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1)
    return std::nullopt;
  Value init = op.getDpsInits()[0];
  auto initType = dyn_cast<RankedTensorType>(init.getType());
  if (!initType)
    return std::nullopt;
  // The init's dims as groups of the produced tensor's dims.
  SmallVector<ReassociationIndices> groups;
  Value produced = init;
  if (auto collapse = init.getDefiningOp<tensor::CollapseShapeOp>()) {
    groups = collapse.getReassociationIndices();
    produced = collapse.getSrc();
  } else {
    for (int64_t i = 0, e = initType.getRank(); i < e; ++i)
      groups.push_back({i});
  }

  if (auto fill = produced.getDefiningOp<linalg::FillOp>()) {
    if (!fill.hasPureTensorSemantics())
      return std::nullopt;
    AccumulatorInit result;
    result.fillValue = fill.getInputs()[0];
    // (A fill may convert its value; the accumulators take it as it is.)
    if (result.fillValue.getType() != initType.getElementType())
      return std::nullopt;
    return result;
  }

  auto gen = produced.getDefiningOp<linalg::GenericOp>();
  if (!gen || !isBroadcastCopy(gen))
    return std::nullopt;
  auto producedType = cast<RankedTensorType>(produced.getType());
  AffineMap inMap = gen.getIndexingMapsArray()[0];
  MLIRContext *ctx = op.getContext();
  // Each source dim is a produced dim; it must be alone in its group but
  // for unit dims (or be a unit dim itself: then it is always index 0).
  SmallVector<AffineExpr> exprs;
  for (unsigned j = 0, e = inMap.getNumResults(); j < e; ++j) {
    unsigned d = inMap.getDimPosition(j);
    if (producedType.getDimSize(d) == 1) {
      exprs.push_back(getAffineConstantExpr(0, ctx));
      continue;
    }
    std::optional<unsigned> group;
    for (auto [gi, dims] : llvm::enumerate(groups)) {
      if (!llvm::is_contained(dims, static_cast<int64_t>(d)))
        continue;
      for (int64_t other : dims)
        if (other != static_cast<int64_t>(d) &&
            producedType.getDimSize(other) != 1)
          return std::nullopt;
      group = gi;
    }
    if (!group)
      return std::nullopt;
    exprs.push_back(getAffineDimExpr(*group, ctx));
  }
  AccumulatorInit result;
  result.source = gen.getDpsInputs()[0];
  result.map = AffineMap::get(initType.getRank(), 0, exprs, ctx);
  return result;
}

Value detachAccumulatorInit(RewriterBase &rewriter, linalg::LinalgOp op) {
  OpOperand &initOperand = op.getDpsInitsMutable()[0];
  Value init = initOperand.get();
  auto type = cast<RankedTensorType>(init.getType());
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Value empty = tensor::EmptyOp::create(
      rewriter, op.getLoc(), tensor::getMixedSizes(rewriter, op.getLoc(), init),
      type.getElementType());
  rewriter.modifyOpInPlace(op, [&] { initOperand.set(empty); });
  return init;
}

Value readAccumulatorInit(OpBuilder &b, Location loc,
                          const AccumulatorInit &init,
                          ArrayRef<OpFoldResult> offsets,
                          ArrayRef<int64_t> vectorDims, VectorType type) {
  if (init.fillValue)
    return vector::BroadcastOp::create(b, loc, type, init.fillValue);
  auto sourceType = cast<RankedTensorType>(init.source.getType());
  if (sourceType.getRank() == 0) {
    Value scalar = tensor::ExtractOp::create(b, loc, init.source, ValueRange{});
    return vector::BroadcastOp::create(b, loc, type, scalar);
  }
  MLIRContext *ctx = b.getContext();
  // Source indices: the block's offset in the init dim each source dim
  // follows (0 for unit dims).
  SmallVector<Value> indices;
  for (AffineExpr e : init.map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(e))
      indices.push_back(getValueOrCreateConstantIndexOp(
          b, loc, offsets[dim.getPosition()]));
    else
      indices.push_back(arith::ConstantIndexOp::create(b, loc, 0));
  }
  // Vector dim v reads the source dim that follows init dim vectorDims[v],
  // or is a broadcast (in bounds by definition).
  SmallVector<AffineExpr> permutation;
  SmallVector<bool> inBounds;
  for (int64_t initDim : vectorDims) {
    std::optional<unsigned> sourceDim =
        init.map.getResultPosition(getAffineDimExpr(initDim, ctx));
    if (sourceDim) {
      permutation.push_back(getAffineDimExpr(*sourceDim, ctx));
      inBounds.push_back(false);
    } else {
      permutation.push_back(getAffineConstantExpr(0, ctx));
      inBounds.push_back(true);
    }
  }
  AffineMap map = AffineMap::get(sourceType.getRank(), 0, permutation, ctx);
  Value pad = arith::ConstantOp::create(
      b, loc, type.getElementType(), b.getZeroAttr(type.getElementType()));
  return vector::TransferReadOp::create(b, loc, type, init.source, indices, pad,
                                        map, inBounds);
}

} // namespace onnxc
