//===- CudaMapToGpu.cpp - linalg on memrefs to GPU-mapped loops -----------===//
//
// The CUDA backend's one scheduling decision, kept simple on purpose: every
// linalg op is one kernel whose threads each compute one point of the op's
// parallel iteration space (reductions run inside the thread). Flattening
// the parallel dimensions into one keeps any shape inside CUDA's grid limits
// (2^31 - 1 blocks in x; y and z stop at 65,535) and makes consecutive
// threads touch consecutive elements of the innermost dimension, which is
// what coalesces the loads and stores. Shared-memory tiling and tensor cores
// for contractions come later, as their own patterns in front of this one.
//
//===----------------------------------------------------------------------===//

#include "codegen/CudaPasses.h"
#include "codegen/CudaTiledContraction.h"

#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_CUDAMAPTOGPU
#include "codegen/CudaPasses.h.inc"

namespace {

bool isConstantIndex(Value v, int64_t expected) {
  APInt value;
  return matchPattern(v, m_ConstantInt(&value)) &&
         value.getSExtValue() == expected;
}

/// The loop nest a linalg op becomes: parallel dimensions first (one
/// `scf.parallel`), reductions inside. Moving the reductions inward keeps
/// their relative order, so each output element sums in the same order as
/// on the CPU.
LogicalResult lowerLinalgOp(IRRewriter &rewriter, linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> order;
  for (unsigned i = 0; i < iterators.size(); ++i)
    if (iterators[i] == utils::IteratorType::parallel)
      order.push_back(i);
  size_t parallelCount = order.size();
  for (unsigned i = 0; i < iterators.size(); ++i)
    if (iterators[i] != utils::IteratorType::parallel)
      order.push_back(i);

  bool identity = llvm::equal(order, llvm::seq<unsigned>(0, order.size()));
  if (!identity) {
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::GenericOp> generalized =
          linalg::generalizeNamedOp(rewriter, op);
      if (failed(generalized))
        return op.emitError("the CUDA backend cannot reorder the loops of '")
               << op->getName() << "'";
      generic = *generalized;
    }
    FailureOr<linalg::GenericOp> interchanged =
        linalg::interchangeGenericOp(rewriter, generic, order);
    if (failed(interchanged))
      return generic.emitError("the CUDA backend cannot reorder the loops of "
                               "'linalg.generic'");
    op = cast<linalg::LinalgOp>(interchanged->getOperation());
  }

  // Nothing parallel: one thread runs the whole op, inside a one-iteration
  // parallel loop the mapping below turns into a one-thread kernel.
  if (parallelCount == 0) {
    rewriter.setInsertionPoint(op);
    Location loc = op.getLoc();
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto wrapper = scf::ParallelOp::create(rewriter, loc, ValueRange{zero},
                                           ValueRange{one}, ValueRange{one});
    op->moveBefore(wrapper.getBody()->getTerminator());
  }

  rewriter.setInsertionPoint(op);
  if (failed(linalg::linalgOpToParallelLoops(rewriter, op)))
    return op.emitError("the CUDA backend cannot turn '")
           << op->getName() << "' into loops";
  rewriter.eraseOp(op);
  return success();
}

/// A parallel loop nested in a mapped one runs sequentially in its thread.
LogicalResult sequentialize(IRRewriter &rewriter, scf::ParallelOp loop) {
  if (loop.getNumReductions() != 0)
    return loop.emitError("the CUDA backend cannot run a nested parallel "
                          "reduction yet");
  rewriter.setInsertionPoint(loop);
  scf::buildLoopNest(
      rewriter, loop.getLoc(), loop.getLowerBound(), loop.getUpperBound(),
      loop.getStep(), [&](OpBuilder &b, Location, ValueRange ivs) {
        IRMapping mapping;
        mapping.map(loop.getInductionVars(), ivs);
        for (Operation &op : loop.getBody()->without_terminator())
          b.clone(op, mapping);
      });
  rewriter.eraseOp(loop);
  return success();
}

