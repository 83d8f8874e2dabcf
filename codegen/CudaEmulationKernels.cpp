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
// A kernel's shared memory (workgroup attributions) becomes a host buffer
// per kernel, and gpu.barrier a call the emulator answers by switching to
// the block's other threads (each thread runs on its own stack there);
// `<kernel>.barriers` says which kernels need that. Private memory is
// refused.
//
//===----------------------------------------------------------------------===//

#include "codegen/CudaPasses.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
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
constexpr llvm::StringLiteral kBarriersAttr = "onnxc.emulated_barriers";
/// What a gpu.barrier becomes, and the hook the emulator sets for it.
constexpr llvm::StringLiteral kBarrierFn = "onnxc_emulator_barrier";
constexpr llvm::StringLiteral kBarrierHook = "onnxc_emulator_barrier_hook";

MemRefType stripMemorySpace(MemRefType type) {
  if (!isa_and_nonnull<gpu::AddressSpaceAttr>(type.getMemorySpace()))
    return type;
  return MemRefType::get(type.getShape(), type.getElementType(),
                         type.getLayout());
}

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
    auto barrier = func::FuncOp::create(b, module.getLoc(), kBarrierFn,
                                        FunctionType::get(ctx, {}, {}));
    barrier.setPrivate();
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
        if (!kernel.isKernel() || !kernel.getPrivateAttributions().empty()) {
          kernel.emitError("the CUDA emulation runs only kernels without "
                           "private memory");
          return signalPassFailure();
        }
        SmallVector<Type> types(kernel.getArgumentTypes());
        types.append(kIdCount, b.getIndexType());
        auto fn = func::FuncOp::create(
            b, kernel.getLoc(), (kernel.getName() + kBodySuffix).str(),
            FunctionType::get(ctx, types, {}));
        fn->setAttr(kKernelAttr, b.getStringAttr(kernel.getName()));
        unsigned numInputs = kernel.getNumArguments();
        unsigned numShared = kernel.getNumWorkgroupAttributions();
        Region &body = fn.getBody();
        body.takeBody(kernel.getBody());
        Block &entry = body.front();
        // Shared memory: one host buffer per attribution. The emulator
        // runs one block at a time, so the block's threads share it.
        OpBuilder entryBuilder = OpBuilder::atBlockBegin(&entry);
        for (unsigned i = 0; i < numShared; ++i) {
          BlockArgument shared = entry.getArgument(numInputs + i);
          auto type = stripMemorySpace(cast<MemRefType>(shared.getType()));
          std::string name = (kernel.getName() + ".shared" + Twine(i)).str();
          b.setInsertionPoint(fn);
          memref::GlobalOp::create(b, kernel.getLoc(), name,
                                   b.getStringAttr("private"), type,
                                   /*initial_value=*/Attribute(),
                                   /*constant=*/false,
                                   /*alignment=*/b.getI64IntegerAttr(64));
          shared.replaceAllUsesWith(memref::GetGlobalOp::create(
              entryBuilder, kernel.getLoc(), type, name));
        }
        entry.eraseArguments(numInputs, numShared);
        b.setInsertionPointToEnd(module.getBody());
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
          } else if (isa<gpu::BarrierOp>(inner)) {
            // The emulator switches to the block's other threads.
            OpBuilder rb(inner);
            func::CallOp::create(rb, inner->getLoc(), barrier, ValueRange{});
            fn->setAttr(kBarriersAttr, b.getUnitAttr());
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
        // The host has one address space.
        fn.walk([](Operation *inner) {
          for (Value result : inner->getResults())
            if (auto type = dyn_cast<MemRefType>(result.getType()))
              result.setType(stripMemorySpace(type));
          for (Region &region : inner->getRegions())
            for (Block &block : region)
              for (BlockArgument arg : block.getArguments())
                if (auto type = dyn_cast<MemRefType>(arg.getType()))
                  arg.setType(stripMemorySpace(type));
        });
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
      LLVM::GlobalOp::create(b, loc, i64, /*isConstant=*/true,
                             LLVM::Linkage::External,
                             (name.getValue() + ".barriers").str(),
                             b.getI64IntegerAttr(
                                 body->hasAttr(kBarriersAttr) ? 1 : 0));
    }
    // The barrier calls the emulator through a pointer it sets after
    // loading this library (which cannot link against the emulator).
    auto barrier = module.lookupSymbol<LLVM::LLVMFuncOp>(kBarrierFn);
    if (barrier && barrier.isExternal()) {
      Location loc = barrier.getLoc();
      b.setInsertionPointToEnd(module.getBody());
      auto hookGlobal = LLVM::GlobalOp::create(
          b, loc, ptr, /*isConstant=*/false, LLVM::Linkage::External,
          kBarrierHook, /*value=*/Attribute());
      b.createBlock(&hookGlobal.getInitializerRegion());
      LLVM::ReturnOp::create(b, loc,
                             ValueRange{LLVM::ZeroOp::create(b, loc, ptr)});
      barrier.setLinkage(LLVM::Linkage::Internal);
      b.setInsertionPointToStart(barrier.addEntryBlock(b));
      Value hook = LLVM::AddressOfOp::create(b, loc, ptr, kBarrierHook);
      Value fn = LLVM::LoadOp::create(b, loc, ptr, hook);
      LLVM::CallOp::create(b, loc,
                           LLVM::LLVMFunctionType::get(
                               LLVM::LLVMVoidType::get(ctx), {}),
                           ValueRange{fn});
      LLVM::ReturnOp::create(b, loc, ValueRange{});
    }
  }
};

} // namespace
} // namespace onnxc
