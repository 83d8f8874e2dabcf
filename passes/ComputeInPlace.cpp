//===- ComputeInPlace.cpp - Results computed in their final slice ---------===//
//
// A Concat's inputs and a Pad's interior are lowered to tensor.insert_slice
// into a larger tensor. Each input is usually computed into a fresh tensor
// (a kernel's tensor.empty) that bufferizes to a buffer of its own, and the
// insert_slice then copies it into the larger buffer: squeezenet's fire
// modules copied every expand convolution's output into the Concat
// (about 5% of its run time at one thread, done serially).
//
// Where the inserted value is an op's result whose init is a tensor.empty
// (looking through reshapes), that init is replaced
// by the slice of the destination that it will be inserted into:
//
//   %e = tensor.empty                 %s = tensor.extract_slice %d[X]
//   %r = op outs(%e)           ==>    %r = op outs(%s)
//   ... insert_slice %r into %d[X]    ... insert_slice %r into %d[X]
//
// where %d is built by insert_slices from a tensor.empty or linalg.fill
// (its root), and the ops computing %d are moved up before the op (or,
// where they cannot be, the op is moved down to its insert). The op may
// be a chain of loops each completing the previous one's result (a
// kernel's peeled last blocks): the first one's init is replaced. The
// values are the same (the op fully overwrites its
// init, which was undefined before), so this is always correct; one-shot
// bufferization then finds the op's writes and the insert on the same
// subset of one buffer and drops the copy. (Upstream's
// -eliminate-empty-tensors does the same but needs the empty tensor and the
// slice to have one type: here the kernels' tensors are reshaped views of
// the inserted value.)
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_COMPUTEINPLACE
#include "passes/Passes.h.inc"

namespace {

/// The init operand an op's `result` is written into, for ops that write
/// their results into their inits.
OpOperand *tiedInit(OpResult result) {
  Operation *op = result.getOwner();
  if (auto forall = dyn_cast<scf::ForallOp>(op))
    return forall.getTiedOpOperand(result);
  if (auto loop = dyn_cast<LoopLikeOpInterface>(op))
    return loop.getTiedLoopInit(result);
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(op))
    return dps.getTiedOpOperand(result);
  return nullptr;
}

/// The tensor.empty or linalg.fill (of a tensor.empty) that `dest` is built
/// from by insert_slices; null if it is anything else.
Operation *destinationRoot(Value dest) {
  while (auto insert = dest.getDefiningOp<tensor::InsertSliceOp>())
    dest = insert.getDest();
  Operation *def = dest.getDefiningOp();
  if (isa_and_nonnull<tensor::EmptyOp>(def))
    return def;
  if (auto fill = dyn_cast_or_null<linalg::FillOp>(def))
    if (fill.hasPureTensorSemantics() &&
        fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>())
      return def;
  return nullptr;
}

/// Makes `value` available before `point`, moving the side-effect-free
/// ops that compute it (a fill and its tensor.empty, an earlier insert of
/// the chain and its source's reshapes, constants) up to `point` where they
/// are in its block after it. Fails, moving nothing, where an op has
/// regions or effects, lies in another block, or the chain is deeper than
/// `depth`.
LogicalResult makeAvailableBefore(Value value, Operation *point,
                                  DominanceInfo &dominance, int depth = 6) {
  SmallVector<Operation *> toMove; // in the order they must end up
  std::function<bool(Value, int)> collect = [&](Value v, int d) {
    if (dominance.properlyDominates(v, point))
      return true;
    Operation *def = v.getDefiningOp();
    // (A fill's region is only its body.)
    if (!def || d == 0 || def->getBlock() != point->getBlock() ||
        (def->getNumRegions() && !isa<linalg::FillOp>(def)) ||
        !isMemoryEffectFree(def))
      return false;
    if (llvm::is_contained(toMove, def))
      return true;
    for (Value operand : def->getOperands())
      if (!collect(operand, d - 1))
        return false;
    toMove.push_back(def);
    return true;
  };
  if (!collect(value, depth))
    return failure();
  for (Operation *op : toMove)
    op->moveBefore(point);
  return success();
}

/// A copy of `root` (a fill with a copy of its tensor.empty) before
/// `point`; null when its operands do not dominate `point`.
Operation *cloneRoot(RewriterBase &rewriter, Operation *root, Operation *point,
                     DominanceInfo &dominance) {
  auto fill = dyn_cast<linalg::FillOp>(root);
  Operation *empty = fill ? fill.getOutputs()[0].getDefiningOp() : root;
  for (Value operand : empty->getOperands())
    if (failed(makeAvailableBefore(operand, point, dominance)))
      return nullptr;
  if (fill &&
      failed(makeAvailableBefore(fill.getInputs()[0], point, dominance)))
    return nullptr;
  rewriter.setInsertionPoint(point);
  Operation *newEmpty = rewriter.clone(*empty);
  if (!fill)
    return newEmpty;
  IRMapping mapping;
  mapping.map(fill.getOutputs()[0], newEmpty->getResult(0));
  return rewriter.clone(*fill, mapping);
}

