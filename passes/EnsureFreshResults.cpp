//===- EnsureFreshResults.cpp - Returned buffers are fresh allocations ----===//
//
// The runtime takes ownership of every buffer the model returns and frees
// it. A returned memref that is not an allocation made for it (an
// argument, a global constant, a view, or a buffer returned twice) is
// copied into a new allocation first.
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

struct EnsureFreshResultsPass
    : impl::EnsureFreshResultsBase<EnsureFreshResultsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      DenseSet<Operation *> seen;
      OpBuilder b(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        auto type = dyn_cast<MemRefType>(operand.get().getType());
        if (!type)
          continue;
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
