//===- CudaPasses.h - Passes of the CUDA backend ----------------*- C++ -*-===//

#ifndef ONNXC_CODEGEN_CUDAPASSES_H
#define ONNXC_CODEGEN_CUDAPASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace onnxc {

#define GEN_PASS_DECL
#include "codegen/CudaPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/CudaPasses.h.inc"

} // namespace onnxc

#endif // ONNXC_CODEGEN_CUDAPASSES_H
