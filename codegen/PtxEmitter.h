//===- PtxEmitter.h - NVVM kernels to PTX ------------------------*- C++ -*-===//

#ifndef ONNXC_CODEGEN_PTXEMITTER_H
#define ONNXC_CODEGEN_PTXEMITTER_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace onnxc {

/// The architectures the CUDA backend generates PTX for.
const std::vector<std::string> &supportedCudaArchs();

struct PtxOptions {
  std::string arch = "sm_80";
  int optLevel = 3;
  /// libdevice.10.bc (CUDA's nvvm/libdevice/).
  std::string libdevicePath;
  bool printTiming = false;
};

/// libdevice under a CUDA installation, or "" with `error` set.
std::string findLibdevice(const std::string &cudaPath, std::string &error);

/// Translates `module`'s `gpu.module @onnxc_kernels` (CudaPipeline.h) to
/// LLVM IR, links the libdevice functions it calls, optimizes and runs
/// LLVM's NVPTX backend: `ptx` gets one PTX module with every kernel. A
/// model without kernels gets a PTX module with none. Fails, with `error`
/// set, when a function would stay unresolved (a `__nv_*` libdevice lacks).
/// With `kernelNames`, it also gets the name of every kernel (`.entry`) of
/// the PTX.
bool emitPtx(mlir::ModuleOp module, const PtxOptions &options,
             std::string &ptx, std::string &error,
             std::vector<std::string> *kernelNames = nullptr);

} // namespace onnxc

#endif // ONNXC_CODEGEN_PTXEMITTER_H
