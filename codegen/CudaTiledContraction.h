//===- CudaTiledContraction.h - matmul-shaped ops with shared memory -*- C++ -*-===//
//
// Part of CudaMapToGpu: a contraction with one M, N and K dimension becomes
// a gpu.launch of T x T-thread blocks, each computing a T x T output tile
// from T x T tiles of its inputs staged in shared memory.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_CODEGEN_CUDATILEDCONTRACTION_H
#define ONNXC_CODEGEN_CUDATILEDCONTRACTION_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace onnxc {

/// When `op` (on buffers) is a floating-point contraction, replaces it by
/// the tiled gpu.launch (CudaTiledContraction.cpp) and succeeds. Such an op
/// adds P * Q (times values independent of the elements) to its output,
/// P computed from some inputs' elements (the A side) and Q from all the
/// others (the B side); has reduction dims (K) on both sides and M dims (A
/// side and output only) and N dims (B side and output only) not known to
/// be fewer than `tile`; writes its output through a projected permutation.
/// Fails, with nothing changed, for any other op.
mlir::LogicalResult lowerContractionToTiledLaunch(mlir::IRRewriter &rewriter,
                                                  mlir::linalg::LinalgOp op,
                                                  int64_t tile);

} // namespace onnxc

#endif // ONNXC_CODEGEN_CUDATILEDCONTRACTION_H
