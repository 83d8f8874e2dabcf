//===- ContractionEpilogue.cpp - Elementwise epilogues of kernels ---------===//
//
// See ContractionEpilogue.h. The epilogue's body is re-emitted on vectors
// (one per row of the register block); its other inputs are read as blocks
// at the block's offsets (broadcast along the dims they do not have).
//
//===----------------------------------------------------------------------===//

#include "passes/ContractionEpilogue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace onnxc {

namespace {

/// Ops whose scalar form can be re-emitted on vectors of the same elements.
bool isVectorizableScalarOp(Operation &op) {
  if (isa<arith::ConstantOp>(op))
    return true;
  if (!isa<arith::ArithDialect, math::MathDialect>(op.getDialect()))
    return false;
  return op.hasTrait<OpTrait::Elementwise>() && op.getNumRegions() == 0 &&
         isPure(&op) &&
         llvm::all_of(op.getOperandTypes(),
                      [](Type t) { return t.isIntOrIndexOrFloat(); }) &&
         llvm::all_of(op.getResultTypes(),
                      [](Type t) { return t.isIntOrFloat(); });
}

/// True if `value` can be read before `contraction`: it dominates it, or
/// it is a reshape of a value that does, in the same block (a graph
/// input's expand_shape is created next to its elementwise user, after
/// the contraction). Such reshapes are added to `hoist`.
bool availableBefore(Value value, Operation *contraction,
                     DominanceInfo &dominance,
                     SmallVectorImpl<Operation *> &hoist) {
  if (dominance.properlyDominates(value, contraction))
    return true;
  Operation *def = value.getDefiningOp();
  if (!def || !isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def) ||
      def->getBlock() != contraction->getBlock() ||
      !llvm::all_of(def->getOperands(), [&](Value operand) {
        return dominance.properlyDominates(operand, contraction);
      }))
    return false;
  hoist.push_back(def);
  return true;
}

/// True if every read of `residual` (of any view of its tensor) other
/// than `epilogue`'s one happens before `contraction`, in its block, so that
/// the contraction may overwrite the tensor's buffer; and that buffer is
/// one that may be written (the tensor is computed, not a function argument
/// or a constant).
bool onlyReadBefore(Value residual, linalg::GenericOp epilogue,
                    Operation *contraction) {
  Value root = residual;
  while (Operation *def = root.getDefiningOp()) {
    if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
      break;
    root = def->getOperand(0);
  }
  Operation *producer = root.getDefiningOp();
  if (!producer || producer->hasTrait<OpTrait::ConstantLike>() ||
      isa<tensor::EmptyOp>(producer))
    return false;
  Block *block = contraction->getBlock();
  unsigned epilogueReads = 0;
  SmallVector<Value> views{root};
  while (!views.empty()) {
    Value view = views.pop_back_val();
    for (OpOperand &use : view.getUses()) {
      Operation *user = use.getOwner();
      // Views share the buffer: their reads count as the residual's.
      if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
              tensor::ExtractSliceOp, tensor::CastOp>(user)) {
        views.push_back(user->getResult(0));
        continue;
      }
      if (user == epilogue.getOperation() && view == residual) {
        ++epilogueReads;
        continue;
      }
      Operation *ancestor = block->findAncestorOpInBlock(*user);
      if (!ancestor || !ancestor->isBeforeInBlock(contraction))
        return false;
    }
  }
  return epilogueReads == 1;
}

} // namespace

bool writeIntoResidual(RewriterBase &rewriter, ContractionEpilogue &epilogue,
                       linalg::LinalgOp contraction) {
  if (contraction.getNumDpsInits() != 1)
    return false;
  Value init = contraction.getDpsInits()[0];
  auto initType = dyn_cast<RankedTensorType>(init.getType());
  if (!initType || !initType.hasStaticShape() ||
      !init.getDefiningOp<tensor::EmptyOp>())
    return false;
  linalg::GenericOp op = epilogue.op;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (input->getOperandNumber() == epilogue.resultInput ||
        !op.getMatchingIndexingMap(input).isIdentity())
      continue;
    Value residual = input->get();
    auto type = dyn_cast<RankedTensorType>(residual.getType());
    if (!type)
      continue;
    RankedTensorType asInitType = type;
    if (epilogue.throughExpand)
      asInitType = tensor::CollapseShapeOp::inferCollapsedType(
          type, epilogue.reassociation);
    // The type first: the walk over the residual's uses costs more.
    if (asInitType != initType || !onlyReadBefore(residual, op, contraction))
      continue;
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(contraction);
    Value asInit = residual;
    if (epilogue.throughExpand)
      asInit = tensor::CollapseShapeOp::create(rewriter, contraction.getLoc(),
                                               residual,
                                               epilogue.reassociation);
    rewriter.modifyOpInPlace(contraction, [&] {
      contraction.getDpsInitsMutable()[0].set(asInit);
    });
    epilogue.inPlaceInput = input->getOperandNumber();
    return true;
  }
  return false;
}

