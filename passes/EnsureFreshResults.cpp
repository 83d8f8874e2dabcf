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
        SmallVector<Value> dynamicSizes;
        for (int64_t d = 0; d < type.getRank(); ++d)
          if (type.isDynamicDim(d))
            dynamicSizes.push_back(
                memref::DimOp::create(b, loc, operand.get(), d));
        auto freshType = MemRefType::get(type.getShape(), type.getElementType());
        Value fresh = memref::AllocOp::create(b, loc, freshType, dynamicSizes);
        memref::CopyOp::create(b, loc, operand.get(), fresh);
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
