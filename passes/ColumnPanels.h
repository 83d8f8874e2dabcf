//===- ColumnPanels.h - B operands packed into column panels ----*- C++ -*-===//
//
// The register-blocked kernel (passes/VectorizeContractions.cpp) computes a
// block of NR output columns from a panel of B: the NR-wide strip of B's
// columns, over the whole reduction. Read in place, a panel is K short runs
// N elements apart. When N * 4 bytes is a multiple of 4 KiB (a 1024-wide
// matrix), every run falls into the same L1 set and a handful of L2 sets, so
// a panel that should stay in cache is fetched from memory again for every
// block of rows: a 1024^3 GEMM ran at half the speed of a 1040^3 one.
// Transposed reads (B stored [n, k], as attention's K^T) are worse: one
// element per lane.
//
// Packing B as Bp[others..., j, k, c] = B[..., k, j * NR + c] makes each
// panel one contiguous K x NR run that the kernel streams through. Constant
// operands (weights) are packed at compile time; others by a copy before the
// product, which costs one pass over B and pays off once several blocks of
// rows read each panel. The last panel is zero-padded to NR columns; the
// kernel never stores those columns.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_PASSES_COLUMNPANELS_H
#define ONNXC_PASSES_COLUMNPANELS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace onnxc {

/// B packed into panels, and how to find a panel from B's coordinates.
struct ColumnPanels {
  mlir::Value packed; ///< [others..., panels, K, nr]
  /// B's dims other than k and n, in B's order (they lead `packed`).
  llvm::SmallVector<int64_t> otherPositions;
  int64_t nPosition = -1; ///< n's position among B's dims
  int64_t kPosition = -1; ///< k's position among B's dims
  int64_t nr = 0;
};

/// Packs operand `bIndex` of the contraction `op`, read along loop dims `k`
/// (reduction) and `n` (columns), into panels of `nr` columns, inserting the
/// packing before `op`. A constant operand with no other user is packed at
/// compile time; any other only with `atRunTime`. Fails (and changes
/// nothing) when the operand's map is not a permutation of some loop dims
/// or its shape does not allow it.
mlir::FailureOr<ColumnPanels>
packColumnPanels(mlir::RewriterBase &rewriter, mlir::linalg::LinalgOp op,
                 unsigned bIndex, int64_t k, int64_t n, int64_t nr,
                 bool atRunTime);

/// The indices of row k0 + `kIv` of the panel that holds columns
/// [n0, n0 + nr) of B (see readPanelRow), with 0 for the position in the
/// row (the last index).
llvm::SmallVector<mlir::Value>
panelRowIndices(mlir::OpBuilder &b, mlir::Location loc,
                const ColumnPanels &panels,
                llvm::ArrayRef<mlir::OpFoldResult> bOffsets, mlir::Value kIv);

/// Reads the first `width` elements (all `nr` when 0) of row k0 + `kIv` of
/// the panel that holds columns [n0, n0 + nr) of B, where `bOffsets` are
/// the offsets of a tile of B in every one of its dims (n0 at nPosition, a
/// multiple of nr; k0 at kPosition).
mlir::Value readPanelRow(mlir::OpBuilder &b, mlir::Location loc,
                         const ColumnPanels &panels,
                         llvm::ArrayRef<mlir::OpFoldResult> bOffsets,
                         mlir::Value kIv, int64_t width = 0);

} // namespace onnxc

#endif // ONNXC_PASSES_COLUMNPANELS_H
