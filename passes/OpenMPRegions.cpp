//===- OpenMPRegions.cpp - OpenMP regions that fit a session --------------===//
//
// convert-scf-to-openmp turns each scf.parallel (the parallel contraction
// kernels, passes/VectorizeContractions.cpp) into an `omp.parallel` with an
// `omp.wsloop`. Three things make it fit the model library:
//
//  - The thread count belongs to the session (onnxc_session_set_num_threads,
//    ONNXC_NUM_THREADS); without a `num_threads` libomp would take every
//    core (or OMP_NUM_THREADS). The session is reachable from the compiled
//    code: the scratch arena's descriptor, the entry function's last
//    argument, carries it in its `allocated` field
//    (runtime/onnxc_model_desc.h). So the entry function asks the runtime
//    once, on entry, and every region in it gets the answer. The runtime
//    answers 1 when the caller already runs inside an OpenMP parallel
//    region, so a model called from the host's own threads does not
//    multiply them.
//  - Each iteration is wrapped in a `memref.alloca_scope`, which must stay a
//    single block; the pipeline lowers SCF to control flow before memref to
//    LLVM, so a scope that frees nothing (no alloca in it) is inlined.
//  - The region's only work is the loop and the region ends with a barrier,
//    so the loop's own barrier goes (`nowait`).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_OPENMPREGIONS
#include "passes/Passes.h.inc"

namespace {

constexpr llvm::StringLiteral kQueryName = "onnxc_run_num_threads";

/// `i32 onnxc_run_num_threads(memref<?xi8> arena)`, implemented by the
/// runtime as _mlir_ciface_onnxc_run_num_threads (a C interface: the
/// descriptor is passed by pointer, as for onnxc_scratch_reserve).
func::FuncOp getOrDeclareQuery(ModuleOp module, Type arenaType) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(kQueryName))
    return existing;
  MLIRContext *ctx = module.getContext();
  OpBuilder b(module.getBodyRegion());
  auto query = func::FuncOp::create(
      b, module.getLoc(), kQueryName,
      FunctionType::get(ctx, {arenaType}, {IntegerType::get(ctx, 32)}));
  query.setPrivate();
  query->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  return query;
}

/// Gives every `omp.parallel` of `func` a thread count.
void setThreadCounts(ModuleOp module, func::FuncOp func, bool isEntry) {
  SmallVector<omp::ParallelOp> regions;
  func.walk([&](omp::ParallelOp op) {
    if (!op.getNumThreads())
      regions.push_back(op);
  });
  if (regions.empty())
    return;
  Block &body = func.getBody().front();
  OpBuilder b(&body, body.begin());
  Location loc = func.getLoc();
  auto arena = body.getNumArguments()
                   ? dyn_cast<MemRefType>(body.getArguments().back().getType())
                   : MemRefType();
  Value count;
  if (isEntry && arena && arena.getRank() == 1 &&
      arena.getElementType().isInteger(8)) {
    func::FuncOp query = getOrDeclareQuery(module, arena);
    count = func::CallOp::create(b, loc, query,
                                 ValueRange{body.getArguments().back()})
                .getResult(0);
  } else {
    // No session in reach: one thread is always correct.
    count = arith::ConstantIntOp::create(b, loc, 1, 32);
  }
  for (omp::ParallelOp region : regions)
    region.getNumThreadsMutable().assign(count);
}

struct OpenMPRegionsPass : impl::OpenMPRegionsBase<OpenMPRegionsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entry = module.lookupSymbol<func::FuncOp>(entryName);
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>()))
      if (!func.isExternal())
        setThreadCounts(module, func, func == entry);

    IRRewriter rewriter(&getContext());
    SmallVector<memref::AllocaScopeOp> scopes;
    module.walk([&](omp::WsloopOp loop) {
      loop.setNowait(true);
      loop.walk([&](memref::AllocaScopeOp scope) { scopes.push_back(scope); });
    });
    for (memref::AllocaScopeOp scope : scopes) {
      memref::AllocaOp alloca;
      scope.getBodyRegion().walk([&](memref::AllocaOp op) {
        alloca = op;
        return WalkResult::interrupt();
      });
      if (alloca) {
        alloca.emitError() << "a parallel loop allocates on the stack in "
                              "each iteration; the CPU pipeline cannot "
                              "lower it";
        return signalPassFailure();
      }
      Block *body = &scope.getBodyRegion().front();
      auto ret = cast<memref::AllocaScopeReturnOp>(body->getTerminator());
      SmallVector<Value> results(ret.getResults());
      rewriter.eraseOp(ret);
      rewriter.inlineBlockBefore(body, scope);
      rewriter.replaceOp(scope, results);
    }
  }
};

} // namespace
} // namespace onnxc
