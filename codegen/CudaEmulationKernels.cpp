//===- CudaEmulationKernels.cpp - the kernels as host functions (testing) -===//
//
// Without a GPU, the CUDA path's host code, its argument passing and the
// runtime's CUDA layer can still run for real: against an emulating
// libcuda.so.1 (test/lit/cuda/Inputs/emulated_libcuda.c) that executes
// each kernel on the CPU, block by block and thread by thread. It needs
// the kernels compiled for the host, which these two passes make:
//
// onnxc-cuda-kernels-to-host: every kernel of the gpu.module becomes a
//   func.func taking its arguments and then 12 indices (block id, thread
//   id, grid size, block size; x, y, z each) that stand for the gpu.*_id
//   and *_dim ops. The host functions and the gpu.module go.
//
// onnxc-cuda-emulation-entries: after the lowering to the LLVM dialect,
//   each kernel gets `void <kernel>(void **params, const int64_t *ids)`,
//   which reads its arguments as cuLaunchKernel hands them over (params[i]
//   points to argument i of the kernel's LLVM signature) and calls it, and
//   a constant `<kernel>.param_count` the emulator checks against the
//   PTX's `.entry` parameter list.
//
// Kernels that synchronize their threads (gpu.barrier) or share memory
// cannot run one thread after another, and are refused.
//
//===----------------------------------------------------------------------===//

#include "codegen/CudaPasses.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace onnxc {
#define GEN_PASS_DEF_CUDAKERNELSTOHOST
#define GEN_PASS_DEF_CUDAEMULATIONENTRIES
#include "codegen/CudaPasses.h.inc"

namespace {

constexpr llvm::StringLiteral kKernelAttr = "onnxc.emulated_kernel";
constexpr int kIdCount = 12;
constexpr llvm::StringLiteral kBodySuffix = ".body";

struct CudaKernelsToHostPass
    : impl::CudaKernelsToHostBase<CudaKernelsToHostPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    for (Operation &op :
         llvm::make_early_inc_range(module.getBody()->getOperations()))
      if (!isa<gpu::GPUModuleOp>(op))
        op.erase();
    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    for (auto gpuModule :
         llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>())) {
      for (Operation &op :
           llvm::make_early_inc_range(gpuModule.getBody()->getOperations())) {
        auto kernel = dyn_cast<gpu::GPUFuncOp>(op);
        if (!kernel) {
          // Functions the kernels call (math.ipowi's, ...).
          op.moveBefore(module.getBody(), module.getBody()->end());
          continue;
        }
        if (!kernel.isKernel() || !kernel.getWorkgroupAttributions().empty() ||
            !kernel.getPrivateAttributions().empty()) {
          kernel.emitError("the CUDA emulation runs only kernels without "
                           "shared or private memory");
          return signalPassFailure();
        }
        SmallVector<Type> types(kernel.getArgumentTypes());
        types.append(kIdCount, b.getIndexType());
        auto fn = func::FuncOp::create(
            b, kernel.getLoc(), (kernel.getName() + kBodySuffix).str(),
            FunctionType::get(ctx, types, {}));
        fn->setAttr(kKernelAttr, b.getStringAttr(kernel.getName()));
        Region &body = fn.getBody();
        body.takeBody(kernel.getBody());
        Block &entry = body.front();
        SmallVector<Value> ids;
        for (int i = 0; i < kIdCount; ++i)
          ids.push_back(entry.addArgument(b.getIndexType(), kernel.getLoc()));
        auto id = [&](int group, gpu::Dimension dim) {
          return ids[group * 3 + static_cast<int>(dim)];
        };
        WalkResult walk = fn.walk([&](Operation *inner) -> WalkResult {
          if (auto o = dyn_cast<gpu::BlockIdOp>(inner))
            o.replaceAllUsesWith(id(0, o.getDimension()));
          else if (auto o = dyn_cast<gpu::ThreadIdOp>(inner))
            o.replaceAllUsesWith(id(1, o.getDimension()));
          else if (auto o = dyn_cast<gpu::GridDimOp>(inner))
            o.replaceAllUsesWith(id(2, o.getDimension()));
          else if (auto o = dyn_cast<gpu::BlockDimOp>(inner))
            o.replaceAllUsesWith(id(3, o.getDimension()));
          else if (isa<gpu::ReturnOp>(inner)) {
            OpBuilder rb(inner);
            func::ReturnOp::create(rb, inner->getLoc());
          } else if (isa<gpu::GPUDialect>(inner->getDialect())) {
            inner->emitError("the CUDA emulation cannot run '")
                << inner->getName() << "' one thread after another";
            return WalkResult::interrupt();
          } else {
            return WalkResult::advance();
          }
          inner->erase();
          return WalkResult::skip();
        });
        if (walk.wasInterrupted())
          return signalPassFailure();
      }
      gpuModule.erase();
    }
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

struct CudaEmulationEntriesPass
    : impl::CudaEmulationEntriesBase<CudaEmulationEntriesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = IntegerType::get(ctx, 64);
    OpBuilder b(ctx);
    for (auto body :
         llvm::make_early_inc_range(module.getOps<LLVM::LLVMFuncOp>())) {
      auto name = body->getAttrOfType<StringAttr>(kKernelAttr);
      if (!name)
        continue;
      body.setLinkage(LLVM::Linkage::Internal);
      Location loc = body.getLoc();
      LLVM::LLVMFunctionType type = body.getFunctionType();
      unsigned params = type.getNumParams() - kIdCount;
      b.setInsertionPointToEnd(module.getBody());
      auto entry = LLVM::LLVMFuncOp::create(
          b, loc, name.getValue(),
          LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                      {ptr, ptr}));
      Block *block = entry.addEntryBlock(b);
      b.setInsertionPointToStart(block);
      SmallVector<Value> args;
      for (unsigned i = 0; i < type.getNumParams(); ++i) {
        bool isId = i >= params;
        Value base = block->getArgument(isId ? 1 : 0);
        Value at = LLVM::GEPOp::create(
            b, loc, ptr, isId ? i64 : Type(ptr), base,
            ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(isId ? i - params
                                                             : i)});
        if (!isId)
          at = LLVM::LoadOp::create(b, loc, ptr, at);
        args.push_back(LLVM::LoadOp::create(b, loc, type.getParamType(i), at));
      }
      LLVM::CallOp::create(b, loc, body, args);
      LLVM::ReturnOp::create(b, loc, ValueRange{});

      b.setInsertionPointToEnd(module.getBody());
      LLVM::GlobalOp::create(b, loc, i64, /*isConstant=*/true,
                             LLVM::Linkage::External,
                             (name.getValue() + ".param_count").str(),
                             b.getI64IntegerAttr(params));
    }
  }
};

} // namespace
} // namespace onnxc