void hoistEpilogueInputs(const ContractionEpilogue &epilogue,
                         Operation *contraction) {
  for (Operation *op : epilogue.hoist)
    if (contraction->isBeforeInBlock(op))
      op->moveBefore(contraction);
}

std::optional<ContractionEpilogue>
matchContractionEpilogue(linalg::LinalgOp contraction,
                         DominanceInfo &dominance) {
  if (contraction->getNumResults() != 1)
    return std::nullopt;
  Value result = contraction->getResult(0);
  if (!result.hasOneUse())
    return std::nullopt;
  ContractionEpilogue epilogue;
  Value consumed = result;
  Operation *user = *result.getUsers().begin();
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(user)) {
    if (!expand->getResult(0).hasOneUse())
      return std::nullopt;
    consumed = expand.getResult();
    user = *consumed.getUsers().begin();
    epilogue.throughExpand = true;
    epilogue.reassociation = expand.getReassociationIndices();
  }
  auto op = dyn_cast<linalg::GenericOp>(user);
  if (!op || op->getNumResults() != 1 || op.getNumDpsInits() != 1 ||
      !op.hasPureTensorSemantics() ||
      op.getNumLoops() != op.getNumParallelLoops())
    return std::nullopt;
  Type elem = getElementTypeOrSelf(result.getType());
  if (op->getResult(0).getType() != consumed.getType())
    return std::nullopt;
  Block &body = *op.getBlock();
  OpOperand *init = op.getDpsInitOperand(0);
  if (!op.getMatchingIndexingMap(init).isIdentity() ||
      !op.getMatchingBlockArgument(init).use_empty())
    return std::nullopt;
  (void)elem;
  bool found = false;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (input->get() == consumed) {
      if (found || !map.isIdentity())
        return std::nullopt; // read twice, or transposed
      found = true;
      epilogue.resultInput = input->getOperandNumber();
      continue;
    }
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    if (!type || !type.getElementType().isIntOrFloat() ||
        !map.isProjectedPermutation(/*allowZeroInResults=*/true) ||
        (epilogue.throughExpand && type.getRank() != 0 &&
         !map.isIdentity()) ||
        !availableBefore(input->get(), contraction, dominance,
                         epilogue.hoist))
      return std::nullopt;
  }
  if (!found)
    return std::nullopt;
  for (Operation &inner : body.without_terminator())
    if (!isVectorizableScalarOp(inner))
      return std::nullopt;
  epilogue.op = op;
  return epilogue;
}

