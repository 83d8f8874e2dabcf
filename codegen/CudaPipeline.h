//===- CudaPipeline.h - linalg on tensors to NVVM kernels --------*- C++ -*-===//

#ifndef ONNXC_CODEGEN_CUDAPIPELINE_H
#define ONNXC_CODEGEN_CUDAPIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace onnxc {

struct CudaPipelineOptions {
  int optLevel = 3;
  /// Threads per block of the elementwise mapping (CudaMapToGpu).
  int64_t blockSize = 256;
  /// Output tile (T x T threads) of the shared-memory contractions; 0
  /// maps contractions one thread per output.
  int64_t tileContractions = 16;
};

/// linalg on tensors (from buildOnnxToLinalgPipeline) -> host functions
/// that launch kernels (`gpu.launch_func`), and every kernel in the LLVM
/// and NVVM dialects in one `gpu.module @onnxc_kernels`, ready for
/// emitPtx (PtxEmitter.h). What cannot run on the GPU yet is an error at
/// its ONNX node.
void buildLinalgToNvvmPipeline(mlir::OpPassManager &pm,
                               const CudaPipelineOptions &options);

/// buildLinalgToNvvmPipeline in its two halves: up to the outlined kernels
/// (still in the gpu, scf, memref and arith dialects) in one `gpu.module`,
/// and then those kernels to the LLVM and NVVM dialects.
void buildLinalgToGpuKernelsPipeline(mlir::OpPassManager &pm,
                                     const CudaPipelineOptions &options);
void buildGpuKernelsToNvvmPipeline(mlir::OpPassManager &pm);

/// The host side of the CUDA path, once the PTX is emitted: CudaLowerHost
/// (runtime calls for device memory, weights and launches), then the host
/// functions to the LLVM dialect, ready to join the CPU module of a
/// `--target=x86_64,cuda` library (mergeCudaHostCode).
void buildCudaHostPipeline(mlir::OpPassManager &pm);

/// Only the first steps of buildLinalgToNvvmPipeline: bufferization and
/// CudaMapToGpu, whose mapped loops the CPU pipeline (buildLinalgToLlvm-
/// Pipeline) then runs as plain loops. This checks the GPU mapping's
/// numbers on a machine without a GPU (`onnx-compile --cuda-map-on-cpu`).
void buildGpuMappingPipeline(mlir::OpPassManager &pm,
                             const CudaPipelineOptions &options);

/// Testing: the outlined kernels (after buildLinalgToGpuKernelsPipeline)
/// as host code in the LLVM dialect, with one cuLaunchKernel-style entry
/// point per kernel, for the CUDA emulator (CudaEmulationKernels.cpp).
void buildCudaEmulationPipeline(mlir::OpPassManager &pm);

/// The dialects and translations the CUDA pipeline and PTX emission need,
/// on top of registerCpuPipelineDialects.
void registerCudaPipelineDialects(mlir::DialectRegistry &registry);

} // namespace onnxc

#endif // ONNXC_CODEGEN_CUDAPIPELINE_H
