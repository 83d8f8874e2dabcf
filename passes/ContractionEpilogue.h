//===- ContractionEpilogue.h - Elementwise epilogues of kernels -*- C++ -*-===//
//
// A contraction's result is often consumed by one elementwise op only: the
// ReLU/Clip after a Conv or Gemm, the bias add and GELU after a MatMul.
// Run as its own pass, that op reads and writes the whole output again;
// applied to the accumulators of the register-blocked kernel
// (passes/VectorizeContractions.cpp) just before they are stored, it costs
// a few vector instructions per block and no memory traffic.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_PASSES_CONTRACTIONEPILOGUE_H
#define ONNXC_PASSES_CONTRACTIONEPILOGUE_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Dominance.h"

namespace onnxc {

/// An elementwise generic that can be computed inside the kernel of
/// `contraction`: its only consumer (directly, or through one
/// tensor.expand_shape, as a convolution's product is expanded back to the
/// output's spatial dims), all-parallel, reading the contraction's result
/// with an identity map into an output of the same element type whose
/// initial value it never reads, with a body of pure elementwise arith/math
/// ops. Its other inputs must dominate the contraction, or be reshapes of
/// values that do (hoistEpilogueInputs moves those up); through an
/// expand_shape they must be rank 0 or read with the identity map (a
/// ResNet block's residual), as the kernel's block is indexed in the
/// collapsed space: those are read collapsed the same way.
struct ContractionEpilogue {
  mlir::linalg::GenericOp op;
  /// The input of `op` holding the contraction's (expanded) result.
  unsigned resultInput = 0;
  bool throughExpand = false;
  /// The expand_shape's reassociation (with throughExpand).
  llvm::SmallVector<mlir::ReassociationIndices> reassociation;
  /// Reshapes of the other inputs that come after the contraction: they
  /// must move above it before the kernel reads them.
  llvm::SmallVector<mlir::Operation *> hoist;
  /// The input of `op` (its operand number) whose buffer the kernel writes
  /// its result into, reading that input's values from its own output
  /// block just before storing it (writeIntoResidual), or -1.
  int inPlaceInput = -1;
};

std::optional<ContractionEpilogue>
matchContractionEpilogue(mlir::linalg::LinalgOp contraction,
                         mlir::DominanceInfo &dominance);

/// Moves the epilogue's `hoist` reshapes above `contraction`, where the
/// kernel that replaces it will read them. Call before building it.
void hoistEpilogueInputs(const ContractionEpilogue &epilogue,
                         mlir::Operation *contraction);

/// Makes `contraction` write its result into the tensor of one of the
/// epilogue's other inputs, a residual read with the identity map into the
/// same shape (a ResNet block's shortcut, a transformer's skip connection),
/// when nothing reads that tensor after the contraction: the contraction's
/// init becomes that tensor (collapsed like its result, through an
/// expand_shape), so that bufferization puts the output in the residual's
/// buffer. Each block is then one read and one write of the same lines
/// instead of a read of the residual plus a write, with its
/// read-for-ownership, of a second buffer. Sets `epilogue.inPlaceInput`;
/// the kernel must then pass the blocks of its init to
/// emitContractionEpilogue. Only for kernels that never read their init
/// otherwise (accumulators from passes/AccumulatorInit.h, no other
/// reduction dims): the init must be a tensor.empty.
bool writeIntoResidual(mlir::RewriterBase &rewriter,
                       ContractionEpilogue &epilogue,
                       mlir::linalg::LinalgOp contraction);

/// Where a register block of the contraction's output lies: the offsets of
/// the block in every output dim, the positions of its row and column dims
/// among the output dims (row -1: a single row), its size, and whether every
/// block is whole along rows/columns (then the other inputs' reads need no
/// masks).
struct EpilogueBlock {
  llvm::SmallVector<mlir::OpFoldResult> offsets;
  int64_t rowPos = -1, colPos = -1;
  int64_t rows = 1, cols = 1;
  bool wholeRows = false, wholeCols = false;
};

/// Applies the epilogue to the accumulators of one block (`rows`, each a
/// vector of `block.cols` elements, one per row of the block) and returns
/// the values to store in their place. With `epilogue.inPlaceInput`,
/// `inPlaceRows` are the block's rows of the kernel's output before the
/// store: that input's values.
llvm::SmallVector<mlir::Value>
emitContractionEpilogue(mlir::OpBuilder &b, mlir::Location loc,
                        const ContractionEpilogue &epilogue,
                        const EpilogueBlock &block,
                        mlir::ArrayRef<mlir::Value> rows,
                        mlir::ArrayRef<mlir::Value> inPlaceRows = {});

/// Once every kernel of the contraction applied it: the epilogue's result
/// is the (expanded) contraction result, which now holds its values.
void foldContractionEpilogue(mlir::RewriterBase &rewriter,
                             const ContractionEpilogue &epilogue);

} // namespace onnxc

#endif // ONNXC_PASSES_CONTRACTIONEPILOGUE_H