SmallVector<Value> emitContractionEpilogue(OpBuilder &b, Location loc,
                                           const ContractionEpilogue &epilogue,
                                           const EpilogueBlock &block,
                                           ArrayRef<Value> rows,
                                           ArrayRef<Value> inPlaceRows) {
  linalg::GenericOp op = epilogue.op;
  Block &body = *op.getBlock();
  SmallVector<int64_t> rowShape{block.cols};
  // Per input of the epilogue: one value per row of the block (vectors,
  // or scalars for rank-0 inputs).
  SmallVector<SmallVector<Value>> inputRows;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (input->getOperandNumber() == epilogue.resultInput) {
      inputRows.push_back(SmallVector<Value>(rows));
      continue;
    }
    if (int(input->getOperandNumber()) == epilogue.inPlaceInput) {
      assert(inPlaceRows.size() == rows.size() &&
             "the kernel must pass its output block for an in-place input");
      inputRows.push_back(SmallVector<Value>(inPlaceRows));
      continue;
    }
    Value source = input->get();
    auto type = cast<RankedTensorType>(source.getType());
    Type elem = type.getElementType();
    if (type.getRank() == 0) {
      Value scalar = tensor::ExtractOp::create(b, loc, source, ValueRange{});
      inputRows.push_back(SmallVector<Value>(rows.size(), scalar));
      continue;
    }
    // The block of this input: its dims index the epilogue's (= the
    // contraction output's) dims; rows/columns it lacks are broadcast.
    AffineMap map = op.getMatchingIndexingMap(input);
    if (epilogue.throughExpand) {
      // An identity-mapped input, read in the contraction's (collapsed)
      // index space: a view, no copy.
      source = tensor::CollapseShapeOp::create(b, loc, source,
                                               epilogue.reassociation);
      map = b.getMultiDimIdentityMap(block.offsets.size());
    }
    SmallVector<Value> indices;
    // (A constant 0 result is a broadcast size-1 dim.)
    for (AffineExpr e : map.getResults())
      indices.push_back(
          isa<AffineDimExpr>(e)
              ? getValueOrCreateConstantIndexOp(
                    b, loc,
                    block.offsets[cast<AffineDimExpr>(e).getPosition()])
              : arith::ConstantIndexOp::create(b, loc, 0).getResult());
    SmallVector<AffineExpr> vectorExprs;
    SmallVector<bool> inBounds;
    SmallVector<int64_t> shape;
    auto addDim = [&](int64_t pos, int64_t size, bool whole) {
      shape.push_back(size);
      if (std::optional<unsigned> r =
              map.getResultPosition(b.getAffineDimExpr(pos))) {
        vectorExprs.push_back(b.getAffineDimExpr(*r));
        inBounds.push_back(whole);
      } else {
        vectorExprs.push_back(b.getAffineConstantExpr(0));
        inBounds.push_back(true); // broadcast dims must be in bounds
      }
    };
    if (block.rowPos >= 0)
      addDim(block.rowPos, block.rows, block.wholeRows);
    addDim(block.colPos, block.cols, block.wholeCols);
    AffineMap transfer =
        AffineMap::get(map.getNumResults(), 0, vectorExprs, b.getContext());
    Value pad = arith::ConstantOp::create(b, loc, elem, b.getZeroAttr(elem));
    Value read = vector::TransferReadOp::create(
        b, loc, VectorType::get(shape, elem), source, indices, pad, transfer,
        inBounds);
    SmallVector<Value> perRow;
    if (block.rowPos >= 0) {
      for (int64_t i = 0; i < block.rows; ++i)
        perRow.push_back(vector::ExtractOp::create(b, loc, read, i));
    } else {
      perRow.push_back(read);
    }
    inputRows.push_back(perRow);
  }

  SmallVector<Value> results;
  for (size_t row = 0; row < rows.size(); ++row) {
    IRMapping mapping;
    for (auto [i, values] : llvm::enumerate(inputRows))
      mapping.map(body.getArgument(i), values[row]);
    auto vectorOf = [&](Value v) -> Value {
      if (isa<VectorType>(v.getType()))
        return v;
      return vector::BroadcastOp::create(
          b, loc, VectorType::get(rowShape, v.getType()), v);
    };
    for (Operation &inner : body.without_terminator()) {
      SmallVector<Value> operands;
      bool anyVector = false;
      for (Value v : inner.getOperands()) {
        Value mapped = mapping.lookupOrDefault(v);
        anyVector |= isa<VectorType>(mapped.getType());
        operands.push_back(mapped);
      }
      if (!anyVector) {
        b.clone(inner, mapping); // constants and scalar-only arithmetic
        continue;
      }
      for (Value &v : operands)
        v = vectorOf(v);
      OperationState state(loc, inner.getName());
      state.addOperands(operands);
      for (Type t : inner.getResultTypes())
        state.addTypes(VectorType::get(rowShape, t));
      state.addAttributes(inner.getAttrs());
      Operation *vectorized = b.create(state);
      mapping.map(inner.getResults(), vectorized->getResults());
    }
    Value yielded = mapping.lookupOrDefault(
        cast<linalg::YieldOp>(body.getTerminator()).getOperand(0));
    results.push_back(vectorOf(yielded));
  }
  return results;
}

void foldContractionEpilogue(RewriterBase &rewriter,
                             const ContractionEpilogue &epilogue) {
  rewriter.replaceOp(epilogue.op,
                     epilogue.op->getOperand(epilogue.resultInput));
}

} // namespace onnxc
