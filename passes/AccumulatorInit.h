//===- AccumulatorInit.h - Kernel accumulators from a fill/broadcast -*- C++ -*-===//
//
// The lowerings give every MatMul, Gemm and Conv an init tensor that is
// only a fill (0 for MatMul) or a broadcast of the bias (Conv, Gemm with
// C). Taken as it is, that tensor is written by a pass of its own over the
// whole output and then read back by every register block of the kernel
// (passes/VectorizeContractions.cpp) before its first FMA: a pass over
// memory, and loads that stall the short reductions of 1x1 convolutions
// (64 channels: 64 steps per block). Instead the kernel starts its
// accumulators from the fill value or from the bias itself, and the
// contraction's init becomes a tensor.empty: the fill or broadcast is dead.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_PASSES_ACCUMULATORINIT_H
#define ONNXC_PASSES_ACCUMULATORINIT_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace onnxc {

/// What a contraction's init tensor holds: a scalar everywhere
/// (`fillValue`), or `source` read through `map`, which takes the init's
/// dims to the source's (a projected permutation: the dims it leaves out
/// are broadcast).
struct AccumulatorInit {
  mlir::Value fillValue;
  mlir::Value source;
  mlir::AffineMap map;
};

/// The init of `op` (its only DPS init) when it is a linalg.fill, or an
/// all-parallel linalg.generic that copies one input through a projected
/// permutation into an output it does not read, possibly seen through a
/// tensor.collapse_shape that merges only broadcast or unit dims with the
/// source's (a convolution's output [n, g, m, oh, ow] collapsed to
/// [n, g, m, p]). The values used must dominate `op`.
std::optional<AccumulatorInit> matchAccumulatorInit(mlir::linalg::LinalgOp op);

/// Replaces the init of `op` by a tensor.empty of the same shape (the
/// kernel then computes the initial values from the AccumulatorInit) and
/// returns the init it had, for a caller that must give it back (when the
/// kernel could not be built after all).
mlir::Value detachAccumulatorInit(mlir::RewriterBase &rewriter,
                                  mlir::linalg::LinalgOp op);

/// The initial accumulators of one block: a vector of `type` whose dims are
/// the init's dims `vectorDims` (positions in the init's shape), at
/// `offsets` (one per init dim). Parts of the block past the init's end
/// read as 0 (they are never stored).
mlir::Value readAccumulatorInit(mlir::OpBuilder &b, mlir::Location loc,
                                const AccumulatorInit &init,
                                mlir::ArrayRef<mlir::OpFoldResult> offsets,
                                mlir::ArrayRef<int64_t> vectorDims,
                                mlir::VectorType type);

} // namespace onnxc

#endif // ONNXC_PASSES_ACCUMULATORINIT_H
