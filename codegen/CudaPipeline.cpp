//===- CudaPipeline.cpp - linalg on tensors to NVVM kernels ---------------===//
//
// The CUDA backend's MLIR half: bufferize as the CPU pipeline does, turn
// each linalg op into a GPU-mapped parallel loop (CudaMapToGpu), make the
// loops `gpu.launch`es, outline them into kernels, gather the kernels in
// one module and lower it to the LLVM and NVVM dialects. PtxEmitter.cpp
// then does the LLVM half (libdevice, NVPTX code generation) in-process:
// nothing here depends on MLIR's CUDA runtime wrappers.
//
//===----------------------------------------------------------------------===//

#include "codegen/CudaPipeline.h"
#include "codegen/CudaPasses.h"
#include "codegen/CpuPipeline.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace onnxc {

void registerCudaPipelineDialects(DialectRegistry &registry) {
  registry.insert<gpu::GPUDialect>();
  registerNVVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
}

void buildGpuMappingPipeline(OpPassManager &pm,
                             const CudaPipelineOptions &options) {
  addModuleBufferization(pm);

  CudaMapToGpuOptions map;
  map.blockSize = options.blockSize;
  map.tileContractions = options.tileContractions;
  pm.addNestedPass<func::FuncOp>(createCudaMapToGpu(map));
}

void buildLinalgToGpuKernelsPipeline(OpPassManager &pm,
                                     const CudaPipelineOptions &options) {
  buildGpuMappingPipeline(pm, options);
  pm.addPass(createConvertParallelLoopToGpuPass());
  // Index arithmetic and views become plain arithmetic on the memref
  // descriptors before outlining, so kernels get only what NVVM lowers.
  pm.addPass(createLowerAffinePass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToFuncs()); // math.ipowi, math.fpowi
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createCudaMergeKernelModules());
}

void buildGpuKernelsToNvvmPipeline(OpPassManager &pm) {
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createSCFToControlFlowPass());
  // Math ops become libdevice calls (__nv_expf...), linked by emitPtx.
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
}

void buildLinalgToNvvmPipeline(OpPassManager &pm,
                               const CudaPipelineOptions &options) {
  buildLinalgToGpuKernelsPipeline(pm, options);
  buildGpuKernelsToNvvmPipeline(pm);
}

/// Scalar host code (control flow already lowered) to the LLVM dialect:
/// math as LLVM intrinsics or libm calls, then memref, arith, index, func.
static void addScalarCodeToLlvm(OpPassManager &pm) {
  pm.addPass(createConvertMathToFuncs()); // math.ipowi
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void buildCudaHostPipeline(OpPassManager &pm) {
  pm.addPass(createCudaLowerHost());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  // Math: what the host computes from values it read back (a Range's
  // count).
  addScalarCodeToLlvm(pm);
}

void buildCudaEmulationPipeline(OpPassManager &pm) {
  pm.addPass(createCudaKernelsToHost());
  pm.addPass(createExpandBFloat16()); // no __truncsfbf2 in Debian's libgcc
  pm.addPass(createSCFToControlFlowPass());
  addScalarCodeToLlvm(pm);
  pm.addPass(createCudaEmulationEntries());
}

} // namespace onnxc
