//===- CudaMergeKernelModules.cpp - one gpu.module for all kernels --------===//
//
// A model's kernels ship as one PTX module, loaded once per session; the
// outliner makes a gpu.module per kernel, each with its own copy of the
// functions the kernel calls. This pass gathers them into one.
//
//===----------------------------------------------------------------------===//

#include "codegen/CudaPasses.h"

#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_CUDAMERGEKERNELMODULES
#include "codegen/CudaPasses.h.inc"

namespace {

constexpr llvm::StringLiteral kKernelModuleName = "onnxc_kernels";

struct CudaMergeKernelModulesPass
    : impl::CudaMergeKernelModulesBase<CudaMergeKernelModulesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> kernelModules(
        module.getOps<gpu::GPUModuleOp>());
    if (kernelModules.empty())
      return;
    if (module.lookupSymbol(kKernelModuleName)) {
      module.emitError("a symbol is already named '") << kKernelModuleName
                                                      << "'";
      return signalPassFailure();
    }

    OpBuilder builder(&getContext());
    builder.setInsertionPointToEnd(module.getBody());
    auto merged = gpu::GPUModuleOp::create(builder, module.getLoc(),
                                           kKernelModuleName);
    SymbolTable mergedSymbols(merged);
    // The outliner names each module uniquely but each kernel after its
    // function (`main_graph_kernel` in every module): a kernel takes its
    // module's name.
    llvm::StringMap<StringAttr> kernelNames;
    for (gpu::GPUModuleOp old : kernelModules) {
      for (auto kernel : old.getOps<gpu::GPUFuncOp>()) {
        if (!kernel.isKernel())
          continue;
        if (kernelNames.count(old.getName())) {
          old.emitError("a kernel module with several kernels");
          return signalPassFailure();
        }
        kernelNames[old.getName()] = old.getNameAttr();
      }
    }
    for (gpu::GPUModuleOp old : kernelModules) {
      for (Operation &op :
           llvm::make_early_inc_range(old.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(op);
        if (!symbol) {
          op.emitError("unexpected op in a kernel module");
          return signalPassFailure();
        }
        // A function several kernels call was cloned into each of their
        // modules from the one host function: the copies are the same.
        auto func = dyn_cast<gpu::GPUFuncOp>(op);
        if (func && func.isKernel())
          symbol.setName(kernelNames[old.getName()]);
        if (mergedSymbols.lookup(symbol.getName())) {
          if (func && func.isKernel()) {
            op.emitError("two kernels are named '") << symbol.getName() << "'";
            return signalPassFailure();
          }
          continue;
        }
        op.moveBefore(merged.getBody(), merged.getBody()->end());
        mergedSymbols.insert(&op);
      }
    }

    MLIRContext *ctx = &getContext();
    module.walk([&](gpu::LaunchFuncOp launch) {
      launch.setKernelAttr(SymbolRefAttr::get(
          ctx, kKernelModuleName,
          {FlatSymbolRefAttr::get(kernelNames[launch.getKernelModuleName()])}));
    });
    for (gpu::GPUModuleOp old : kernelModules)
      old.erase();
  }
};

} // namespace
} // namespace onnxc
