//===- CudaPasses.td - Passes of the CUDA backend ----------*- tablegen -*-===//
//
// The CUDA backend's own passes. They live beside the CUDA pipeline (and not
// in passes/) because only that pipeline runs them.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_CODEGEN_CUDAPASSES_TD
#define ONNXC_CODEGEN_CUDAPASSES_TD

include "mlir/Pass/PassBase.td"

def CudaMapToGpu : Pass<"onnxc-cuda-map-to-gpu", "mlir::func::FuncOp"> {
  let summary = "Turn bufferized linalg ops into GPU-mapped parallel loops";
  let description = [{
    Runs on bufferized IR (linalg on memrefs). Every `memref.copy` becomes a
    `linalg.copy`, every linalg op becomes loops: its parallel dimensions
    (moved in front of its reduction dimensions, which keeps the order in
    which each output element is reduced) one `scf.parallel`, its reduction
    dimensions `scf.for` loops inside. An op without parallel dimensions
    (rank 0, or a full reduction) runs as one thread.

    Each outermost `scf.parallel` is then flattened into one dimension of
    N iterations and split into blocks of `block-size` threads: the outer
    loop is mapped to `gpu.block_id x`, the inner to `gpu.thread_id x`, and
    threads past N do nothing. Parallel loops nested inside become
    sequential `scf.for` loops. `convert-parallel-loops-to-gpu` then makes
    each mapped loop one `gpu.launch`.

    The host keeps only what needs no access to the buffers' contents
    (allocations, views, control flow on values it computed): an op left
    outside the mapped loops that reads or writes a buffer is an error at
    its location (its ONNX node), as the data lives on the device.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::arith::ArithDialect"];
}

def CudaMergeKernelModules
    : Pass<"onnxc-cuda-merge-kernel-modules", "mlir::ModuleOp"> {
  let summary = "Put every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` gives each kernel a `gpu.module` of its own. The
    model's PTX is one module with all kernels (one `cuModuleLoadData` per
    session), so this moves every kernel into `gpu.module @onnxc_kernels`,
    keeps one copy of the functions several kernels call, and points each
    `gpu.launch_func` at its kernel's new place.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

#endif // ONNXC_CODEGEN_CUDAPASSES_TD