/// Flattens `loop` (bounds 0..N_i, step 1) into blocks of `blockSize`
/// threads: thread t of block b computes the point whose row-major linear
/// index is b * blockSize + t, when that is below N_0 * ... * N_k-1.
LogicalResult mapToBlocksAndThreads(IRRewriter &rewriter, scf::ParallelOp loop,
                                    int64_t blockSize) {
  if (loop.getNumReductions() != 0)
    return loop.emitError("the CUDA backend cannot map a parallel reduction "
                          "yet");
  for (auto [lb, step] : llvm::zip(loop.getLowerBound(), loop.getStep()))
    if (!isConstantIndex(lb, 0) || !isConstantIndex(step, 1))
      return loop.emitError("the CUDA backend maps only loops that start at 0 "
                            "with step 1");
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  Value block = arith::ConstantIndexOp::create(rewriter, loc, blockSize);
  Value total = one;
  for (Value ub : loop.getUpperBound())
    total = arith::MulIOp::create(rewriter, loc, total, ub);

  auto blocks = scf::ParallelOp::create(rewriter, loc, ValueRange{zero},
                                        ValueRange{total}, ValueRange{block});
  rewriter.setInsertionPoint(blocks.getBody()->getTerminator());
  auto threads = scf::ParallelOp::create(rewriter, loc, ValueRange{zero},
                                         ValueRange{block}, ValueRange{one});
  rewriter.setInsertionPoint(threads.getBody()->getTerminator());
  Value linear =
      arith::AddIOp::create(rewriter, loc, blocks.getInductionVars()[0],
                            threads.getInductionVars()[0]);
  Value inRange = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult,
                                        linear, total);
  auto guard = scf::IfOp::create(rewriter, loc, inRange, /*else=*/false);
  rewriter.setInsertionPoint(guard.thenBlock()->getTerminator());

  // Row-major delinearization: the last dimension varies fastest.
  SmallVector<Value> ivs(loop.getNumLoops());
  Value rest = linear;
  for (int64_t d = loop.getNumLoops() - 1; d >= 0; --d) {
    Value size = loop.getUpperBound()[d];
    if (d == 0) {
      ivs[d] = rest;
      break;
    }
    ivs[d] = arith::RemUIOp::create(rewriter, loc, rest, size);
    rest = arith::DivUIOp::create(rewriter, loc, rest, size);
  }
  IRMapping mapping;
  mapping.map(loop.getInductionVars(), ivs);
  for (Operation &op : loop.getBody()->without_terminator())
    rewriter.clone(op, mapping);
  rewriter.eraseOp(loop);

  MLIRContext *ctx = rewriter.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
  auto dim = [&](gpu::Processor p) {
    return gpu::ParallelLoopDimMappingAttr::get(ctx, p, id, id);
  };
  if (failed(gpu::setMappingAttr(blocks, {dim(gpu::Processor::BlockX)})) ||
      failed(gpu::setMappingAttr(threads, {dim(gpu::Processor::ThreadX)})))
    return blocks.emitError("cannot set the GPU mapping");
  return success();
}

/// True when `buffer` is (a view of) a constant global: the library keeps
/// the host's copy of its bytes, so host code may read it (a Reshape's
/// target shape, for one).
bool isHostReadableConstant(Value buffer) {
  while (auto view = buffer.getDefiningOp<ViewLikeOpInterface>())
    buffer = view.getViewSource();
  auto get = buffer.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return false;
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  return global && global.getConstant();
}

/// True when `op` reads or writes the contents of a buffer the host cannot
/// see (anything but reading a constant, or one element: a memref.load or
/// memref.store the host code does through the runtime, CudaLowerHost).
bool touchesDeviceBuffer(Operation *op) {
  if (isa<memref::LoadOp, memref::StoreOp>(op))
    return false;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return false;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  return llvm::any_of(instances, [](const MemoryEffects::EffectInstance &e) {
    if (isa<MemoryEffects::Write>(e.getEffect()))
      return true;
    if (!isa<MemoryEffects::Read>(e.getEffect()))
      return false;
    Value value = e.getValue();
    return !value || !isHostReadableConstant(value);
  });
}

struct CudaMapToGpuPass : impl::CudaMapToGpuBase<CudaMapToGpuPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());

    // Copies the bufferization inserted become kernels like any other op.
    SmallVector<memref::CopyOp> copies;
    func.walk([&](memref::CopyOp op) { copies.push_back(op); });
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      linalg::CopyOp::create(rewriter, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      rewriter.eraseOp(copy);
    }

    // Outermost linalg ops only: an op nested in another's region (none
    // come from the lowering today) would be lowered with its parent.
    SmallVector<linalg::LinalgOp> linalgOps;
    func.walk([&](linalg::LinalgOp op) {
      if (!op->getParentOfType<linalg::LinalgOp>())
        linalgOps.push_back(op);
    });
    for (linalg::LinalgOp op : linalgOps) {
      // Matmul-shaped ops: shared-memory tiles (CudaTiledContraction.cpp);
      // any other op is left as it is for the per-thread mapping.
      if (tileContractions > 0 &&
          succeeded(
              lowerContractionToTiledLaunch(rewriter, op, tileContractions)))
        continue;
      if (failed(lowerLinalgOp(rewriter, op)))
        return signalPassFailure();
    }

    SmallVector<scf::ParallelOp> outermost, nested;
    func.walk([&](scf::ParallelOp op) {
      (op->getParentOfType<scf::ParallelOp>() ? nested : outermost)
          .push_back(op);
    });
    // Innermost first, so each one's body has no parallel loop left.
    for (scf::ParallelOp op : llvm::reverse(nested))
      if (failed(sequentialize(rewriter, op)))
        return signalPassFailure();
    for (scf::ParallelOp op : outermost)
      if (failed(mapToBlocksAndThreads(rewriter, op, blockSize)))
        return signalPassFailure();

    // What is left outside the kernels runs on the host, which cannot see
    // the device's buffers (constants excepted: the host keeps them).
    WalkResult result = func.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<scf::ParallelOp>(op))
        return WalkResult::skip();
      if (!touchesDeviceBuffer(op))
        return WalkResult::advance();
      op->emitError("the CUDA backend cannot run '")
          << op->getName()
          << "' outside a kernel yet (the host would read or write device "
             "memory)";
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
} // namespace onnxc
