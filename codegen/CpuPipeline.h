//===- CpuPipeline.h - onnx dialect to the LLVM dialect for CPUs -*- C++ -*-===//

#ifndef ONNXC_CODEGEN_CPUPIPELINE_H
#define ONNXC_CODEGEN_CPUPIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace onnxc {

/// What the CPU pipeline does, in one place (as IREE does): every stage that
/// runs at a given optimization level can be read in buildCpuPipeline.
struct CpuPipelineOptions {
  int optLevel = 3;
  /// Run large contractions on the session's threads (OpenMP: the library
  /// then needs libomp). Only for targets with a libomp to link against:
  /// off for cross-compilation.
  bool parallel = true;
  /// --quantize=dynamic-int8: MatMul/Gemm weights to int8 at compile time,
  /// activations at run time (passes/QuantizeDynamic.cpp).
  bool quantizeDynamicInt8 = false;
  /// --quantize=static-int8: the same weights, activations with the
  /// constant scales the driver's calibration put on the ops
  /// (passes/QuantizeStatic.cpp).
  bool quantizeStaticInt8 = false;
  /// --quantize-ops: which kinds of ops either mode quantizes.
  bool quantizeMatMul = true, quantizeConv = true;
  /// --quantize-group: dynamic-int8 takes a MatMul/Gemm activation's range
  /// per run of this many values along K (0: per row).
  int64_t quantizeGroup = 128;
  /// The target's 4-byte int8 dot product the int8 matrix products run on
  /// (passes/VectorizeIntegerContractions.cpp: none, avx512-vnni, avx-vnni,
  /// neon-i8mm, neon-dotprod). The driver sets it from the target CPU
  /// (int8DotProductFor); the intrinsics do not compile for a CPU without.
  std::string int8DotProduct = "none";
  /// The target's f32 vector register width in bytes (vectorBytesFor), which
  /// sizes every kernel's register blocks; 0: the host's.
  int64_t vectorBytes = 0;
};

/// The graph-level rewrites on the onnx dialect that run before
/// quantization (the start of buildOnnxToLinalgPipeline; running them again
/// changes nothing). --quantize=static-int8 calibrates on their result.
void buildOnnxGraphPipeline(mlir::OpPassManager &pm,
                            const CpuPipelineOptions &options);

/// onnx dialect -> linalg on tensors (stops here for --emit=linalg).
void buildOnnxToLinalgPipeline(mlir::OpPassManager &pm,
                               const CpuPipelineOptions &options);

/// linalg on tensors -> LLVM dialect, with `main_graph` given a C
/// interface (`_mlir_ciface_main_graph`).
void buildLinalgToLlvmPipeline(mlir::OpPassManager &pm,
                               const CpuPipelineOptions &options);

/// Registers the dialects and external interface models the pipelines need
/// (bufferization models are not registered by registerAllDialects).
/// One-shot bufferization of the whole module, function boundaries
/// included (identity layouts), followed by CSE and canonicalization: the
/// tiled kernels' write-backs are copies between identical subviews until
/// CSE makes them one and the self-copy folds away. Shared by the CPU and
/// CUDA pipelines.
void addModuleBufferization(mlir::OpPassManager &pm);

void registerCpuPipelineDialects(mlir::DialectRegistry &registry);

} // namespace onnxc

#endif // ONNXC_CODEGEN_CPUPIPELINE_H
