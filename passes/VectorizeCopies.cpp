//===- VectorizeCopies.cpp - Strided copies as loops of vector rows -------===//
//
// Bufferization leaves a memref.copy wherever a value moves between
// layouts: a convolution's input into the interior of its padded buffer
// (resnet50: 56x56 planes into 58x58 ones, per channel), the last partial
// panel of columns before a kernel (4 columns of 196 into a 64-wide
// panel). Unless both sides are contiguous, finalize-memref-to-llvm lowers
// it to a call of memrefCopy (runtime/onnxc_runtime.c), which walks the
// descriptors and calls memcpy once per row: resnet50 spent about 0.8 ms
// of 50 there, per row of 56 floats or per 4 floats.
//
// With a static shape and a unit innermost stride on both sides, the copy
// becomes loops over the outer dims (unit dims get no loop) around one
// vector.transfer_read / vector.transfer_write of a whole row, in bounds,
// which LLVM splits into the target's vector registers (56 floats: three
// 16-lane moves and one of 8).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_VECTORIZECOPIES
#include "passes/Passes.h.inc"

namespace {

/// Whether `type` has a static shape and a unit innermost stride.
bool hasUnitInnerStride(MemRefType type) {
  if (!type.hasStaticShape() || type.getRank() == 0)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  return strides.back() == 1;
}

/// Whether this pass rewrites `copy`: static shapes, whole-byte elements,
/// unit innermost strides, rows of at most `maxRowElements`, and not both
/// sides contiguous (that copy is already one memcpy intrinsic).
bool worthVectorizing(memref::CopyOp copy, int64_t maxRowElements) {
  auto src = dyn_cast<MemRefType>(copy.getSource().getType());
  auto dst = dyn_cast<MemRefType>(copy.getTarget().getType());
  if (!src || !dst || src.getShape() != dst.getShape())
    return false;
  Type elem = src.getElementType();
  if (elem != dst.getElementType() || !elem.isIntOrFloat() ||
      elem.getIntOrFloatBitWidth() % 8 != 0)
    return false;
  if (!hasUnitInnerStride(src) || !hasUnitInnerStride(dst))
    return false;
  if (src.getLayout().isIdentity() && dst.getLayout().isIdentity())
    return false;
  int64_t row = src.getShape().back();
  return row > 0 && row <= maxRowElements && src.getNumElements() > 0;
}

void vectorizeCopy(RewriterBase &rewriter, memref::CopyOp copy) {
  Location loc = copy.getLoc();
  auto type = cast<MemRefType>(copy.getSource().getType());
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rank = type.getRank();
  rewriter.setInsertionPoint(copy);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  SmallVector<Value> indices(rank, zero);
  // One loop per outer dim longer than 1, outermost first.
  for (int64_t d = 0; d + 1 < rank; ++d) {
    if (shape[d] == 1)
      continue;
    Value ub = arith::ConstantIndexOp::create(rewriter, loc, shape[d]);
    auto loop = scf::ForOp::create(rewriter, loc, zero, ub, one);
    indices[d] = loop.getInductionVar();
    rewriter.setInsertionPoint(loop.getBody()->getTerminator());
  }
  auto rowType = VectorType::get({shape.back()}, type.getElementType());
  Value row = vector::TransferReadOp::create(
      rewriter, loc, rowType, copy.getSource(), indices,
      /*padding=*/std::nullopt, ArrayRef<bool>{true});
  vector::TransferWriteOp::create(rewriter, loc, row, copy.getTarget(),
                                  indices, ArrayRef<bool>{true});
  rewriter.eraseOp(copy);
}

struct VectorizeCopiesPass : impl::VectorizeCopiesBase<VectorizeCopiesPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      if (worthVectorizing(copy, maxRowElements))
        copies.push_back(copy);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies)
      vectorizeCopy(rewriter, copy);
  }
};

} // namespace
} // namespace onnxc
