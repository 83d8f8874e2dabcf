//===- CudaHostMerge.h - the CUDA host code joins the CPU module -*- C++ -*-===//
//
// A `--target=x86_64,cuda` library runs either the CPU code or the CUDA
// path's host code, both compiled into one object. Each comes from its own
// pipeline as an LLVM-dialect module; this moves the CUDA one into the CPU
// one before translation.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_CODEGEN_CUDAHOSTMERGE_H
#define ONNXC_CODEGEN_CUDAHOSTMERGE_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace onnxc {

/// Moves every function and global of `host` (the CUDA host code after
/// buildCudaHostPipeline) into `cpu`, emptying `host`. Declarations both
/// have (malloc) are kept once. A weight both have under one name with the
/// same type and bytes is kept once (the CUDA path uploads the CPU code's
/// copy); any other name both define is renamed in `host` first. False,
/// with `error`, where a shared declaration's types differ.
bool mergeCudaHostCode(mlir::ModuleOp cpu, mlir::ModuleOp host,
                       std::string &error);

} // namespace onnxc

#endif // ONNXC_CODEGEN_CUDAHOSTMERGE_H