/// Whether the slice `insert` writes, reshaped back through `reshapes`
/// (from the source back to the op's result), is still a strided view of
/// the destination: a collapse must merge dims that are contiguous in it.
/// A 1x1 convolution's [C, H*W] result inserted into a padded [C, H+2,
/// W+2] tensor is not (its rows are W+2 apart): bufferization would copy
/// the slice into a buffer of its own, and then back.
bool sliceStaysAView(tensor::InsertSliceOp insert,
                     ArrayRef<Operation *> reshapes) {
  RankedTensorType destType = insert.getResultType();
  ArrayRef<int64_t> shape = insert.getSourceType().getShape();
  if (int64_t(shape.size()) != destType.getRank())
    return false; // (rank-reducing inserts are not handled)
  SmallVector<int64_t> sizes(shape), strides(shape.size(), 1);
  for (int64_t d = destType.getRank() - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * destType.getDimSize(d + 1);
  for (Operation *reshape : reshapes) {
    SmallVector<int64_t> newSizes, newStrides;
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(reshape)) {
      // Undone by an expand: always a view.
      ArrayRef<int64_t> srcShape = collapse.getSrcType().getShape();
      for (auto [r, group] :
           llvm::enumerate(collapse.getReassociationIndices())) {
        int64_t stride = strides[r];
        SmallVector<int64_t> groupStrides(group.size());
        for (int64_t i = group.size() - 1; i >= 0; --i) {
          groupStrides[i] = stride;
          stride *= srcShape[group[i]];
        }
        for (auto [i, dim] : llvm::enumerate(group)) {
          newSizes.push_back(srcShape[dim]);
          newStrides.push_back(groupStrides[i]);
        }
      }
    } else {
      // Undone by a collapse: each group must be contiguous.
      auto expand = cast<tensor::ExpandShapeOp>(reshape);
      for (ReassociationIndices group : expand.getReassociationIndices()) {
        int64_t size = 1, stride = 1;
        std::optional<int64_t> inner; // the last non-unit dim seen
        for (int64_t dim : llvm::reverse(group)) {
          if (sizes[dim] == 1)
            continue;
          if (inner && strides[dim] != strides[*inner] * sizes[*inner])
            return false;
          if (!inner)
            stride = strides[dim];
          inner = dim;
          size *= sizes[dim];
        }
        newSizes.push_back(size);
        newStrides.push_back(stride);
      }
    }
    sizes = std::move(newSizes);
    strides = std::move(newStrides);
  }
  return true;
}

