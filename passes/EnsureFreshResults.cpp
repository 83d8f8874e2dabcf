//===- EnsureFreshResults.cpp - Returned buffers are fresh allocations ----===//
//
// The runtime takes ownership of every buffer the model returns and frees
// it. A returned memref that is not an allocation made for it (an
// argument, a global constant, a view, or a buffer returned twice) is
// copied into a new allocation first.
//
// One kind of view needs no copy: a reshape of an allocation that nothing
// else returns (a Conv's [n, g, m, p] product collapsed back to NCHW). That
// allocation is made with the returned shape instead, and what used it
// sees it through the inverse reshape: a model whose output was a
// large feature map no longer copies it once more at the end.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_ENSUREFRESHRESULTS
#include "passes/Passes.h.inc"

namespace {

/// The allocation a value is, looking through casts; null if it is not one.
Operation *rootAllocation(Value v) {
  while (auto cast = v.getDefiningOp<memref::CastOp>())
    v = cast.getSource();
  Operation *def = v.getDefiningOp();
  return isa_and_nonnull<memref::AllocOp>(def) ? def : nullptr;
}

bool isPlainStatic(MemRefType type) {
  return type.hasStaticShape() && type.getRank() > 0 &&
         type.getLayout().isIdentity() && !type.getMemorySpace();
}

/// The allocation under a chain of collapse_shape/expand_shape ops ending
/// in `v` (at least one); null if there is none.
memref::AllocOp reshapedAllocation(Value v) {
  Value source = v;
  while (isa_and_nonnull<memref::CollapseShapeOp, memref::ExpandShapeOp>(
      source.getDefiningOp()))
    source = source.getDefiningOp()->getOperand(0);
  if (source == v)
    return {};
  return source.getDefiningOp<memref::AllocOp>();
}

/// `value` (a contiguous buffer) viewed with the contiguous shape `type`
/// of as many elements: flattened, then expanded.
Value reshapeContiguous(OpBuilder &b, Location loc, Value value,
                        MemRefType type) {
  auto from = cast<MemRefType>(value.getType());
  auto all = [](int64_t rank) {
    ReassociationIndices dims;
    for (int64_t d = 0; d < rank; ++d)
      dims.push_back(d);
    return SmallVector<ReassociationIndices>{dims};
  };
  if (from.getRank() != 1)
    value = memref::CollapseShapeOp::create(b, loc, value, all(from.getRank()));
  if (type.getRank() != 1)
    value = memref::ExpandShapeOp::create(b, loc, type, value,
                                          all(type.getRank()));
  return value;
}

/// If `returned` is a reshape of an allocation returned nowhere else,
/// allocates the buffer with the returned type in its place (its other
/// users see the new one reshaped back) and returns the new allocation.
Value allocateAsReturned(Value returned,
                         const DenseMap<Operation *, int> &returnCount) {
  auto type = dyn_cast<MemRefType>(returned.getType());
  memref::AllocOp alloc = reshapedAllocation(returned);
  if (!type || !alloc || !isPlainStatic(type) ||
      !isPlainStatic(alloc.getType()) || returnCount.lookup(alloc) != 1)
    return {};
  OpBuilder b(alloc);
  Location loc = alloc.getLoc();
  auto fresh =
      memref::AllocOp::create(b, loc, type, alloc.getAlignmentAttr());
  Value old = reshapeContiguous(b, loc, fresh, alloc.getType());
  alloc.replaceAllUsesWith(old);
  alloc.erase();
  return fresh;
}

struct EnsureFreshResultsPass
    : impl::EnsureFreshResultsBase<EnsureFreshResultsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      // How many results each allocation is (directly or reshaped).
      DenseMap<Operation *, int> returnCount;
      for (Value v : ret->getOperands()) {
        if (Operation *alloc = rootAllocation(v))
          ++returnCount[alloc];
        else if (memref::AllocOp alloc = reshapedAllocation(v))
          ++returnCount[alloc];
      }
      DenseSet<Operation *> seen;
      OpBuilder b(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        auto type = dyn_cast<MemRefType>(operand.get().getType());
        if (!type)
          continue;
        if (Value fresh = allocateAsReturned(operand.get(), returnCount)) {
          operand.set(fresh);
          seen.insert(fresh.getDefiningOp());
          continue;
        }
        Operation *alloc = rootAllocation(operand.get());
        if (alloc && seen.insert(alloc).second)
          continue;
        Location loc = ret.getLoc();
        // Copy what lies under casts: a cast to a static shape must not
        // hide the run-time size (which the runtime checks against the
        // declared one) nor make the copy read past the buffer.
        Value source = operand.get();
        while (auto cast = source.getDefiningOp<memref::CastOp>())
          source = cast.getSource();
        auto sourceType = cast<MemRefType>(source.getType());
        SmallVector<Value> dynamicSizes;
        for (int64_t d = 0; d < sourceType.getRank(); ++d)
          if (sourceType.isDynamicDim(d))
            dynamicSizes.push_back(memref::DimOp::create(b, loc, source, d));
        auto freshType =
            MemRefType::get(sourceType.getShape(), sourceType.getElementType());
        Value fresh = memref::AllocOp::create(b, loc, freshType, dynamicSizes);
        memref::CopyOp::create(b, loc, source, fresh);
        Value result = fresh;
        if (freshType != type)
          result = memref::CastOp::create(b, loc, type, fresh);
        operand.set(result);
        seen.insert(fresh.getDefiningOp());
      }
    });
  }
};

} // namespace
} // namespace onnxc
