//===- PeelPartialBlocks.h - Full blocks and the last one apart -*- C++ -*-===//
//
// A kernel's scf.forall over blocks of a dim whose size is not a multiple
// of the block spreads its iterations over the threads in contiguous runs
// (OpenMP's static schedule). When the last block along an outer dim is
// partial, every block of that last run is cheap (resnet50's 14x14 layers:
// 196 pixels in blocks of 64 leave a last block of 4 pixels, one vector
// of 16 lanes where the others have four), and the thread that gets them
// waits for the others at the region's end. Peeling them into a loop of
// their own makes two loops each shared evenly.
//
//===----------------------------------------------------------------------===//

#ifndef ONNXC_PASSES_PEELPARTIALBLOCKS_H
#define ONNXC_PASSES_PEELPARTIALBLOCKS_H

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace onnxc {

/// Splits `forall` at the start of the last, partial block along `dim`:
/// `forall` keeps the full blocks, and a copy after it, writing into its
/// results, runs the last one (with every iteration of the other dims).
/// Needs static bounds along `dim`, at least one full block, and a body
/// that derives its block's extent from the induction variable alone (as
/// scf::tileUsingSCF builds it), not from the loop's bound. Returns the
/// copy, or failure (nothing changed) where there is no partial block or
/// nothing to split.
mlir::FailureOr<mlir::scf::ForallOp>
peelPartialBlock(mlir::RewriterBase &rewriter, mlir::scf::ForallOp forall,
                 unsigned dim);

} // namespace onnxc

#endif // ONNXC_PASSES_PEELPARTIALBLOCKS_H
