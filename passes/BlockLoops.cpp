//===- BlockLoops.cpp - Loops over a kernel's output blocks ---------------===//

#include "passes/BlockLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace onnxc {

Value buildBlockLoops(
    OpBuilder &builder, Location loc, ArrayRef<int64_t> counts, Value init,
    bool parallel,
    function_ref<OutputBlock(OpBuilder &, ValueRange, Value)> emitBlock) {
  auto unitStrides = [&](OpBuilder &b, size_t rank) {
    return SmallVector<OpFoldResult>(rank, b.getIndexAttr(1));
  };
  if (parallel) {
    SmallVector<OpFoldResult> bounds;
    for (int64_t c : counts)
      bounds.push_back(builder.getIndexAttr(c));
    auto forall = scf::ForallOp::create(
        builder, loc, bounds, ValueRange{init}, std::nullopt,
        [&](OpBuilder &b, Location, ValueRange args) {
          Value out = args.back();
          OutputBlock block = emitBlock(b, args.drop_back(), out);
          auto inParallel = scf::InParallelOp::create(b, loc);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(inParallel.getBody());
          tensor::ParallelInsertSliceOp::create(
              b, loc, block.value, out, block.offsets, block.sizes,
              unitStrides(b, block.offsets.size()));
        });
    return forall.getResult(0);
  }
  return buildTensorLoopNest(
      builder, loc, counts, init,
      [&](OpBuilder &b, Location, ValueRange ivs, Value current) -> Value {
        OutputBlock block = emitBlock(b, ivs, current);
        return tensor::InsertSliceOp::create(
            b, loc, block.value, current, block.offsets, block.sizes,
            unitStrides(b, block.offsets.size()));
      });
}

Value buildTensorLoopNest(
    OpBuilder &builder, Location loc, ArrayRef<int64_t> bounds, Value init,
    function_ref<Value(OpBuilder &, Location, ValueRange, Value)> body) {
  Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  SmallVector<Value> lbs(bounds.size(), zero), steps(bounds.size(), one), ubs;
  for (int64_t n : bounds)
    ubs.push_back(arith::ConstantIndexOp::create(builder, loc, n));
  scf::LoopNest nest = scf::buildLoopNest(
      builder, loc, lbs, ubs, steps, ValueRange{init},
      [&](OpBuilder &b, Location l, ValueRange ivs,
          ValueRange args) -> scf::ValueVector {
        return {body(b, l, ivs, args[0])};
      });
  return nest.results.front();
}

} // namespace onnxc
