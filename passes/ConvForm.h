//===- ConvForm.h - Recognizing the convolution generic ---------*- C++ -*-===//
//
// The vector kernels (VectorizeContractions, VectorizeDepthwiseConv) both
// start from the convolution generic that passes/lowering/Conv.cpp emits;
// this is the one place that knows its shape.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_PASSES_CONVFORM_H
#define ONNXC_PASSES_CONVFORM_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace onnxc {

/// Whether `body` is exactly `yield(arg2 + arg0 * arg1)` (float ops, any
/// operand order of the commutative ops).
bool isMulAddBody(mlir::Block &body);

/// Decomposes an affine expression that is a linear combination of dims
/// (plus a constant) into `coeffs`/`constant`; false if it is not linear.
bool linearCoefficients(mlir::AffineExpr e, int64_t mult,
                        llvm::SmallVectorImpl<int64_t> &coeffs,
                        int64_t &constant);

/// The convolution generic of Conv.cpp: loops n g m o_1..o_ns | c k_1..k_ns,
/// X[n, g, c, o*s + k*d], W[g, m, c, k...], Y[n, g, m, o...], static shapes,
/// an `acc + x * w` body, f32 or f64 operands.
struct ConvForm {
  int64_t ns;
  llvm::SmallVector<int64_t> strides, dilations;
};

std::optional<ConvForm> matchConv(mlir::linalg::GenericOp op);

/// The loops and indexing maps of that form alone, with `x` and `w` the
/// operands read as X and W (the body and element types are the caller's
/// to check: VectorizeIntegerContractions matches an integer body).
std::optional<ConvForm> matchConvIndexing(mlir::linalg::GenericOp op,
                                          mlir::OpOperand *x,
                                          mlir::OpOperand *w);

} // namespace onnxc

#endif // ONNXC_PASSES_CONVFORM_H
