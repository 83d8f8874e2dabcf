//===- IntegerProducts.h - What the int8 kernel's matchers share -*- C++ -*-===//
//
// VectorizeIntegerContractions takes u8 x s8 -> i32 products whose s8
// operand is a constant weight. Two forms reach it: the contraction that
// MatMulInteger lowers to, and the convolution that ConvInteger lowers to
// (passes/lowering/Quantization.cpp, u8s8Conv). The convolution becomes a
// contraction first (rewriteIntegerConvsAsProducts); both then share the
// body matcher below.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_PASSES_INTEGERPRODUCTS_H
#define ONNXC_PASSES_INTEGERPRODUCTS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinOps.h"

#include <optional>
#include <vector>

namespace onnxc {

/// The constant a value is, looking through reshapes (which keep the
/// row-major bytes); null if it is none.
mlir::arith::ConstantOp constantThroughReshapes(mlir::Value v);

/// The i8 values of a constant, row-major; empty if unreadable.
std::vector<int8_t> constantBytes(mlir::arith::ConstantOp cst);

/// The body `yield(acc + zext(a8) * sext(w))` (either operand order of the
/// add and the mul) of an integer product, `w` the weight's i8 argument.
/// a8 is an i8 value computed from the arguments of `aSide` (and values
/// from above) by `prologue`, pure ops in body order: the producer of A
/// that elementwise fusion moved into the body (a quantization), or empty
/// when a8 is an argument itself.
struct U8S8Body {
  mlir::Value a8;
  llvm::SmallVector<mlir::Operation *> prologue;
};
std::optional<U8S8Body>
matchU8S8MulAddBody(mlir::linalg::GenericOp op, mlir::OpOperand *w,
                    llvm::ArrayRef<mlir::OpOperand *> aSide);

/// The ops of `op`'s body (pure, in body order) that compute `values` from
/// the block arguments of `inputs` and values from above: every body op
/// that reads nothing else, even indirectly. Nullopt if one of `values` is
/// not so computed (block arguments of `inputs` and values from above are),
/// or if such an op is impure, has regions or reads linalg.index.
std::optional<llvm::SmallVector<mlir::Operation *>>
computedFrom(mlir::linalg::GenericOp op, llvm::ArrayRef<mlir::OpOperand *> inputs,
             llvm::ArrayRef<mlir::Value> values);

/// The body `yield(acc + S * ((uitofp(a8) - Z) * sitofp(w)))` (f32; each
/// add and mul in either operand order) of a group-scaled integer product
/// (onnx.onnxc.GroupScaledMatMulInteger's lowering): a8 computed from the
/// `aSide` arguments as in U8S8Body, and the group's scale S and zero point
/// Z computed by `groupPrologue` from the `groupSide` arguments (those
/// indexed by rows and group only).
struct GroupScaledBody {
  U8S8Body a;
  mlir::Value scale, zeroPoint;
  llvm::SmallVector<mlir::Operation *> groupPrologue;
};
std::optional<GroupScaledBody>
matchGroupScaledBody(mlir::linalg::GenericOp op, mlir::OpOperand *w,
                     llvm::ArrayRef<mlir::OpOperand *> aSide,
                     llvm::ArrayRef<mlir::OpOperand *> groupSide);

/// In the body of a new generic whose block arguments `args` stand for
/// `op`'s `inputs`: clones `prologue` (from computedFrom) and returns what
/// `values` became there.
llvm::SmallVector<mlir::Value>
cloneComputation(mlir::OpBuilder &b, mlir::linalg::GenericOp op,
                 llvm::ArrayRef<mlir::OpOperand *> inputs,
                 llvm::ArrayRef<mlir::Operation *> prologue,
                 llvm::ArrayRef<mlir::Value> values, mlir::ValueRange args);

/// In the body of a new generic whose block arguments `args` stand for
/// `op`'s `aSide` operands: clones `body`'s prologue and returns a8 there
/// (splitting a fused producer back out of an integer product).
mlir::Value cloneU8Producer(mlir::OpBuilder &b, mlir::linalg::GenericOp op,
                            llvm::ArrayRef<mlir::OpOperand *> aSide,
                            const U8S8Body &body, mlir::ValueRange args);

/// The body `yield(args[2] + zext(args[0]) * sext(args[1]))` in i32: the
/// plain u8 x s8 product the kernel's matchers take.
void yieldU8S8MulAdd(mlir::OpBuilder &b, mlir::Location loc,
                     mlir::ValueRange args);

/// Rewrites every u8 x s8 convolution generic with one group and a constant
/// filter as a pixel-major im2col copy and the contraction
///
///   C[m, p] += zext(col[p, k]) * sext(W'[k, m])
///
/// per image, that the integer kernel takes: C [m, p] is the image's NCHW
/// result itself (the kernel writes its blocks transposed); a batch is an
/// scf.for over its images.
void rewriteIntegerConvsAsProducts(mlir::ModuleOp module);

} // namespace onnxc

#endif // ONNXC_PASSES_INTEGERPRODUCTS_H
