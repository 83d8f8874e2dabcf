//===- CudaPipeline.h - linalg on tensors to NVVM kernels --------*- C++ -*-===//

#ifndef ONNXC_CODEGEN_CUDAPIPELINE_H
#define ONNXC_CODEGEN_CUDAPIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace onnxc {

struct CudaPipelineOptions {
  int optLevel = 3;
  /// Threads per block of the elementwise mapping (CudaMapToGpu).
  int64_t blockSize = 256;
};

/// linalg on tensors (from buildOnnxToLinalgPipeline) -> host functions
/// that launch kernels (`gpu.launch_func`), and every kernel in the LLVM
/// and NVVM dialects in one `gpu.module @onnxc_kernels`, ready for
/// emitPtx (PtxEmitter.h). What cannot run on the GPU yet is an error at
/// its ONNX node.
void buildLinalgToNvvmPipeline(mlir::OpPassManager &pm,
                               const CudaPipelineOptions &options);

/// Only the first steps of buildLinalgToNvvmPipeline: bufferization and
/// CudaMapToGpu, whose mapped loops the CPU pipeline (buildLinalgToLlvm-
/// Pipeline) then runs as plain loops. This checks the GPU mapping's
/// numbers on a machine without a GPU (`onnx-compile --cuda-map-on-cpu`).
void buildGpuMappingPipeline(mlir::OpPassManager &pm,
                             const CudaPipelineOptions &options);

/// The dialects and translations the CUDA pipeline and PTX emission need,
/// on top of registerCpuPipelineDialects.
void registerCudaPipelineDialects(mlir::DialectRegistry &registry);

} // namespace onnxc

#endif // ONNXC_CODEGEN_CUDAPIPELINE_H
