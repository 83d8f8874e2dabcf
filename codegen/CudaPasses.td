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

    Contractions (MatMul, Gemm, batched MatMul, convolutions as an implicit
    GEMM: M, N and K dims each walked as one linear index) are the
    exception: unless `tile-contractions` is 0, each becomes a `gpu.launch`
    directly, whose T x T-thread blocks compute T x T output tiles from
    input tiles staged in shared memory (workgroup attributions, two
    barriers per step of K).

    Each outermost `scf.parallel` is then flattened into one dimension of
    N iterations and split into blocks of `block-size` threads: the outer
    loop is mapped to `gpu.block_id x`, the inner to `gpu.thread_id x`, and
    threads past N do nothing. Parallel loops nested inside become
    sequential `scf.for` loops. `convert-parallel-loops-to-gpu` then makes
    each mapped loop one `gpu.launch`.

    The host keeps what needs no access to the buffers' contents
    (allocations, views, control flow on values it computed) and single
    elements it reads or writes (`memref.load`, `memref.store`: a run-time
    bound, a sequential algorithm's output), which `onnxc-cuda-lower-host`
    turns into copies through the runtime. Any other op left outside the
    mapped loops that reads or writes a buffer is an error at its location
    (its ONNX node), as the data lives on the device.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
    Option<"tileContractions", "tile-contractions", "int64_t",
           /*default=*/"16",
           "Contractions with one M, N and K dim become a gpu.launch of "
           "T x T-thread blocks with T x T input tiles in shared memory "
           "(CudaTiledContraction.cpp); 0 maps them like any other op">
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::affine::AffineDialect",
                           "mlir::memref::MemRefDialect",
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

def CudaLowerHost : Pass<"onnxc-cuda-lower-host", "mlir::ModuleOp"> {
  let summary = "Make the host side of the CUDA path call the runtime";
  let description = [{
    Runs after kernel outlining and PTX emission. Every `memref.alloc` of
    the host code becomes device memory from the runtime's per-session
    arena (`onnxc_cuda_rt_alloc`, viewed as the allocated type; deallocs
    go, the arena is reset after each run), every `memref.get_global` the
    device copy of that weight (`onnxc_cuda_rt_weight(i)`), and every
    `gpu.launch_func` a call of `onnxc_cuda_rt_launch` with the kernel's
    number, the grid and block sizes and its arguments written to one i64
    slot each: a memref as its descriptor's fields (allocated and aligned
    pointer, offset, sizes, strides), as the kernel's NVVM signature takes
    them; a scalar with its bits in the slot's low bytes. A `memref.load`
    or `memref.store` on the host becomes `onnxc_cuda_rt_read(address,
    bytes)` / `onnxc_cuda_rt_write(address, bits, bytes)`, the element's
    device address computed from the descriptor: one element copied back
    or in, in order with the kernels.

    Adds `onnxc_cuda_weight_table(memref<?xi64>)`, which writes each
    weight's host address and size, and records the kernels in launch
    numbering (`onnxc.cuda_kernels`) and the weight count
    (`onnxc.cuda_weights`) on the module. Erases the gpu.modules.
  }];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::arith::ArithDialect"];
}

def CudaKernelsToHost : Pass<"onnxc-cuda-kernels-to-host", "mlir::ModuleOp"> {
  let summary = "Testing: the outlined kernels as host functions";
  let description = [{
    For the CUDA emulation (`onnx-compile --cuda-emulation-kernels`): each
    kernel of the gpu.module becomes `func.func @<kernel>.body` with the
    kernel's arguments and then 12 `index` arguments, which replace
    `gpu.block_id`, `gpu.thread_id`, `gpu.grid_dim` and `gpu.block_dim`
    (in that order, x, y, z each). Functions the kernels call move out of
    the gpu.module; everything else in the module is erased. Each workgroup
    attribution becomes a host global of its kernel (`<kernel>.sharedN`;
    the emulator runs one block at a time), `gpu.barrier` a call of
    `onnxc_emulator_barrier` (the emulator then runs the block's threads as
    coroutines), and memory spaces are dropped. Private attributions and
    other gpu ops are errors.
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def CudaEmulationEntries
    : Pass<"onnxc-cuda-emulation-entries", "mlir::ModuleOp"> {
  let summary = "Testing: cuLaunchKernel-style entry points of host kernels";
  let description = [{
    Runs on the LLVM dialect after onnxc-cuda-kernels-to-host and the
    lowering. Each kernel body gets an exported
    `void <kernel>(void **params, const int64_t *ids)` that loads argument
    i of the body's LLVM signature through params[i] (as cuLaunchKernel
    passes them) and the 12 ids from `ids`, and constants
    `<kernel>.param_count` and `<kernel>.barriers` (1 when it calls the
    barrier). `onnxc_emulator_barrier` is defined to call through
    `onnxc_emulator_barrier_hook`, a pointer the emulator sets.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // ONNXC_CODEGEN_CUDAPASSES_TD
