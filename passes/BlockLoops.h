//===- BlockLoops.h - Loops over a kernel's output blocks -------*- C++ -*-===//
//
// The convolution kernels (passes/VectorizeDirectConv.cpp,
// passes/VectorizeDepthwiseConv.cpp) compute their output block by block,
// each block written once into the output tensor. With `parallel`, the
// blocks are the iterations of one scf.forall (later an OpenMP loop), each
// ending in a tensor.parallel_insert_slice; otherwise an scf.for nest
// threads the output through tensor.insert_slice.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_PASSES_BLOCKLOOPS_H
#define ONNXC_PASSES_BLOCKLOOPS_H

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace onnxc {

/// One block of a kernel's output: its value, and where it goes in the
/// output (unit strides).
struct OutputBlock {
  mlir::Value value;
  llvm::SmallVector<mlir::OpFoldResult> offsets, sizes;
};

/// Builds `emitBlock` for every index in [0, counts) (one induction
/// variable per entry of `counts`), writing each block into the output that
/// starts as `init`; returns the finished output.
mlir::Value buildBlockLoops(
    mlir::OpBuilder &builder, mlir::Location loc,
    llvm::ArrayRef<int64_t> counts, mlir::Value init, bool parallel,
    llvm::function_ref<OutputBlock(mlir::OpBuilder &, mlir::ValueRange ivs,
                                   mlir::Value out)>
        emitBlock);

/// An scf.for nest over [0, bounds) (unit steps) threading the tensor
/// `init`; `body` gets the induction variables and the current tensor and
/// returns the next one. Returns the last one.
mlir::Value buildTensorLoopNest(
    mlir::OpBuilder &builder, mlir::Location loc,
    llvm::ArrayRef<int64_t> bounds, mlir::Value init,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::ValueRange ivs, mlir::Value current)>
        body);

} // namespace onnxc

#endif // ONNXC_PASSES_BLOCKLOOPS_H