/// Rewrites one insert_slice's source to be computed in place; fails when
/// the pattern does not apply (having at most moved or cloned
/// side-effect-free ops, which changes no value).
LogicalResult computeInPlace(RewriterBase &rewriter,
                             tensor::InsertSliceOp insert,
                             DominanceInfo &dominance) {
  if (!insert.getSourceType().hasStaticShape() ||
      !insert.getResultType().hasStaticShape() ||
      !insert.hasUnitStride())
    return failure();
  for (OpFoldResult offset : insert.getMixedOffsets())
    if (!getConstantIntValue(offset))
      return failure();
  // Source <- reshapes <- an op's result tied to a tensor.empty.
  SmallVector<Operation *> reshapes; // from the source back to the result
  Value value = insert.getSource();
  while (isa_and_nonnull<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(
      value.getDefiningOp())) {
    if (!value.hasOneUse())
      return failure();
    reshapes.push_back(value.getDefiningOp());
    value = value.getDefiningOp()->getOperand(0);
  }
  auto result = dyn_cast<OpResult>(value);
  if (!result || !value.hasOneUse())
    return failure();
  OpOperand *init = tiedInit(result);
  // An op that only completes another's result (a kernel's last, partial
  // blocks in a loop of their own, passes/PeelPartialBlocks.h) writes into
  // it: follow such inits back to the first op of the chain, whose init
  // is replaced.
  SmallVector<Operation *> chain{result.getOwner()}; // last op first
  while (init) {
    auto earlier = dyn_cast<OpResult>(init->get());
    if (!earlier || !earlier.hasOneUse())
      break;
    OpOperand *earlierInit = tiedInit(earlier);
    if (!earlierInit)
      break;
    result = earlier;
    init = earlierInit;
    chain.push_back(result.getOwner());
  }
  // (CSE merges equal tensor.empty ops: the empty tensor may be the init
  // of other ops too. Only this use is replaced.)
  if (!init)
    return failure();
  // The init may be a reshaped empty tensor (a kernel's flattened view of
  // its output, as in passes/VectorizeDirectConv.cpp), which CSE may have
  // merged with other uses: only this use is replaced.
  Value initRoot = init->get();
  while (isa_and_nonnull<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(
      initRoot.getDefiningOp()))
    initRoot = initRoot.getDefiningOp()->getOperand(0);
  auto empty = initRoot.getDefiningOp<tensor::EmptyOp>();
  if (!empty)
    return failure();
  if (!sliceStaysAView(insert, reshapes))
    return failure();
  Operation *producer = result.getOwner();
  // The slice is taken from the insert's own destination, which must then
  // exist before the producer: the ops computing it (the root of the
  // insert chain, earlier inserts) are moved up there where needed. (A
  // slice of the root taken for a later insert of the chain would be
  // correct too, but one-shot bufferization does not see that the earlier
  // inserts into the root write other subsets, and copies.)
  Value dest = insert.getDest();
  Operation *root = destinationRoot(dest);
  if (!root || root->getBlock() != producer->getBlock())
    return failure();
  if (dest.getDefiningOp() == root && !root->getResult(0).hasOneUse()) {
    // CSE merges equal empty tensors and fills: the root may be the init
    // of other ops too (the output of a ReLU after the Concat), and their
    // writes would then conflict with this chain's. The chain gets a root
    // of its own.
    Operation *clone = cloneRoot(rewriter, root, producer, dominance);
    if (!clone)
      return failure();
    rewriter.modifyOpInPlace(insert, [&] {
      insert.getDestMutable().assign(clone->getResult(0));
    });
    dest = clone->getResult(0);
  } else if (failed(makeAvailableBefore(dest, producer, dominance))) {
    // The destination comes after the producer (an earlier insert of a
    // Concat's chain, whose source is computed later: squeezenet's 3x3
    // expand runs before its 1x1 one): move the producer, and what links
    // it to the insert, down to the insert instead. Their operands are
    // defined before them, so still before the insert.
    if (producer->getBlock() != insert->getBlock())
      return failure();
    for (Operation *op : llvm::reverse(chain))
      if (op->getBlock() != insert->getBlock())
        return failure();
    for (Operation *op : llvm::reverse(chain))
      op->moveBefore(insert);
    for (Operation *reshape : llvm::reverse(reshapes))
      reshape->moveBefore(insert);
  }

  // The slice, reshaped back into the empty tensor's type.
  rewriter.setInsertionPoint(producer);
  Location loc = insert.getLoc();
  Value slice = tensor::ExtractSliceOp::create(
      rewriter, loc, insert.getSourceType(), dest,
      insert.getMixedOffsets(), insert.getMixedSizes(),
      insert.getMixedStrides());
  for (Operation *reshape : reshapes) {
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(reshape))
      slice = tensor::ExpandShapeOp::create(
          rewriter, loc, collapse.getSrcType(), slice,
          collapse.getReassociationIndices());
    else
      slice = tensor::CollapseShapeOp::create(
          rewriter, loc, slice,
          cast<tensor::ExpandShapeOp>(reshape).getReassociationIndices());
  }
  if (slice.getType() != init->get().getType())
    return failure(); // (the unused slice ops are left to canonicalization)
  Value oldInit = init->get();
  rewriter.modifyOpInPlace(producer, [&] { init->set(slice); });
  // The empty tensor and the reshapes of it that only fed this init.
  while (Operation *dead = oldInit.getDefiningOp()) {
    if (!dead->use_empty() ||
        !isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::EmptyOp>(
            dead))
      break;
    bool reshape = !isa<tensor::EmptyOp>(dead);
    if (reshape)
      oldInit = dead->getOperand(0);
    rewriter.eraseOp(dead);
    if (!reshape)
      break;
  }
  return success();
}

struct ComputeInPlacePass : impl::ComputeInPlaceBase<ComputeInPlacePass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<tensor::InsertSliceOp> inserts;
    getOperation().walk(
        [&](tensor::InsertSliceOp op) { inserts.push_back(op); });
    DominanceInfo dominance(getOperation());
    for (tensor::InsertSliceOp insert : inserts) {
      if (succeeded(computeInPlace(rewriter, insert, dominance)))
        dominance.invalidate();
    }
  }
};

} // namespace
} // namespace onnxc
